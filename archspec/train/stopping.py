"""When a run ends before its last epoch: `train.max_steps`, or early stopping on a monitored metric.

Early stopping keeps no state of its own: the epochs since the monitored metric last improved
are counted from the epoch history, which every checkpoint carries, so `--resume` continues
the count exactly (and a changed `patience` applies to the whole history).
"""

from __future__ import annotations

from typing import Any

from archspec.train.recipe import EarlyStop


def lower_is_better(metric: str) -> bool:
    return metric.endswith("_loss")


def epochs_without_improvement(history: list[dict[str, Any]], cfg: EarlyStop) -> int:
    best: float | None = None
    since = 0
    for record in history:
        value = float(record[cfg.metric])
        if best is None:
            better = True
        elif lower_is_better(cfg.metric):
            better = value < best - cfg.min_delta
        else:
            better = value > best + cfg.min_delta
        if better:
            best, since = value, 0
        else:
            since += 1
    return since


def stop_reason(history: list[dict[str, Any]], cfg: EarlyStop | None, steps: int, max_steps: int | None) -> str | None:
    """Why no further epoch should run, or None."""
    if max_steps is not None and steps >= max_steps:
        return f"reached train.max_steps ({max_steps} steps)"
    if cfg is not None and history:
        since = epochs_without_improvement(history, cfg)
        if since >= cfg.patience:
            return (f"early stop: {cfg.metric} has not improved for {since} epochs "
                    f"(patience {cfg.patience}, min_delta {cfg.min_delta:g})")
    return None


def batch_count(available: int, limit: int | float | None, fast_dev_run: bool) -> int:
    """Batches an epoch takes out of `available`: all, `limit` of them, or the share `limit` (at least one)."""
    if fast_dev_run:
        return min(1, available)
    if limit is None:
        return available
    if isinstance(limit, int):
        return min(limit, available)
    return max(1, min(available, int(available * limit)))
