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


def find_unit_cycle(nodes: Nodes) -> tuple[tuple[str, ...], str, str] | None:
    """A cycle between the units of one scope — its direct ops and child scopes — in a graph
    whose ops form a DAG: (the child scope, the node in it that reads, the value it reads
    that is computed from the scope's output). None if every scope's units form a DAG.

    Each edge between two different units of the same scope is an edge of one unit graph
    (units of different scopes are never joined), so one pass over the edges finds them all."""
    units: dict[Any, dict[str, Any]] = {}
    crossing: dict[tuple[Any, Any], tuple[str, str]] = {}
    for n, d in nodes.items():
        for i in d["inputs"]:
            a, b = _units(nodes[i]["module"], i, d["module"], n)
            if a != b:
                units.setdefault(a, {"inputs": []})
                units.setdefault(b, {"inputs": []})["inputs"].append(a)
                crossing.setdefault((a, b), (n, i))
    cycle = find_cycle(units)
    if cycle is None:
        return None
    # `cycle` lists units each feeding the next; name the first edge into a child scope
    for k, b in enumerate(cycle):
        a = cycle[k - 1]
        if isinstance(b, tuple):
            reader, value = crossing[(a, b)]
            return b, reader, value
    raise AssertionError("a cycle of single ops is a cycle of the op graph")  # pragma: no cover


def _units(ma: tuple[str, ...], a: str, mb: tuple[str, ...], b: str) -> tuple[Any, Any]:
    """The units of the innermost scope holding both ends of the edge a -> b."""
    k = 0
    while k < len(ma) and k < len(mb) and ma[k] == mb[k]:
        k += 1
    return (a if len(ma) == k else ma[:k + 1]), (b if len(mb) == k else mb[:k + 1])


@dataclass(frozen=True)
class Head:
    """A training-only side output (auxiliary classifier)."""

    name: str
    source: str
    output: str
    loss_weight: float
    loc: Location
    scope: tuple[str, ...] = ()
    """The module of the head (`("aux1",)`, or `("stage", "aux")` for a nested head)."""


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
    taps: tuple[str, ...] = ()
    """Feature taps (node ids) the compiled module returns as a dict instead of `output`."""
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

    def top_level(self) -> dict[str, list[str]]:
        """Each top-level item of the network (a block instance, a repeat, a head, an op) → its
        op node ids in topological order; items in the order their first op runs."""
        out: dict[str, list[str]] = {}
        for nid, d in self.ops():
            out.setdefault(d["module"][0] if d["module"] else nid, []).append(nid)
        return out

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
