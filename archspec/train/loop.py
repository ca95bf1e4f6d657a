"""The training loop: one epoch of steps, and evaluation.

A step is forward (under autocast when asked), the loss check, backward, optional gradient
clipping, the optimizer and schedule steps, and the running-average update. A loss that
is not finite stops the run *before* it can touch the weights, naming the step, so the
last checkpoint stays good.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.lr_scheduler import LambdaLR
from torch.optim.swa_utils import AveragedModel
from torch.utils.data import DataLoader, DistributedSampler

from archspec.train.augment import BatchTransform
from archspec.train.device import Placement
from archspec.train.distributed import World, sum_all
from archspec.train.loss import SpecLoss
from archspec.train.metrics import Meter, Stats
from archspec.train.progress import Progress

BatchCheck = Callable[[torch.Tensor], None] | None
StepLog = Callable[[int, float, float], None]
"""(global step, that step's loss, the lr it used): TensorBoard's per-step points."""


class NonFiniteLoss(Exception):
    """The loss was NaN or infinite at `step` (1-based, counted over the whole run)."""

    def __init__(self, value: float, step: int, epoch: int, batch: int, batches: int) -> None:
        super().__init__(f"loss {value} at step {step}")
        self.value, self.step, self.epoch, self.batch, self.batches = value, step, epoch, batch, batches


@dataclass
class Parts:
    """What the loop drives; `step_model` is `model` as trained (DDP-wrapped, compiled)."""

    model: nn.Module
    step_model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: LambdaLR
    loss: SpecLoss
    ema: AveragedModel | None
    train: DataLoader
    sampler: DistributedSampler
    val: DataLoader
    transform: BatchTransform
    placement: Placement
    world: World
    classes: int
    clip_grad_norm: float | None
    seed: int
    train_batches: int = 0
    """Batches per training epoch (`train.limit_batches` may take fewer than the loader has)."""
    val_batches: int | None = None
    max_steps: int | None = None
    log_step: StepLog | None = None
    log_step_every: int = 1
    check_train: BatchCheck = None
    check_val: BatchCheck = None


def epoch_seed(seed: int, epoch: int, rank: int) -> int:
    """The augmentation generator's seed: fixed by (seed, epoch, rank), so resuming redraws the same crops."""
    return ((seed * 1_000_003 + epoch) * 4099 + rank) % (2**63)


@torch.no_grad()
def evaluate(model: nn.Module, loader: DataLoader, transform: BatchTransform, placement: Placement,
             world: World, classes: int, check: BatchCheck = None, batches: int | None = None) -> Stats:
    """Plain (unsmoothed) cross-entropy and top-1 / top-5 over the loader (its first `batches`), summed
    over ranks."""
    model.eval()
    meter = Meter(placement.device, classes)
    for done, (images, labels) in enumerate(loader):
        if batches is not None and done >= batches:
            break
        if check is not None:
            check(labels)
        labels = labels.to(placement.device, non_blocking=True)
        x = transform.eval(images.to(placement.device, non_blocking=True))
        with placement.autocast():
            logits = model(x)
        meter.add(F.cross_entropy(logits.float(), labels), logits, labels)
    return meter.result(world)


class Trainer:
    def __init__(self, parts: Parts) -> None:
        self.p = parts
        self.step = 0

    @property
    def steps_per_epoch(self) -> int:
        return self.p.train_batches or len(self.p.train)

    @property
    def out_of_steps(self) -> bool:
        return self.p.max_steps is not None and self.step >= self.p.max_steps

    @property
    def eval_model(self) -> nn.Module:
        """What validation and `best.pt` judge: the running average when the recipe keeps one."""
        return self.p.ema.module if self.p.ema is not None else self.p.model

    def _finite(self, loss: torch.Tensor, epoch: int, batch: int) -> None:
        value = loss.detach().float()
        if self.p.world.distributed:
            value = sum_all(value.clone(), self.p.world) / self.p.world.size
        number = float(value)
        if not math.isfinite(number):
            raise NonFiniteLoss(number, self.step + 1, epoch, batch, self.steps_per_epoch)

    def train_epoch(self, epoch: int, epochs: int, progress: Progress) -> tuple[Stats, float, float]:
        """One pass over the training shard; returns (stats summed over ranks, lr at its start, seconds)."""
        p = self.p
        device = p.placement.device
        p.step_model.train()
        p.sampler.set_epoch(epoch)
        gen = torch.Generator().manual_seed(epoch_seed(p.seed, epoch, p.world.rank))
        meter = Meter(device, p.classes)
        lr = p.optimizer.param_groups[0]["lr"]
        progress.start_epoch(epoch, epochs, self.steps_per_epoch)
        start = time.perf_counter()
        for batch, (images, labels) in enumerate(p.train, 1):
            if batch > self.steps_per_epoch or self.out_of_steps:
                break
            if p.check_train is not None:
                p.check_train(labels)
            labels = labels.to(device, non_blocking=True)
            x = p.transform.train(images.to(device, non_blocking=True), gen)
            with p.placement.autocast():
                loss, logits = p.loss(p.step_model(x), labels)
            self._finite(loss, epoch, batch)
            p.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if p.clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(p.model.parameters(), p.clip_grad_norm)
            used_lr = p.optimizer.param_groups[0]["lr"]
            p.optimizer.step()
            p.scheduler.step()
            if p.ema is not None:
                p.ema.update_parameters(p.model)
            self.step += 1
            meter.add(loss.detach(), logits.detach(), labels)
            if p.log_step is not None and self.step % p.log_step_every == 0:
                p.log_step(self.step, float(loss.detach()), float(used_lr))
            progress.step(batch, meter.n, meter.running, float(p.scheduler.get_last_lr()[0]))
        stats = meter.result(p.world)
        progress.end_epoch()
        return stats, lr, time.perf_counter() - start

    def validate(self) -> Stats:
        p = self.p
        return evaluate(self.eval_model, p.val, p.transform, p.placement, p.world, p.classes, p.check_val,
                        p.val_batches)

    def state_dict(self) -> dict[str, Any]:
        p = self.p
        return {"step": self.step, "model": p.model.state_dict(), "optimizer": p.optimizer.state_dict(),
                "scheduler": p.scheduler.state_dict(), "ema": p.ema.state_dict() if p.ema is not None else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from `state`. Hyperparameters stay the recipe's (the optimizer's saved copies
        would win otherwise), so `--resume ... --set train.optimizer.lr=0.01` takes effect; with an
        unchanged recipe every value is the one the interrupted run would have used."""
        p = self.p
        recipe_groups = [{k: v for k, v in g.items() if k != "params"} for g in p.optimizer.param_groups]
        p.model.load_state_dict(state["model"])
        p.optimizer.load_state_dict(state["optimizer"])
        p.scheduler.load_state_dict(state["scheduler"])
        for group, values in zip(p.optimizer.param_groups, recipe_groups):
            group.update(values)
        p.scheduler.base_lrs = [g["initial_lr"] for g in p.optimizer.param_groups]
        for group, factor in zip(p.optimizer.param_groups, p.scheduler.lr_lambdas):
            group["lr"] = group["initial_lr"] * factor(p.scheduler.last_epoch)
        if p.ema is not None and state.get("ema") is not None:
            p.ema.load_state_dict(state["ema"])
        self.step = state["step"]
