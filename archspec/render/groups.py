"""Deciding what each drawn box stands for: one op, or a whole block instance.

Groups are the IR's scopes (`IR.scopes`): module scopes, and the groups an inline `concat` /
`add` / `residual` item or a sequence branch adds to the display path. A node sits in each
scope whose path its id extends. At block level the outermost group that is not a mere
container (`seq`, `repeat`) becomes one box; at op level, or under `--expand`, every group
is a cluster and every op a box.
"""

from __future__ import annotations

from archspec.errors import did_you_mean, fail
from archspec.ir.graph import IR, Scope
from archspec.render.model import CONTAINERS, Box, BoxKind, Group, Options, Picture


def drawn(ir: IR) -> list[str]:
    """IR nodes the picture shows: everything inferred, plus the node that failed."""
    return [nid for nid in ir.order() if ir[nid].shape is not None or ir[nid].error is not None]


def expanded(paths: list[str], names: tuple[str, ...]) -> set[str]:
    """Groups matched by `--expand` names: a full path or a group's own name."""
    out: set[str] = set()
    for name in names:
        hits = {p for p in paths if p == name or p.rsplit("/", 1)[-1] == name}
        if not hits:
            raise fail(f"--expand {name!r}: no block or group of that name",
                       hint=did_you_mean(name, [p.rsplit("/", 1)[-1] for p in paths])
                       or "name a block instance, e.g. one listed by `archspec summary --level block`")
        out |= hits
    return out


def make_groups(ir: IR, opts: Options) -> dict[str, Group]:
    chosen = expanded([s.path for s in ir.scopes.values()], opts.expand)

    def is_open(scope: Scope) -> bool:
        """Op level opens everything; `--expand X` opens X, all inside it, and all around it."""
        path = scope.path
        return (opts.level == "op" or scope.kind in CONTAINERS
                or any(path == e or path.startswith(e + "/") or e.startswith(path + "/") for e in chosen))

    return {s.path: Group(s.path, s, is_open(s)) for s in ir.scopes.values()}


def owner_of(nid: str, groups: dict[str, Group]) -> str:
    """The outermost closed group containing the node, or the node itself."""
    parts = nid.split("/")
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        g = groups.get(prefix)
        if g is not None and not g.open:
            return prefix
    return nid


def clusters_of(box_id: str, kind: str, groups: dict[str, Group]) -> tuple[str, ...]:
    """Open groups around a box; an op box sits inside the group it closes (a concat's own)."""
    parts = box_id.split("/")
    end = len(parts) if kind == "op" else len(parts) - 1
    prefixes = ("/".join(parts[:i]) for i in range(1, end + 1))
    return tuple(p for p in prefixes if p in groups and groups[p].open)


def partition(ir: IR, opts: Options) -> Picture:
    groups = make_groups(ir, opts)
    boxes: dict[str, Box] = {}
    owner: dict[str, str] = {}
    for nid in drawn(ir):
        kind: BoxKind
        if ir[nid].source:
            bid, kind = nid, "input"
        else:
            bid = owner_of(nid, groups)
            kind = "group" if bid in groups and not groups[bid].open else "op"
        box = boxes.get(bid)
        if box is None:
            clusters = () if kind == "input" else clusters_of(bid, kind, groups)
            box = boxes[bid] = Box(bid, kind, [], clusters, [bid] if kind == "group" else [])
        box.members.append(nid)
        owner[nid] = bid
    return Picture(boxes, owner, groups)
