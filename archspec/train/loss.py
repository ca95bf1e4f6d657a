"""The training loss: cross-entropy (optionally label-smoothed) on the main logits plus the
weighted auxiliary heads, as GoogLeNet (0.3 per head) and Inception-v3 (0.4) train them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from archspec.errors import Location, did_you_mean, fail
from archspec.train.recipe import Loss


def head_weights(cfg: Loss, names: Sequence[str], spec_weights: Sequence[float],
                 at: Location | None = None) -> tuple[float, ...]:
    """Each aux head's weight: the recipe's number or mapping entry, else the spec's `loss_weight`."""
    given = cfg.aux_weights
    if given is None:
        return tuple(spec_weights)
    if not isinstance(given, dict):
        return tuple(float(given) for _ in names)
    for name in given:
        if name not in names:
            known = ", ".join(names) or "none"
            raise fail(f"loss.aux_weights names {name!r}, which is not an auxiliary head of this network (heads: {known})",
                       at, hint=did_you_mean(name, names) or "name a head of the network, or give one weight for all")
    return tuple(float(given.get(n, w)) for n, w in zip(names, spec_weights))


class SpecLoss:
    """Callable on the model's output (logits, or `(logits, *aux_logits)` in training mode)."""

    def __init__(self, label_smoothing: float, aux_weights: Sequence[float]) -> None:
        self.label_smoothing = label_smoothing
        self.aux_weights = tuple(aux_weights)

    def __call__(self, output: Any, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(total loss, main logits)."""
        logits, aux = (output[0], output[1:]) if isinstance(output, tuple) else (output, ())
        loss = F.cross_entropy(logits, target, label_smoothing=self.label_smoothing)
        for w, head in zip(self.aux_weights, aux):
            loss = loss + w * F.cross_entropy(head, target, label_smoothing=self.label_smoothing)
        return loss, logits
