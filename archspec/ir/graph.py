"""The IR: a graph of primitive ops plus what the backends need around it.

`IR.nodes` holds each node's attributes in spec order, its `inputs` being the edges;
`IR.graph` is the same graph as a networkx DiGraph, built on first use, for analyses and
users. The static check itself (lowering, inference, limits, verdict) walks `IR.nodes` with
the two small algorithms below, so `archspec check` does not pay networkx's import time
(over a third of the command's 0.3 s budget).

Node ids are display paths (`Mixed_5b/branch3x3dbl/branch3x3dbl_2`). Each node carries:
`op` (kind), `args` (the op's validated pydantic model), `inputs` (ordered ids — edge order
matters for concat), `name` (its module name inside its scope), `module` (the scope path
of block / seq / repeat / aux modules), `loc`, `head` (aux head name or None), and after
inference `in_shapes`, `shape`, `params`, `buffers`, `macs`.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterator

from archspec.errors import ArchspecError, Location

if TYPE_CHECKING:
    import networkx as nx

Shape = tuple[int, ...]
INPUT = "input"
Nodes = dict[str, dict[str, Any]]


def topological_order(nodes: Nodes) -> list[str]:
    """Kahn's algorithm, ties broken by spec order (networkx's lexicographical sort, keyed)."""
    pos = {n: i for i, n in enumerate(nodes)}
    indegree = {n: len(set(d["inputs"])) for n, d in nodes.items()}
    consumers: dict[str, list[str]] = {n: [] for n in nodes}
    for n, d in nodes.items():
        for i in set(d["inputs"]):
            consumers[i].append(n)
    ready = [(pos[n], n) for n, k in indegree.items() if k == 0]
    heapq.heapify(ready)
    out = []
    while ready:
        _, n = heapq.heappop(ready)
        out.append(n)
        for c in consumers[n]:
            indegree[c] -= 1
            if indegree[c] == 0:
                heapq.heappush(ready, (pos[c], c))
    return out


def find_cycle(nodes: Nodes) -> list[str] | None:
    """One cycle as a list of node ids (each feeds the next, the last feeds the first), or None."""
    left = set(nodes) - set(topological_order(nodes))
    if not left:
        return None
    start = min(left, key=list(nodes).index)
    path, seen = [start], {start: 0}
    while True:  # every node left over has an input that is left over too: walk back to a repeat
        n = next(i for i in nodes[path[-1]]["inputs"] if i in left)
        if n in seen:
            cycle = list(reversed(path[seen[n]:]))
            first = cycle.index(min(cycle, key=list(nodes).index))
            return cycle[first:] + cycle[:first]  # start where the spec first mentions it
        seen[n] = len(path)
        path.append(n)


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
    nodes: Nodes
    output: str
    heads: list[Head] = field(default_factory=list)
    scopes: dict[tuple[str, ...], Scope] = field(default_factory=dict)
    error: ArchspecError | None = None
    """Set by inference when a shape check failed; nodes after the failure lack shapes."""

    def __getitem__(self, nid: str) -> dict[str, Any]:
        return self.nodes[nid]

    @cached_property
    def graph(self) -> "nx.DiGraph":
        """The networkx DiGraph: edges in input order, node attributes shared with `nodes`."""
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(self.nodes)
        for nid, d in self.nodes.items():
            g._node[nid] = d  # share, not copy: the IR has one set of node attributes
            g.add_edges_from((i, nid) for i in d["inputs"])
        return g

    def order(self) -> list[str]:
        """Topological order, ties broken by the spec's own order."""
        return topological_order(self.nodes)

    def ops(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for nid in self.order():
            if nid != INPUT:
                yield nid, self.nodes[nid]

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
