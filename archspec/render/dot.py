"""Writing a picture as Graphviz DOT source: nested clusters, boxes, labelled edges.

Only the `graphviz` package's source builder is used here (no binary), so the DOT text is
the same on every machine — which is what the gallery's staleness test compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import graphviz

from archspec.ir.graph import IR
from archspec.ops import REGISTRY, fmt_shape
from archspec.render import labels
from archspec.render.model import CONTAINERS, Box, Group, Options, Overlay, Picture
from archspec.render.style import EDGE, EDGES, GRAPH, NODE, EdgeKind, Palette, box_style, cluster_style, legend

OUTPUT_ID = "network output"
"""An id with a space: no spec name can collide with it (names are identifiers)."""


@dataclass(frozen=True)
class Link:
    src: str
    dst: str
    label: str
    kind: EdgeKind


def links(ir: IR, pic: Picture) -> list[Link]:
    """One edge per pair of boxes, labelled with the tensor it carries; a plain data edge wins
    over a shortcut between the same boxes (a block's input feeds its body and its shortcut)."""
    found: dict[tuple[str, str], Link] = {}
    for nid in ir.order():
        if nid not in pic.owner:
            continue
        d = ir[nid]
        op = REGISTRY[d.op]
        for pos, src in enumerate(d.inputs):
            a, b = pic.owner[src], pic.owner[nid]
            if a == b:
                continue
            note = op.shortcut(d.args) if pos == len(d.inputs) - 1 else None
            shape = fmt_shape(ir.shape(src))
            if d.head is not None and ir[src].head is None:
                link = Link(a, b, shape, "aux")
            elif note is not None:
                link = Link(a, b, f"{note}\\n{shape}", "shortcut")
            else:
                link = Link(a, b, shape, "data")
            if (a, b) not in found or link.kind == "data":
                found[(a, b)] = link
    return list(found.values())


def visible_clusters(pic: Picture) -> dict[str, Group]:
    """Open groups that hold something; a `seq`/`repeat` around a single thing adds nothing."""
    children: dict[str, set[str]] = {}
    for box in pic.boxes.values():
        chain = box.clusters + (box.id,)
        for outer, inner in pairwise(chain):
            children.setdefault(outer, set()).add(inner)
    return {p: g for p, g in pic.groups.items() if p in children and not (
        g.scope.kind in CONTAINERS and len(children[p]) == 1)}


def to_dot(ir: IR, pic: Picture, opts: Options, overlay: Overlay | None = None) -> str:
    palette = Palette.of(ir)
    clusters = visible_clusters(pic)
    edges = links(ir, pic)
    key = legend(ir, pic, palette, list(clusters.values()), {e.kind for e in edges}, overlay)
    g = graphviz.Digraph(labels.dot_text(ir.name), graph_attr={**GRAPH, "rankdir": opts.rankdir,
                                              "label": labels.title(ir, opts.level, key)},
                         node_attr=NODE, edge_attr=EDGE)
    _emit(g, None, ir, pic, clusters, palette, overlay)
    for link in edges:
        g.edge(labels.dot_text(link.src), labels.dot_text(link.dst), label=graphviz.nohtml(link.label),
               **EDGES[link.kind])
    if ir.ok:
        g.node(OUTPUT_ID, labels.html(["<b>output</b>"]), shape="oval")
        g.edge(labels.dot_text(pic.owner[ir.output]), OUTPUT_ID, label=fmt_shape(ir.shape(ir.output)))
    return g.source


def _emit(g: graphviz.Digraph, here: str | None, ir: IR, pic: Picture, clusters: dict[str, Group],
          palette: Palette, overlay: Overlay | None) -> None:
    """Add the boxes and sub-clusters whose innermost visible cluster is `here`, in spec order."""
    for item in _children(pic, clusters, here):
        if isinstance(item, Box):
            label = labels.group_label(ir, pic, item, here) if item.kind == "group" else (
                labels.op_label(ir, item) if item.kind == "op" else labels.input_label(ir))
            tip = {} if item.kind == "input" else {"tooltip": labels.tooltip(ir, item)}
            g.node(labels.dot_text(item.id), label, **box_style(ir, pic, item, palette, overlay), **tip)
        else:
            with g.subgraph(name=labels.dot_text("cluster_" + item.path)) as sub:
                sub.attr(label=labels.cluster_label(ir, item), **cluster_style(ir, item, palette))
                _emit(sub, item.path, ir, pic, clusters, palette, overlay)


def _children(pic: Picture, clusters: dict[str, Group], here: str | None) -> list[Box | Group]:
    out: dict[tuple[str, str], Box | Group] = {}
    for box in pic.boxes.values():
        chain = [c for c in box.clusters if c in clusters]
        if here is None:
            key = chain[0] if chain else None
        elif here in chain:
            i = chain.index(here)
            key = chain[i + 1] if i + 1 < len(chain) else None
        else:
            continue
        if key is None:
            out[("box", box.id)] = box
        else:
            out.setdefault(("cluster", key), clusters[key])
    return list(out.values())
