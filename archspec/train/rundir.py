"""The run directory and the files rank 0 keeps in it.

    RUN/spec.yaml      the fully resolved spec, its recipe in place of `train:`
    RUN/last.pt        the latest checkpoint; RUN/best.pt the one with the best val top-1
    RUN/metrics.csv    one row per epoch
    RUN/curves.png     loss and accuracy vs epoch
    RUN/tb/            TensorBoard event files
    RUN/summary.json   written at the end (also when a run stops on a bad loss)

metrics.csv and curves.png are rewritten from the epoch history the checkpoint carries,
so after a crash and `--resume` they hold each epoch exactly once.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

from archspec.errors import fail
from archspec.train.checkpoint import LAST
from archspec.train.curves import plot_curves

CURVES_EVERY_S = 30.0
"""curves.png is redrawn at most this often during a run (drawing costs about a second), and at its end."""
COLUMNS = ("epoch", "train_loss", "train_top1", "train_top5", "val_loss", "val_top1", "val_top5",
           "lr", "images_per_s", "seconds")


def new_run_dir(out: Path | None, name: str) -> Path:
    """`out`, or runs/NAME-TIMESTAMP; never one that already holds a run."""
    if out is None:
        out = Path("runs") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
        base, n = out, 1
        while out.exists():
            out, n = base.with_name(f"{base.name}-{n}"), n + 1
    if (out / LAST).exists():
        raise fail(f"{out} already holds a run ({LAST})",
                   hint=f"continue it with --resume {out}, or choose another --out")
    return out


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


class RunFiles:
    """metrics.csv, curves.png, TensorBoard and summary.json of one run (rank 0 only)."""

    def __init__(self, root: Path, title: str, history: list[dict[str, Any]]) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.root = root
        self.title = title
        self.history = list(history)
        root.mkdir(parents=True, exist_ok=True)
        self.tb = SummaryWriter(str(root / "tb"), purge_step=len(history) + 1)
        self.drawn = time.monotonic()

    def write_spec(self, text: str) -> None:
        _write_text(self.root / "spec.yaml", text)

    def add_epoch(self, record: dict[str, Any]) -> None:
        self.history.append(record)
        out = io.StringIO()
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: r[k] for k in COLUMNS} for r in self.history)
        _write_text(self.root / "metrics.csv", out.getvalue())
        step = record["epoch"]
        for key in COLUMNS[1:]:
            split, _, metric = key.partition("_")
            tag = f"{metric}/{split}" if split in ("train", "val") else key
            self.tb.add_scalar(tag, record[key], step)
        self.tb.flush()
        if time.monotonic() - self.drawn >= CURVES_EVERY_S:
            self.draw()

    def draw(self) -> None:
        if self.history:
            plot_curves(self.history, self.root / "curves.png", self.title)
        self.drawn = time.monotonic()

    def write_summary(self, summary: dict[str, Any]) -> None:
        _write_text(self.root / "summary.json", json.dumps(summary, indent=2) + "\n")

    def close(self) -> None:
        """Final curves and event files; called at the end of a run and when it stops."""
        self.draw()
        self.tb.close()
