"""The IR: a graph of primitive ops plus what the backends need around it.

`IR.nodes` holds each node's attributes in spec order, its `inputs` being the edges;
`IR.graph` is the same graph as a networkx DiGraph, built on first use, for analyses and
users. The static check itself (lowering, inference, limits, verdict) walks `IR.nodes` with
the two small algorithms below, so `archspec check` does not pay networkx's import time
(over a third of the command's 0.3 s budget).

Node ids are display paths (`Mixed_5b/branch3x3dbl/branch3x3dbl_2`); each node is a `Node`.
`IR.scopes` is the one hierarchy they follow: a node's id is the path of the innermost scope
holding it (or nothing, at the top level) plus its name — except a block whose whole body is
one item, which that item's node takes as its own id (`Mixed_5b`, its concat). The torch
module path of each node (`Node.scope`) is the `module` of that same innermost scope.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Hashable, Iterator, Mapping, Sequence, TypeVar

from archspec.errors import ArchspecError, Location
from archspec.ops.base import REGISTRY, Cost

if TYPE_CHECKING:
    import networkx as nx

    from archspec.ir.pending import PendingArgs

Shape = tuple[int, ...]
INPUT = "input"


@dataclass
class Node:
    """One primitive op of the IR. Lowering fixes everything but `args` of a `pending` node;
    inference fills `shape` and `cost` (or `error`) on every node it reaches."""

    op: str
    args: Any
    """The op's validated pydantic args model; None while `pending`."""
    inputs: list[str]
    """Node ids, in order: edge order matters (concat, a residual's shortcut last)."""
    name: str
    """Its module name inside its scope."""
    scope: tuple[str, ...]
    """The module path of the block / seq / repeat / aux instances holding it: `IR.modules`' key."""
    path: str
    """Its id: the display path, inside the innermost of `IR.scopes` holding it."""
    loc: Location
    head: str | None = None
    """The aux head it belongs to, if any."""
    pending: PendingArgs | None = None
    """Arguments that read the input shape, validated during inference."""
    shape: Shape | None = None
    cost: Cost | None = None
    error: str | None = None
    """Why inference stopped at this node."""

    @property
    def source(self) -> bool:
        """A node with no inputs: the network's input."""
        return REGISTRY[self.op].arity == "none"

    @property
    def params(self) -> int:
        return self.cost.params if self.cost else 0

    @property
    def buffers(self) -> int:
        return self.cost.buffers if self.cost else 0

    @property
    def macs(self) -> int:
        return self.cost.macs if self.cost else 0


Nodes = dict[str, Node]


K = TypeVar("K", bound=Hashable)


def topological_order(edges: Mapping[K, Sequence[K]]) -> list[K]:
    """Each vertex → the vertices it reads, in spec order: Kahn's algorithm, ties broken by spec order (networkx's lexicographical sort, keyed)."""
    pos = {n: i for i, n in enumerate(edges)}
    indegree = {n: len(set(ins)) for n, ins in edges.items()}
    consumers: dict[K, list[K]] = {n: [] for n in edges}
    for n, ins in edges.items():
        for i in set(ins):
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


def find_cycle(edges: Mapping[K, Sequence[K]]) -> list[K] | None:
    """One cycle as a list of vertices (each feeds the next, the last feeds the first), or None."""
    ordered: list[K] = topological_order(edges)
    left = set(edges) - set(ordered)
    if not left:
        return None
    start = min(left, key=list(edges).index)
    path, seen = [start], {start: 0}
    while True:  # every node left over has an input that is left over too: walk back to a repeat
        n = next(i for i in edges[path[-1]] if i in left)
        if n in seen:
            cycle = list(reversed(path[seen[n]:]))
            first = cycle.index(min(cycle, key=list(edges).index))
            return cycle[first:] + cycle[:first]  # start where the spec first mentions it
        seen[n] = len(path)
        path.append(n)


Unit = str | tuple[str, ...]
"""A unit of a scope: one of its direct ops (node id) or one of its child scopes."""


def edges(nodes: Nodes) -> dict[str, list[str]]:
    return {n: d.inputs for n, d in nodes.items()}


def find_unit_cycle(nodes: Nodes) -> tuple[tuple[str, ...], str, str] | None:
    """A cycle between the units of one scope — its direct ops and child scopes — in a graph
    whose ops form a DAG: (the child scope, the node in it that reads, the value it reads
    that is computed from the scope's output). None if every scope's units form a DAG.

    Each edge between two different units of the same scope is an edge of one unit graph
    (units of different scopes are never joined), so one pass over the edges finds them all."""
    units: dict[Unit, list[Unit]] = {}
    crossing: dict[tuple[Unit, Unit], tuple[str, str]] = {}
    for n, d in nodes.items():
        for i in d.inputs:
            a, b = _units(nodes[i].scope, i, d.scope, n)
            if a != b:
                units.setdefault(a, [])
                units.setdefault(b, []).append(a)
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


