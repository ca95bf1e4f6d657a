"""Feature taps: cut the IR down to a backbone whose outputs are named nodes.

`tap(ir, names)` keeps the taps' ancestors and nothing else — no aux heads, no classifier,
nothing after the last tap — so the compiled module computes only what the taps need;
`inference_only(ir)` drops just the aux heads.
`feature_info` gives each tap's channels and reduction (the input's size over the tap's,
multiplied up op by op from the inferred shapes), from the IR alone: no torch, no forward.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from archspec.errors import ArchspecError, Location, Problem, did_you_mean
from archspec.ir.graph import IR


@dataclass(frozen=True)
class FeatureInfo:
    """One tap: its name (the node id), channels, and stride relative to the input (None once flat)."""

    name: str
    channels: int
    reduction: int | None
    shape: tuple[int, ...]


def tap(ir: IR, names: Sequence[str], locs: Sequence[Location | None] = ()) -> IR:
    """The sub-IR that computes `names` (node ids) and nothing else; `ir.taps` lists them in order."""
    if ir.error:
        raise ir.error
    _check_names(ir, names, locs)
    last = max(names, key=ir.order().index)
    return replace(_cut(ir, names), output=last, taps=tuple(dict.fromkeys(names)))


def inference_only(ir: IR) -> IR:
    """The IR without its aux heads (what eval mode computes), so exports carry no unused weights."""
    return _cut(ir, [ir.output, *ir.taps])


def _cut(ir: IR, targets: Sequence[str]) -> IR:
    """Keep the targets' ancestors; drop the heads and the scopes left empty."""
    keep: set[str] = set()
    todo = list(targets)
    while todo:
        n = todo.pop()
        if n not in keep:
            keep.add(n)
            todo.extend(ir.nodes[n].inputs)
    nodes = {n: d for n, d in ir.nodes.items() if n in keep}
    held = {tuple(n.split("/")[:i]) for n in nodes for i in range(1, n.count("/") + 2)}
    return replace(ir, nodes=nodes, heads=[], scopes={at: s for at, s in ir.scopes.items() if at in held})


def _check_names(ir: IR, names: Sequence[str], locs: Sequence[Location | None]) -> None:
    if not names:
        raise ArchspecError([Problem("no feature taps given", locs[0] if locs else None,
                                     hint="name one or more nodes, e.g. features: [Mixed_5d, Mixed_6e]")])
    problems = []
    candidates = [n for n, d in ir.nodes.items() if not d.source and not d.head]
    for i, n in enumerate(names):
        loc = locs[i] if i < len(locs) else None
        if n not in ir.nodes or ir.nodes[n].source:
            hint = did_you_mean(n, candidates) or "a tap is a node id as `archspec summary` lists it"
            problems.append(Problem(f"unknown feature tap {n!r}", loc, "features", hint))
        elif ir.nodes[n].head:
            problems.append(Problem(f"feature tap {n!r} is inside the auxiliary head {ir.nodes[n].head!r}",
                                    loc, "features", "taps are taken from the main network"))
    if problems:
        raise ArchspecError(problems)


def feature_info(ir: IR, names: Sequence[str] | None = None) -> list[FeatureInfo]:
    """Channels and reduction of each tap (`ir.taps` by default), from the inferred shapes."""
    names = list(ir.taps if names is None else names)
    _check_names(ir, names, ())
    red = reductions(ir)
    return [FeatureInfo(n, ir.shape(n)[0], red[n], ir.shape(n)) for n in names]


def reductions(ir: IR) -> dict[str, int | None]:
    """Each node's stride relative to the input: its inputs' stride times its own downsampling
    (input height over output height, rounded: 299→149 is 2, 8→1 by global pooling is 8)."""
    out: dict[str, int | None] = {}
    for n in ir.order():
        d = ir.nodes[n]
        if d.source:
            out[n] = 1
            continue
        shape = ir.shape(n)
        strides = [(out[i], ir.shape(i)) for i in d.inputs]
        if len(shape) != 3 or any(r is None or len(s) != 3 for r, s in strides):
            out[n] = None
            continue
        out[n] = max(r * max(1, round(s[1] / shape[1])) for r, s in strides if r is not None)
    return out
