"""Architecture diagrams: the annotated IR → Graphviz DOT → SVG, PNG or PDF.

Pipeline: `partition` (what each box stands for) → `fold` (×N runs) → `to_dot` (clusters,
styling, legend) → `write` (the file). Nothing here imports torch.
"""

from __future__ import annotations

from pathlib import Path

from archspec.ir.graph import IR
from archspec.render.dot import to_dot
from archspec.render.fold import fold
from archspec.render.groups import partition
from archspec.render.model import Options, Overlay, Picture
from archspec.render.output import write


def picture(ir: IR, opts: Options, overlay: Overlay | None = None) -> Picture:
    pic = partition(ir, opts)
    return fold(ir, pic, overlay) if opts.fold and opts.level == "block" else pic


DEFAULT = Options()


def dot_source(ir: IR, opts: Options = DEFAULT, overlay: Overlay | None = None) -> str:
    return to_dot(ir, picture(ir, opts, overlay), opts, overlay)


def render(ir: IR, path: str | Path, opts: Options = DEFAULT, overlay: Overlay | None = None) -> Path:
    """Draw the IR into `path`; the extension picks the format (.svg .png .pdf .gv .dot).
    With an `overlay`, what differs from another spec is marked (`archspec render --diff`)."""
    return write(dot_source(ir, opts, overlay), Path(path))


__all__ = ["Options", "Overlay", "Picture", "dot_source", "picture", "render"]
