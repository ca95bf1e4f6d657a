"""The figure of `curves.png`: loss, top-1 accuracy (train and validation) and learning rate per epoch.

The run directory writes it (archspec.train.rundir). Drawn with matplotlib's object
interface and the Agg canvas, so it never touches the global pyplot state or needs a display.
Epochs are whole numbers, so the x axes tick at integers only.
"""

from __future__ import annotations

from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def plot_curves(history: list[dict[str, Any]], title: str) -> Figure:
    epochs = [r["epoch"] for r in history]
    fig = Figure(figsize=(14, 4))
    FigureCanvasAgg(fig)
    loss_ax, acc_ax, lr_ax = fig.subplots(1, 3)
    for split in ("train", "val"):
        loss_ax.plot(epochs, [r[f"{split}_loss"] for r in history], marker="o", label=split)
        acc_ax.plot(epochs, [100 * r[f"{split}_top1"] for r in history], marker="o", label=split)
    lr_ax.plot(epochs, [r["lr"] for r in history], marker="o", color="tab:green", label="at the epoch's start")
    loss_ax.set(xlabel="epoch", ylabel="loss", title="loss")
    acc_ax.set(xlabel="epoch", ylabel="top-1 accuracy (%)", title="top-1 accuracy")
    lr_ax.set(xlabel="epoch", ylabel="learning rate", title="learning rate")
    for ax in (loss_ax, acc_ax, lr_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.13, top=0.85, wspace=0.25)
    return fig
