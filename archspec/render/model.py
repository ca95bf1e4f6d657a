"""What a diagram shows, independent of Graphviz: boxes (drawn nodes), groups, options.

The IR has one node per primitive op; a picture has one box per thing the reader should
see — a block instance, a folded run of identical blocks, or a single op. Keeping this
model apart from the DOT writer lets folding and grouping be tested without Graphviz.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from archspec.ir.compare import Diff
from archspec.ir.graph import Scope

Level = Literal["block", "op"]
BoxKind = Literal["input", "op", "group"]
CONTAINERS = ("seq", "repeat")
"""Scope kinds that only group other things: drawn as clusters, never as one box."""


@dataclass(frozen=True)
class Options:
    level: Level = "block"
    fold: bool = True
    expand: tuple[str, ...] = ()
    rankdir: Literal["TB", "LR"] = "TB"


@dataclass(frozen=True)
class Overlay:
    """What `render --diff` marks: op node ids of this spec that another one lacks or has otherwise,
    and the names of what only the other has (listed in the legend: it has no place to be drawn)."""

    against: str
    added: frozenset[str] = frozenset()
    changed: frozenset[str] = frozenset()
    removed: tuple[str, ...] = ()

    @classmethod
    def of(cls, d: Diff) -> Overlay:
        """From an op-level comparison of another spec (A) with the one drawn (B)."""
        if d.level != "op":
            raise ValueError("an overlay marks ops: compare at level 'op'")
        removed = dict.fromkeys(n.path.split("/", 1)[0] for n in d.nodes if n.status == "removed")
        return cls(d.a, frozenset(n.path for n in d.nodes if n.status == "added"),
                   frozenset(n.path for n in d.nodes if n.status == "changed"), tuple(removed))

    def status(self, box: Box) -> str | None:
        if box.kind == "input":
            return None
        if all(m in self.added for m in box.members):
            return "added"
        if any(m in self.added or m in self.changed for m in box.members):
            return "changed"
        return None


@dataclass(frozen=True)
class Group:
    """One of the IR's scopes, as drawn: a block instance, a seq, a head, a merge's branches.

    `open` groups are drawn as clusters around their contents; closed ones as one box.
    """

    path: str
    scope: Scope
    open: bool

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass
class Box:
    """One drawn node. `instances` lists the group paths a folded run stands for."""

    id: str
    kind: BoxKind
    members: list[str]
    clusters: tuple[str, ...]
    instances: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        """The IR node whose tensor leaves the box (the last one in topological order)."""
        return self.members[-1]


@dataclass
class Picture:
    boxes: dict[str, Box]
    owner: dict[str, str]
    """IR node id → id of the box that draws it; nodes after a shape failure are absent."""
    groups: dict[str, Group]
