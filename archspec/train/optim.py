"""Optimizer and learning-rate schedule from the recipe.

The schedule is one function of the global step, applied by `LambdaLR` after every
optimizer step: staircase decays change at epoch boundaries exactly (integer arithmetic,
no float drift), warm-up and cosine move smoothly within epochs, and resuming needs only
the step count that `LambdaLR.state_dict()` already holds.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable

import torch
from torch.optim.lr_scheduler import LambdaLR

from archspec.train.recipe import (
    SGD,
    Adam,
    AdamW,
    Constant,
    Cosine,
    Exponential,
    RMSProp,
    StepDecay,
)


def build_optimizer(cfg: SGD | RMSProp | Adam | AdamW, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    if isinstance(cfg, SGD):
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov,
                               weight_decay=cfg.weight_decay)
    if isinstance(cfg, RMSProp):
        return torch.optim.RMSprop(params, lr=cfg.lr, alpha=cfg.decay, eps=cfg.eps, momentum=cfg.momentum,
                                   centered=cfg.centered, weight_decay=cfg.weight_decay)
    kind = torch.optim.AdamW if isinstance(cfg, AdamW) else torch.optim.Adam
    return kind(params, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, weight_decay=cfg.weight_decay)


def lr_factor(cfg: Constant | StepDecay | Exponential | Cosine, base_lr: float, epochs: int,
              steps_per_epoch: int) -> Callable[[int], float]:
    """The multiplier of the base lr at a global step (0 = the first step)."""
    warmup_steps = round(cfg.warmup_epochs * steps_per_epoch)
    total = epochs * steps_per_epoch

    def decay(step: int) -> float:
        if isinstance(cfg, StepDecay):
            return cfg.gamma ** bisect.bisect_right(cfg.milestones, step // steps_per_epoch)
        if isinstance(cfg, Exponential):
            return cfg.gamma ** (step // (cfg.every * steps_per_epoch))
        if isinstance(cfg, Cosine):
            span = max(total - warmup_steps, 1)
            progress = min(max(step - warmup_steps, 0) / span, 1.0)
            floor = cfg.min_lr / base_lr
            return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))
        return 1.0

    def factor(step: int) -> float:
        ramp = (step + 1) / warmup_steps if step < warmup_steps else 1.0
        return ramp * decay(step)

    return factor


def build_scheduler(cfg: Constant | StepDecay | Exponential | Cosine, optimizer: torch.optim.Optimizer,
                    epochs: int, steps_per_epoch: int) -> LambdaLR:
    base_lr = optimizer.param_groups[0]["lr"]
    return LambdaLR(optimizer, lr_factor(cfg, base_lr, epochs, steps_per_epoch))
