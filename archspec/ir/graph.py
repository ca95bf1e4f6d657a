"""The IR: a networkx DiGraph of primitive ops plus what the backends need around it.

Node ids are display paths (`Mixed_5b/branch3x3dbl/branch3x3dbl_2`). Each node carries:
`op` (kind), `args` (the op's validated pydantic model), `inputs` (ordered ids — edge order
matters for concat), `name` (its module name inside its scope), `module` (the scope path
of block / seq / repeat / aux modules), `loc`, `head` (aux head name or None), and after
inference `in_shapes`, `shape`, `params`, `buffers`, `macs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import networkx as nx

from archspec.errors import ArchspecError, Location

Shape = tuple[int, ...]
INPUT = "input"


@dataclass(frozen=True)
class Head:
    """A training-only side output (auxiliary classifier)."""

    name: str
    source: str
    output: str
    loss_weight: float
    loc: Location


@dataclass(frozen=True)
class Scope:
    """A module scope: a block instance, a `seq`, a `repeat` or an `aux` head."""

    module: tuple[str, ...]
    path: str
    kind: str
    block: str | None
    loc: Location
    args: tuple[tuple[str, Any], ...] = ()


@dataclass
class IR:
    name: str
    ref: str
    input_shape: Shape
    graph: nx.DiGraph
    output: str
    heads: list[Head] = field(default_factory=list)
    scopes: dict[tuple[str, ...], Scope] = field(default_factory=dict)
    error: ArchspecError | None = None
    """Set by inference when a shape check failed; nodes after the failure lack shapes."""

    def __getitem__(self, nid: str) -> dict[str, Any]:
        return self.graph.nodes[nid]

    def order(self) -> list[str]:
        """Topological order, ties broken by the spec's own order."""
        pos = {n: i for i, n in enumerate(self.graph.nodes)}
        return list(nx.lexicographical_topological_sort(self.graph, key=pos.__getitem__))

    def ops(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for nid in self.order():
            if nid != INPUT:
                yield nid, self.graph.nodes[nid]

    @property
    def ok(self) -> bool:
        return self.error is None

    def totals(self, include_heads: bool = True) -> dict[str, int]:
        t = {"params": 0, "buffers": 0, "macs": 0}
        for _, d in self.ops():
            if d.get("head") and not include_heads:
                continue
            for k in t:
                t[k] += d.get(k, 0)
        return t