def _units(ma: tuple[str, ...], a: str, mb: tuple[str, ...], b: str) -> tuple[Unit, Unit]:
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


MODULES = ("block", "seq", "repeat", "aux")
"""Scope kinds that compile to a module of their own. The others — a `concat` / `add` /
`residual` item's branches or body, and a sequence branch — group what they hold in the
display path only, inside the module that holds them."""


@dataclass(frozen=True)
class Scope:
    """One scope of the IR's one hierarchy, which node ids (display paths) follow: a block
    instance, a `seq`, a `repeat`, an `aux` head, or a group (see `MODULES`)."""

    at: tuple[str, ...]
    """The segments of its display path: its key in `IR.scopes`, a prefix of each node id it holds."""
    module: tuple[str, ...]
    """The module it compiles to; for a group, the module holding it."""
    kind: str
    block: str | None
    loc: Location
    args: tuple[tuple[str, Any], ...] = ()

    @property
    def path(self) -> str:
        return "/".join(self.at)


@dataclass
class IR:
    name: str
    ref: str
    input_shape: Shape
    nodes: Nodes
    output: str
    heads: list[Head] = field(default_factory=list)
    scopes: dict[tuple[str, ...], Scope] = field(default_factory=dict)
    """Every scope, outer before inner, keyed by its display path's segments."""
    taps: tuple[str, ...] = ()
    """Feature taps (node ids) the compiled module returns as a dict instead of `output`."""
    scaling: tuple[tuple[str, float], ...] = ()
    """The multipliers that changed the spec's network, as (`width` | `depth` | `resolution`, value)."""
    error: ArchspecError | None = None
    """Set by inference when a shape check failed; nodes after the failure lack shapes."""

    @cached_property
    def modules(self) -> dict[tuple[str, ...], Scope]:
        """The scopes that compile to modules, keyed by module path (a node's `scope`)."""
        return {s.module: s for s in self.scopes.values() if s.kind in MODULES}

    def __getitem__(self, nid: str) -> Node:
        try:
            return self.nodes[nid]
        except KeyError:
            raise KeyError(self._no_node(nid)) from None

    def _no_node(self, nid: str) -> str:
        """Why `ir[nid]` finds nothing: a scope's id names no node, else a near miss."""
        from archspec.errors import did_you_mean

        scope = self.scopes.get(tuple(nid.split("/")))
        if scope is not None:
            inner = [n for n in self.nodes if n.startswith(nid + "/")]
            return (f"{nid!r} is a {scope.kind} scope, not a node; its last op is {inner[-1]!r}" if inner
                    else f"{nid!r} is a {scope.kind} scope, not a node")
        return f"no node {nid!r} in {self.name}" + (f"; {hint}" if (hint := did_you_mean(nid, self.nodes)) else "")

    def shape(self, nid: str) -> Shape:
        """A node's inferred output shape: for backends, which see only an IR that inferred."""
        s = self.nodes[nid].shape
        if s is None:
            raise AssertionError(f"{nid!r} has no inferred shape: the IR failed ({self.error})")
        return s

    def in_shapes(self, nid: str) -> list[Shape]:
        return [self.shape(i) for i in self.nodes[nid].inputs]

    @cached_property
    def graph(self) -> "nx.DiGraph":
        """The networkx DiGraph: edges in input order, each node's `node` attribute its `Node`."""
        import networkx as nx

        g = nx.DiGraph()
        for nid, d in self.nodes.items():
            g.add_node(nid, node=d)
            g.add_edges_from((i, nid) for i in d.inputs)
        return g

    def order(self) -> list[str]:
        """Topological order, ties broken by the spec's own order."""
        return topological_order(edges(self.nodes))

    def ops(self) -> Iterator[tuple[str, Node]]:
        """The nodes that compute, in topological order: every node but the sources."""
        for nid in self.order():
            if not self.nodes[nid].source:
                yield nid, self.nodes[nid]

    def sources(self) -> list[str]:
        return [nid for nid, d in self.nodes.items() if d.source]

    def top_level(self) -> dict[str, list[str]]:
        """Each top-level item of the network (a block instance, a repeat, a head, an op) → its
        op node ids in topological order; items in the order their first op runs."""
        out: dict[str, list[str]] = {}
        for nid, d in self.ops():
            out.setdefault(d.scope[0] if d.scope else nid, []).append(nid)
        return out

    @property
    def ok(self) -> bool:
        return self.error is None

    def cost_of(self, nids: Sequence[str]) -> Cost:
        """The summed params, buffers and MACs of some inferred nodes (a block's, a network's)."""
        ds = [self.nodes[n] for n in nids]
        return Cost(sum(d.params for d in ds), sum(d.buffers for d in ds), sum(d.macs for d in ds))

    def totals(self, include_heads: bool = True) -> dict[str, int]:
        c = self.cost_of([nid for nid, d in self.ops() if include_heads or not d.head])
        return {"params": c.params, "buffers": c.buffers, "macs": c.macs}
