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
from archspec.render.model import Options, Picture
from archspec.render.output import write


def picture(ir: IR, opts: Options) -> Picture:
    pic = partition(ir, opts)
    return fold(ir, pic) if opts.fold and opts.level == "block" else pic


DEFAULT = Options()


def dot_source(ir: IR, opts: Options = DEFAULT) -> str:
    return to_dot(ir, picture(ir, opts), opts)


def render(ir: IR, path: str | Path, opts: Options = DEFAULT) -> Path:
    """Draw the IR into `path`; the extension picks the format (.svg .png .pdf .gv .dot)."""
    return write(dot_source(ir, opts), Path(path))


__all__ = ["Options", "Picture", "dot_source", "picture", "render"]
