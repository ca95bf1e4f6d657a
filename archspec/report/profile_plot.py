"""The `archspec profile --plot` chart: each block's median time as a horizontal bar, forward
then backward stacked, slowest on top. Drawn with matplotlib's object interface and the Agg
canvas (no global pyplot state, no display), so one figure is saved as SVG, PNG or PDF alike;
a module of its own so that the text reports never import matplotlib."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from archspec.report.profile import block_rows

if TYPE_CHECKING:
    from archspec.torch_backend.profile import Profile

def plot_profile(p: Profile) -> Figure:
    rs = block_rows(p)[::-1]  # barh draws the first row at the bottom
    names = [r["block"] for r in rs]
    fwd = [r["forward_ms"] or 0.0 for r in rs]
    bwd = [r.get("backward_ms") or 0.0 for r in rs]
    fig = Figure(figsize=(9, 1.2 + 0.25 * len(rs)))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.barh(names, fwd, color="#4e79a7", label="forward")
    if p.train:
        ax.barh(names, bwd, left=fwd, color="#f28e2b", label="backward")
    for y, (f, b) in enumerate(zip(fwd, bwd)):
        ax.annotate(f"{f + b:.2f}", (f + b, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set(xlabel="ms per block (median)", title=f"{p.spec}: batch {p.batch}, {p.device}")
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
