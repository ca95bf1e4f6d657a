"""Writing a matplotlib figure to the file a `--plot` option names, in the format its suffix says."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from archspec.errors import fail
from archspec.fileio import write_bytes

PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def refuse_plot_suffix(path: Path) -> None:
    """Refuse a `--plot` file whose suffix names no format we write: before any work is done."""
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise fail(f"--plot {path}: the suffix must be {', '.join(PLOT_SUFFIXES[:-1])} or {PLOT_SUFFIXES[-1]} "
                   "(the plot's format is taken from it)", hint=f"for example --plot {path.with_suffix('.svg')}")


def save_figure(fig: Any, path: Path) -> None:
    """Save `fig` atomically as `path`'s suffix says, then close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()  # matplotlib's SVG and PDF writers seek, which the atomic writer's file cannot
    fig.savefig(buf, format=path.suffix.lower().lstrip("."))
    plt.close(fig)
    write_bytes(path, buf.getvalue(), "plot")
