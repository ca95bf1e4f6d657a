"""`archspec train`: resolve, build, load data, train epoch by epoch, checkpoint, report.

Rank 0 owns the run directory; every rank builds the same model from the same seed,
trains its shard under DDP and takes part in the collective steps (metric sums,
checkpoint RNG states, the final replica check).
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import torch
import yaml
from torch import nn

from archspec.api import check
from archspec.errors import fail
from archspec.fileio import remove_stale_temps
from archspec.ir.budget import Limits
from archspec.ir.graph import IR
from archspec.spec.yamlload import loc_of
from archspec.torch_backend.build import ArchspecModel, build_module
from archspec.train import checkpoint, distributed
from archspec.train.architecture import architecture, fingerprint
from archspec.train.augment import BatchTransform
from archspec.train.device import Placement, placement, resolve_device
from archspec.train.distributed import World
from archspec.train.ema import make_ema
from archspec.train.images import Splits
from archspec.train.loader import train_loader, val_loader, worker_count
from archspec.train.loop import NonFiniteLoss, Parts, StepLog, Trainer
from archspec.train.loss import SpecLoss, head_weights
from archspec.train.metrics import Stats
from archspec.train.optim import build_optimizer, build_scheduler
from archspec.train.progress import Progress
from archspec.train.resolve import RunSpec, resolve_run, to_plain
from archspec.train.rundir import RunFiles, new_run_dir
from archspec.train.sources import open_source, recorded
from archspec.train.stopping import batch_count, stop_reason


@dataclass
class TrainOptions:
    spec: str
    sets: list[str] = field(default_factory=list)
    data: str | None = None
    out: Path | None = None
    device: str = "auto"
    resume: Path | None = None
    init_from: Path | None = None
    limits: Limits = field(default_factory=Limits)
    data_dir: Path | None = None


def output_classes(ir: IR) -> int:
    shape = ir.shape(ir.output)
    if len(shape) != 1:
        raise fail(f"training needs a network that ends in a vector of class scores; {ir.name} ends in shape "
                   f"{'x'.join(map(str, shape))}", hint="end the network with flatten/gap and a linear layer")
    return int(shape[0])


def spec_yaml(run: RunSpec) -> str:
    """The resolved spec as one self-contained file: variants applied, the recipe in place of `train:`."""
    tree = {k: v for k, v in to_plain(run.resolved.tree).items() if k not in ("variants", "train")}
    tree["train"] = run.recipe.model_dump(mode="json", exclude={"recipe"})
    return yaml.safe_dump(tree, sort_keys=False, allow_unicode=True)


def train(opts: TrainOptions) -> dict[str, Any]:
    """Run (or continue) a training run; returns what summary.json holds."""
    world = distributed.from_env()
    device = resolve_device(opts.device, world.local_rank)
    distributed.join(world, device)
    try:
        return Session(opts, world, device).fit()
    finally:
        distributed.leave(world)


def _resume_checkpoint(opts: TrainOptions) -> tuple[checkpoint.Checkpoint | None, Path | None]:
    if opts.resume is None:
        return None, None
    if opts.init_from is not None:
        raise fail("--resume and --init-from both name a checkpoint",
                   hint="--resume RUN_DIR continues a run; --init-from CKPT starts a new run from a "
                        "checkpoint's weights")
    if opts.out is not None and opts.out.resolve() != opts.resume.resolve():
        raise fail("--out and --resume name different run directories", hint="a resumed run writes into RUN_DIR")
    path = opts.resume / checkpoint.LAST
    if not opts.resume.is_dir():
        raise fail(f"--resume {opts.resume}: no such run directory",
                   hint="name the run directory of an earlier `archspec train` (its --out)")
    if not path.is_file():
        raise fail(f"--resume {opts.resume}: the run directory holds no checkpoint ({checkpoint.LAST})",
                   hint="a run writes last.pt at the end of its first epoch; start it again without --resume")
    return checkpoint.load(path), path


def _parts(run: RunSpec, ir: IR, model: ArchspecModel, splits: Splits, place: Placement, world: World,
           epochs: int, log_step: StepLog) -> Parts:
    recipe = run.recipe
    at = loc_of(run.tree, ("loss", "aux_weights"))
    weights = head_weights(recipe.loss, model.head_names, model.head_weights, at)
    pin = place.pin_memory
    train, sampler = train_loader(splits.train, recipe.batch_size, recipe.seed, world,
                                  worker_count(splits.train, recipe.data.workers, world), pin)
    val = val_loader(splits.val, recipe.batch_size, world, worker_count(splits.val, recipe.data.workers, world), pin)
    optimizer = build_optimizer(recipe.optimizer, model.parameters())
    train_batches = batch_count(len(train), recipe.limit_batches, recipe.fast_dev_run)
    limited = recipe.fast_dev_run or recipe.limit_batches is not None
    val_batches = batch_count(len(val), recipe.limit_batches, recipe.fast_dev_run) if limited else None
    scheduler = build_scheduler(recipe.schedule, optimizer, epochs, train_batches)
    step_model = distributed.wrap(model, world, place.device)
    if recipe.compile:
        step_model = cast(nn.Module, torch.compile(step_model))
    transform = BatchTransform(ir.input_shape[1:], splits.mean, splits.std, recipe.data.augment,
                               place.channels_last, place.device)
    return Parts(model=model, step_model=step_model, optimizer=optimizer, scheduler=scheduler,
                 loss=SpecLoss(recipe.loss.label_smoothing, weights),
                 ema=make_ema(model, recipe.ema) if recipe.ema is not None else None,
                 train=train, sampler=sampler, val=val, transform=transform, placement=place, world=world,
                 classes=splits.classes, clip_grad_norm=recipe.clip_grad_norm, seed=recipe.seed,
                 train_batches=train_batches, val_batches=val_batches, max_steps=recipe.max_steps,
                 log_step=log_step, log_step_every=recipe.tensorboard_every,
                 check_train=getattr(splits.train, "check_batch", None),
                 check_val=getattr(splits.val, "check_batch", None))


def _rng_state(device: torch.device) -> dict[str, Any]:
    return {"cpu": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None}


def _set_rng_state(states: list[dict[str, Any]], world: World, device: torch.device) -> None:
    mine = states[world.rank % len(states)]
    torch.set_rng_state(mine["cpu"])
    if device.type == "cuda" and mine.get("cuda") is not None:
        torch.cuda.set_rng_state(mine["cuda"], device)


def _record(epoch: int, step: int, train: Stats, val: Stats, lr: float, seconds: float) -> dict[str, Any]:
    return {"epoch": epoch, "step": step, "train_loss": train.loss, "train_top1": train.top1, "train_top5": train.top5,
            "val_loss": val.loss, "val_top1": val.top1, "val_top5": val.top5, "lr": lr,
            "images_per_s": train.images / seconds if seconds > 0 else 0.0, "seconds": seconds}


def _epoch_line(r: dict[str, Any], epochs: int) -> str:
    return (f"epoch {r['epoch']}/{epochs}  train loss {r['train_loss']:.4f} top-1 {r['train_top1']:.1%}  "
            f"val loss {r['val_loss']:.4f} top-1 {r['val_top1']:.1%} top-5 {r['val_top5']:.1%}  "
            f"lr {r['lr']:.3g}  {r['images_per_s']:.0f} img/s  {r['seconds']:.1f}s")


class Session:
    """One process's share of a run: the trainer, the epoch history and (rank 0) the run directory."""

    def __init__(self, opts: TrainOptions, world: World, device: torch.device) -> None:
        self.started = time.perf_counter()
        self.world = world
        ckpt, ckpt_path = _resume_checkpoint(opts)
        self.run = resolve_run(opts.spec, opts.sets, base=ckpt.recipe if ckpt else None,
                               base_name=str(ckpt_path) if ckpt_path else "")
        self.recipe = recipe = self.run.recipe
        given = opts.data or (ckpt.data if ckpt else recipe.data.source)
        self.source = recorded(given)  # messages below name the data as the user wrote it
        self.ir = ir = check(self.run.resolved, limits=opts.limits)
        self.architecture = architecture(ir)
        if ckpt is not None and ckpt_path is not None:
            checkpoint.check_architecture(ckpt, self.architecture, self.run.resolved.ref, ckpt_path,
                                          f"--init-from {ckpt_path} (a new run)")
        torch.manual_seed(recipe.seed)
        self.model = build_module(ir)
        if ckpt is not None and ckpt_path is not None:
            checkpoint.check_fits(ckpt.model, self.model, self.run.resolved.ref, ckpt_path)
        if opts.init_from is not None:
            self._init_from(opts.init_from)
        self.epochs = 1 if recipe.fast_dev_run else recipe.epochs
        # rank 0 downloads a missing data set first; the others then find it unpacked in the data directory
        if not world.main:
            distributed.barrier(world)
        splits = open_source(given, recipe.data, ir.input_shape, output_classes(ir), opts.data_dir)
        if world.main:
            distributed.barrier(world)
        self.preprocess = {"size": list(splits.size), "mean": list(splits.mean), "std": list(splits.std),
                           "classes": list(splits.names)}
        self.place = placement(recipe, device)
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        self.place.place(self.model)
        self.trainer = Trainer(_parts(self.run, ir, self.model, splits, self.place, world, self.epochs,
                                      self._log_step))
        self.history: list[dict[str, Any]] = []
        self.best: dict[str, Any] = {"epoch": 0, "val_top1": -1.0}
        if ckpt is not None and ckpt_path is not None:
            self._continue(ckpt, ckpt_path, device)
        # a fast dev run is a smoke test: its files go to a temporary folder unless --out asks to keep them
        self.scratch = recipe.fast_dev_run and opts.out is None and opts.resume is None
        self.stop: str | None = None
        """Why the run ends before its last epoch (max steps, early stopping), once it does."""
        self.root: Path = opts.resume if opts.resume is not None else distributed.broadcast(
            (Path(tempfile.mkdtemp(prefix=f"archspec-{ir.name}-")) if self.scratch else new_run_dir(opts.out, ir.name))
            if world.main else None, world)
        self.stale = remove_stale_temps(self.root) if world.main else []
        self.progress = Progress(world.main, recipe.log_every)
        self.files: RunFiles | None = (RunFiles(self.root, f"{ir.name} on {self.source}", self.history, self.trainer.step)
                      if world.main else None)
        self.spec_text = spec_yaml(self.run)
        self.summary: dict[str, Any] = {
            "spec": self.run.resolved.ref, "name": ir.name, "data": self.source,
            "data_description": splits.description, "synthetic_data": self.source == "synthetic",
            "device": self.place.describe(), "world_size": world.size,
            "parameters": sum(p.numel() for p in self.model.parameters()), "epochs": self.epochs,
            "averaged_weights": recipe.ema is not None, "run_dir": str(self.root),
            "architecture_fingerprint": fingerprint(self.architecture),
            "initialised_from": str(opts.init_from) if opts.init_from is not None else None,
            "files_kept": not self.scratch}

    def _log_step(self, step: int, loss: float, lr: float) -> None:
        if self.files is not None:
            self.files.add_step(step, loss, lr)

    def _init_from(self, path: Path) -> None:
        """A new run whose weights start as a checkpoint's trained weights, or an imported state_dict's
        (another spec is fine: only names and shapes must match)."""
        weights = checkpoint.load_weights(path)
        checkpoint.check_fits(weights, self.model, self.run.resolved.ref, path)
        self.model.load_state_dict(weights)

    def _continue(self, ckpt: checkpoint.Checkpoint, path: Path, device: torch.device) -> None:
        state = {"model": ckpt.model, "optimizer": ckpt.optimizer.model_dump(), "scheduler": ckpt.scheduler,
                 "ema": ckpt.ema, "step": ckpt.step}
        try:
            self.trainer.load_state_dict(state)
            _set_rng_state([r.model_dump() for r in ckpt.rng], self.world, device)
        except (KeyError, ValueError, TypeError, IndexError, RuntimeError) as exc:
            # the optimizer's and scheduler's inner layout is torch's; it is checked by loading it
            raise checkpoint.damaged(path, "its optimizer, schedule or random state does not load "
                                           f"({type(exc).__name__}: {checkpoint.first_line(exc)})") from None
        self.history, self.best = list(ckpt.history), ckpt.best.model_dump()

    def fit(self) -> dict[str, Any]:
        first = len(self.history) + 1
        resumed = first > 1
        self.progress.line(f"{'resuming' if resumed else 'training'} {self.run.resolved.ref} "
                           f"({self.summary['parameters']:,} parameters) on {self.place.describe()}"
                           + (f" x {self.world.size} processes" if self.world.distributed else ""))
        self.progress.line(f"data: {self.summary['data_description']}")
        self.progress.line(f"run directory: {self.root}" + (f" (continuing after epoch {first - 1})" if resumed else "")
                           + (" (a fast dev run: removed at the end; --out keeps it)" if self.scratch else ""))
        if self.stale:
            self.progress.line(f"removed {len(self.stale)} temporary file(s) a killed run left: "
                               + ", ".join(p.name for p in self.stale))
        try:
            try:
                if self.files is not None:
                    self.files.write_spec(self.spec_text)
                self.stop = stop_reason(self.history, self.recipe.early_stop, self.trainer.step, self.recipe.max_steps)
                for epoch in range(first, self.epochs + 1):
                    if self.stop is not None:
                        break
                    self._epoch(epoch)
                    self.stop = stop_reason(self.history, self.recipe.early_stop, self.trainer.step,
                                            self.recipe.max_steps)
            except NonFiniteLoss as stop:
                raise self._stopped(stop) from None
        except BaseException:
            if self.files is not None:
                self.files.close(quiet=True)  # the error in flight is the one to report
            self._drop_scratch()
            raise
        try:
            return self._finish()
        finally:
            self._drop_scratch()

    def _drop_scratch(self) -> None:
        if self.scratch and self.world.main:
            shutil.rmtree(self.root, ignore_errors=True)

    def _epoch(self, epoch: int) -> None:
        train_stats, lr, seconds = self.trainer.train_epoch(epoch, self.epochs, self.progress)
        distributed.sync_buffers(self.model, self.world)
        if self.trainer.p.ema is not None:
            distributed.sync_buffers(self.trainer.p.ema.module, self.world)
        record = _record(epoch, self.trainer.step, train_stats, self.trainer.validate(), lr, seconds)
        if not math.isfinite(record["val_loss"]):  # every step's loss was finite, yet the weights diverged
            raise self._stop_run(f"training stopped: the validation loss became {record['val_loss']} after "
                                 f"epoch {epoch} (step {self.trainer.step}), so its weights were not saved")
        self.history.append(record)
        improved = record["val_top1"] > self.best["val_top1"]
        if improved:
            self.best = {"epoch": epoch, "val_top1": record["val_top1"]}
        rng = distributed.gather(_rng_state(self.place.device), self.world)
        if self.files is not None:
            payload = {"format": checkpoint.FORMAT, "version": checkpoint.VERSION, "spec_name": self.ir.name,
                       "spec_ref": self.run.resolved.ref, "spec_yaml": self.spec_text,
                       "architecture": self.architecture, "fingerprint": fingerprint(self.architecture),
                       "recipe": self.recipe.model_dump(mode="json"), "data": self.source, "epoch": epoch,
                       "preprocess": self.preprocess,
                       "rng": rng, "history": self.history, "best": self.best, "world_size": self.world.size,
                       **self.trainer.state_dict()}
            checkpoint.save(payload, self.root / checkpoint.LAST)
            if improved:
                checkpoint.save(payload, self.root / checkpoint.BEST)
            self.files.add_epoch(record)
        self.progress.line(_epoch_line(record, self.epochs))

    def _stopped(self, stop: NonFiniteLoss) -> Exception:
        return self._stop_run(f"training stopped: the loss became {stop.value} at step {stop.step} (epoch "
                              f"{stop.epoch}, batch {stop.batch} of {stop.batches}); that step did not update "
                              "the weights")

    def _stop_run(self, what: str) -> Exception:
        """A diverged run: `summary.json` says so, and the error names the last good checkpoint."""
        done = len(self.history)
        kept = (f"the last good checkpoint is {self.root / checkpoint.LAST} (epoch {done})" if done
                else "no checkpoint was written")
        message = f"{what}, and {kept}"
        if self.files is not None:
            self.files.write_summary({**self.summary, "status": "stopped", "message": message,
                                      "completed_epochs": done, "steps": self.trainer.step, "best": self.best,
                                      "seconds": time.perf_counter() - self.started})
        return fail(message, hint="lower train.optimizer.lr, set train.clip_grad_norm, or check the data; "
                                  f"then continue with --resume {self.root}")

    def _finish(self) -> dict[str, Any]:
        digests = distributed.gather(distributed.digest(self.model), self.world)
        final = self.history[-1] if self.history else None
        self.summary.update({"status": "completed", "completed_epochs": len(self.history), "steps": self.trainer.step,
                             "best": self.best, "final": final, "seconds": time.perf_counter() - self.started,
                             "replica_digests": digests, "replicas_identical": len(set(digests)) == 1,
                             "stop_reason": self.stop})
        if self.stop is not None and len(self.history) < self.epochs:
            self.progress.line(f"stopped after epoch {len(self.history)} of {self.epochs}: {self.stop}")
        if self.files is not None:
            self.files.write_summary(self.summary)
            if final is not None:
                self.files.add_hparams(self.recipe.model_dump(mode="json"), final)
            self.files.close()
        if final is not None:
            weights = "averaged weights; " if self.recipe.ema is not None else ""
            data = "synthetic data" if self.source == "synthetic" else self.source
            where = f"run directory {self.root}" if not self.scratch else "no files kept (fast dev run)"
            self.progress.line(f"done: val top-1 {final['val_top1']:.1%} (top-5 {final['val_top5']:.1%}; {weights}"
                               f"best {self.best['val_top1']:.1%} at epoch {self.best['epoch']}) on {data} "
                               f"after {self.summary['seconds']:.0f}s; {where}")
        distributed.barrier(self.world)
        return self.summary
