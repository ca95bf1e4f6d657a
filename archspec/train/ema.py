"""The running average of the weights that the Inception papers evaluate.

PyTorch's own `AveragedModel` keeps the copy and the bookkeeping; this module supplies the
update rule, including TensorFlow's warm-up, and averages BatchNorm statistics too (as
`tf.train.ExponentialMovingAverage` over the model variables does).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel

from archspec.train.recipe import EMA


def ema_decay(cfg: EMA, updates: int) -> float:
    """The decay for the update after `updates` earlier ones."""
    return min(cfg.decay, (1 + updates) / (10 + updates)) if cfg.warmup else cfg.decay


def make_ema(model: nn.Module, cfg: EMA) -> AveragedModel:
    """The average starts as a copy of `model`; its update count stays on the CPU (no device sync per step)."""
    ema = AveragedModel(model, use_buffers=True)

    def update(averaged: Sequence[torch.Tensor], current: Sequence[torch.Tensor], _count: torch.Tensor | int) -> None:
        weight = 1.0 - ema_decay(cfg, int(ema.n_averaged))
        floats = [(a, c) for a, c in zip(averaged, current) if a.is_floating_point()]
        if floats:
            torch._foreach_lerp_([a for a, _ in floats], [c for _, c in floats], weight)
        for a, c in zip(averaged, current):
            if not a.is_floating_point():
                a.copy_(c)

    ema.multi_avg_fn = update
    return ema
