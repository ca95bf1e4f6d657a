"""The run directory and the files rank 0 keeps in it.

    RUN/spec.yaml      the fully resolved spec, its recipe in place of `train:`
    RUN/last.pt        the latest checkpoint; RUN/best.pt the one with the best val top-1
    RUN/metrics.csv    one row per epoch
    RUN/curves.png     loss, accuracy and learning rate vs epoch
    RUN/tb/            TensorBoard: per-step loss and lr, per-epoch metrics, the spec, hparams
    RUN/summary.json   written at the end (also when a run stops on a bad loss)

metrics.csv and curves.png are rewritten from the epoch history the checkpoint carries,
so after a crash and `--resume` they hold each epoch exactly once. Every file is written
through `archspec.fileio` (atomic, one clear error naming the path).

TensorBoard's x axis is the global optimizer step for every scalar (as Lightning logs it):
`step/loss` and `step/lr` every `train.tensorboard_every` steps, the epoch metrics at the
step that ended their epoch. A resumed run purges what the killed one wrote after its last
checkpoint's step, so no point appears twice.

`--out` names a folder that does not exist yet or is empty: train never writes its files
into a folder that holds anything else (a user's own spec.yaml, say), and a folder that
holds a run is continued with `--resume`, not overwritten.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from archspec.errors import ArchspecError, fail
from archspec.fileio import remove_stale_temps, write_error, write_text, write_with
from archspec.train.checkpoint import LAST

CURVES_EVERY_S = 30.0
"""curves.png is redrawn at most this often during a run (drawing costs about a second), and at its end."""
COLUMNS = ("epoch", "train_loss", "train_top1", "train_top5", "val_loss", "val_top1", "val_top5",
           "lr", "images_per_s", "seconds")


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in tree.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


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
    if out.exists() and not out.is_dir():
        raise fail(f"--out {out} is a file, not a folder", hint="name a new folder for the run directory")
    if out.is_dir():
        remove_stale_temps(out)
        kept = sorted(p.name for p in out.iterdir())
        if kept:
            shown = ", ".join(kept[:5]) + (f" and {len(kept) - 5} more" if len(kept) > 5 else "")
            raise fail(f"--out {out} is a folder that already holds files ({shown}); a run would overwrite "
                       "its spec.yaml, metrics.csv and summary.json",
                       hint="name a new folder (train creates it) or an empty one; a run that stopped before "
                            "its first checkpoint leaves only spec.yaml and tb/, which can be removed")
    return out


class RunFiles:
    """metrics.csv, curves.png, TensorBoard and summary.json of one run (rank 0 only)."""

    def __init__(self, root: Path, title: str, history: list[dict[str, Any]], step: int = 0) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.root = root
        self.title = title
        self.history = list(history)
        try:
            root.mkdir(parents=True, exist_ok=True)
            self.tb = SummaryWriter(str(root / "tb"), purge_step=step + 1)
        except OSError as e:
            raise write_error(root, e, "run directory") from None
        self.drawn = time.monotonic()

    def write_spec(self, text: str) -> None:
        write_text(self.root / "spec.yaml", text, "the run's spec")
        # TensorBoard renders text as markdown; indenting makes it a code block
        self._tb(lambda: self.tb.add_text("spec", "\n".join("    " + line for line in text.splitlines()), 0))

    def _tb(self, write: Callable[[], None]) -> None:
        try:
            write()
        except OSError as e:  # TensorBoard writes its event files itself, not through archspec.fileio
            raise write_error(self.root / "tb", e, "TensorBoard logs") from None

    def add_step(self, step: int, loss: float, lr: float) -> None:
        def write() -> None:
            self.tb.add_scalar("step/loss", loss, step)
            self.tb.add_scalar("step/lr", lr, step)
        self._tb(write)

    def add_hparams(self, recipe: dict[str, Any], final: dict[str, Any]) -> None:
        """The recipe's scalar fields (flattened: optimizer.lr) next to the final metrics."""
        hparams = {k: v for k, v in _flatten(recipe).items() if isinstance(v, (int, float, str, bool))}
        metrics = {f"final/{k}": float(final[k]) for k in COLUMNS[1:8]}
        self._tb(lambda: self.tb.add_hparams(hparams, metrics, run_name="hparams"))

    def add_epoch(self, record: dict[str, Any]) -> None:
        self.history.append(record)
        out = io.StringIO()
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: r[k] for k in COLUMNS} for r in self.history)
        write_text(self.root / "metrics.csv", out.getvalue(), "metrics")
        step = record.get("step", record["epoch"])

        def write() -> None:
            self.tb.add_scalar("epoch", record["epoch"], step)
            for key in COLUMNS[1:]:
                split, _, metric = key.partition("_")
                tag = f"{metric}/{split}" if split in ("train", "val") else key
                self.tb.add_scalar(tag, record[key], step)
            self.tb.flush()
        self._tb(write)
        if time.monotonic() - self.drawn >= CURVES_EVERY_S:
            self.draw()

    def draw(self) -> None:
        if self.history:
            # matplotlib takes half a second to import; ranks other than 0 and `eval` never draw
            from archspec.train.curves import plot_curves

            figure = plot_curves(self.history, self.title)
            write_with(self.root / "curves.png", lambda f: figure.savefig(f, format="png", dpi=100), "curves")
        self.drawn = time.monotonic()

    def write_summary(self, summary: dict[str, Any]) -> None:
        write_text(self.root / "summary.json", json.dumps(summary, indent=2) + "\n", "summary")

    def close(self, quiet: bool = False) -> None:
        """Final curves and event files; called at the end of a run and when it stops. `quiet`: an
        error is already being reported, so a second one (the same full disk) is not raised over it."""
        try:
            self.draw()
        except ArchspecError:
            if not quiet:
                raise
        finally:
            self.tb.close()
