"""How things look: Graphviz attributes for boxes, edges and clusters, and the legend.

Op colours come from the op registry (each op kind owns its colour); block templates get
colours from a fixed palette in order of first use, so stages of an Inception network
read as bands of colour and the same module has the same colour in every picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Literal

from archspec.ir.graph import IR, MODULES
from archspec.ops import REGISTRY
from archspec.render.model import Box, Group, Overlay, Picture

EdgeKind = Literal["data", "shortcut", "aux"]

FONT = "Helvetica"
INK = "#444444"
ERROR_FILL, ERROR_LINE, ERROR_TEXT = "#f4a6a6", "#cc0000", "#990000"
RESIDUAL_LINE = "#e69138"
AUX_FILL, AUX_LINE = "#f3f3f3", "#999999"
DIFF_LINE = {"added": "#38761d", "changed": "#1155cc"}
BLOCK_PALETTE = ("#a4c2f4", "#b6d7a8", "#ffe599", "#f9cb9c", "#b4a7d6", "#a2c4c9", "#d5a6bd", "#c9daf8",
                 "#d9ead3", "#fff2cc")

GRAPH = {"fontname": FONT, "labelloc": "t", "fontsize": "14", "newrank": "true", "nodesep": "0.25",
         "ranksep": "0.35", "bgcolor": "white"}
NODE = {"fontname": FONT, "fontsize": "11", "color": INK, "penwidth": "1"}
EDGE = {"fontname": FONT, "fontsize": "9", "color": INK, "fontcolor": INK, "arrowsize": "0.7"}
EDGES: dict[EdgeKind, dict[str, str]] = {
    "data": {},
    "shortcut": {"color": RESIDUAL_LINE, "fontcolor": "#b45f06", "style": "dashed", "penwidth": "2"},
    "aux": {"color": AUX_LINE, "fontcolor": AUX_LINE, "style": "dashed"},
}


@dataclass(frozen=True)
class Palette:
    """Block template → fill colour, fixed for one picture."""

    blocks: dict[str, str]

    @classmethod
    def of(cls, ir: IR) -> Palette:
        kinds = list(dict.fromkeys(s.block for s in ir.scopes.values() if s.block))
        return cls({k: BLOCK_PALETTE[i % len(BLOCK_PALETTE)] for i, k in enumerate(kinds)})


def is_head(ir: IR, box: Box) -> bool:
    return ir[box.output].head is not None


def has_error(ir: IR, box: Box) -> bool:
    return any(ir[m].error is not None for m in box.members)


def is_residual(ir: IR, nid: str) -> bool:
    d = ir[nid]
    return d.shape is not None and d.op in REGISTRY and REGISTRY[d.op].shortcut(d.args) is not None


def box_style(ir: IR, pic: Picture, box: Box, palette: Palette, overlay: Overlay | None = None) -> dict[str, str]:
    if box.kind == "input":
        attrs = {"shape": "oval", "style": "filled", "fillcolor": "white"}
    elif box.kind == "op":
        op = REGISTRY[ir[box.output].op]
        attrs = {"shape": "invtrapezium" if op.arity == "many" else "box",
                 "style": "rounded,filled" if op.arity != "many" else "filled", "fillcolor": op.color}
    else:
        scope = pic.groups[box.id].scope
        # an inline structure (a `concat` item written in place) has no template: colour it as its merge
        fill = palette.blocks[scope.block] if scope and scope.block else REGISTRY[ir[box.output].op].color
        attrs = {"shape": "box", "style": "filled", "fillcolor": fill, "margin": "0.12,0.06"}
        if len(box.instances) > 1:
            attrs["peripheries"] = "2"
        if is_residual(ir, box.output):
            attrs.update(color=RESIDUAL_LINE, penwidth="2.5")
    if box.kind != "input" and is_head(ir, box):
        attrs.update(style=attrs["style"] + ",dashed", color=AUX_LINE, fontcolor="#555555")
        if box.kind == "group":
            attrs["fillcolor"] = AUX_FILL
    status = overlay.status(box) if overlay else None
    if status:
        attrs.update(color=DIFF_LINE[status], penwidth="4")
    if has_error(ir, box):
        attrs.update(fillcolor=ERROR_FILL, color=ERROR_LINE, penwidth="3")
    return attrs


def cluster_style(ir: IR, group: Group, palette: Palette) -> dict[str, str]:
    scope = group.scope
    if scope.kind not in MODULES:
        return {"style": "dotted", "color": "#888888", "fontsize": "9", "fontcolor": "#666666"}
    if scope.kind == "aux":
        return {"style": "dashed,filled", "color": AUX_LINE, "fillcolor": "#fafafa", "fontsize": "11"}
    if scope.kind == "block":
        return {"style": "rounded,filled", "color": palette.blocks.get(scope.block or "", INK), "penwidth": "2.5",
                "fillcolor": "#fcfcfc", "fontsize": "12"}
    return {"style": "rounded", "color": "#bbbbbb", "fontsize": "12", "fontcolor": "#666666"}


def legend(ir: IR, pic: Picture, palette: Palette, clusters: list[Group], edge_kinds: set[str],
           overlay: Overlay | None = None) -> str:
    """Three columns (ops, blocks, marks) listing only what this picture uses."""
    boxes = list(pic.boxes.values())
    ops = dict.fromkeys(ir[b.output].op for b in boxes if b.kind == "op")
    scopes = [pic.groups[b.id].scope for b in boxes if b.kind == "group"] + [c.scope for c in clusters]
    blocks = dict.fromkeys(s.block for s in scopes if s.kind == "block" and s.block)
    marks = []
    if any(len(b.instances) > 1 for b in boxes):
        marks.append("double border, ×N: N identical consecutive blocks")
    if any(b.kind == "op" and REGISTRY[ir[b.output].op].arity == "many" for b in boxes):
        marks.append("trapezium: merge point (concat, add, residual)")
    if any(b.kind == "group" and is_residual(ir, b.output) for b in boxes):
        marks.append(f'<font color="{RESIDUAL_LINE}">orange border: residual block, scale in the label</font>')
    if "shortcut" in edge_kinds:
        marks.append(f'<font color="{RESIDUAL_LINE}">orange dashed edge: residual shortcut, with its scale</font>')
    if any(is_head(ir, b) for b in boxes):
        marks.append(f'<font color="{AUX_LINE}">grey dashed: auxiliary head, training only</font>')
    if any(has_error(ir, b) for b in boxes):
        marks.append(f'<font color="{ERROR_LINE}">red: the node whose shape check failed</font>')
    if overlay is not None:
        against = escape(overlay.against)
        for status in ("added", "changed"):
            if any(overlay.status(b) == status for b in boxes):
                marks.append(f'<font color="{DIFF_LINE[status]}">thick {"green" if status == "added" else "blue"} '
                             f'border: {status} against {against}</font>')
        if overlay.removed:
            marks.append(f"removed against {against}: {escape(', '.join(overlay.removed))}")
    marks.append("edge labels: tensor shape C×H×W")
    columns = [[_swatch(REGISTRY[k].color, k) for k in ops], [_swatch(palette.blocks[k], k) for k in blocks],
               [f'<td align="left" colspan="2">{m}</td>' for m in marks]]
    titles = [t for t, col in zip(("ops", "blocks", "marks"), columns) if col]
    columns = [col for col in columns if col]
    # one flat grid: nested tables would be stretched by Graphviz to fill their cells
    gap = '<td width="16"></td>'
    rows = [gap.join(f'<td align="left" colspan="2"><b>{t}</b></td>' for t in titles)]
    for i in range(max(len(col) for col in columns)):
        rows.append(gap.join(col[i] if i < len(col) else '<td colspan="2"></td>' for col in columns))
    return ('<font point-size="11"><table border="0" cellspacing="2" cellpadding="1">'
            + "".join(f"<tr>{r}</tr>" for r in rows) + "</table></font>")


def _swatch(fill: str, text: str) -> str:
    return (f'<td bgcolor="{fill}" border="1" fixedsize="true" width="22" height="12"></td>'
            f'<td align="left">{text}</td>')
