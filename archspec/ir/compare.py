"""What a spec edit changes: two checked IRs compared node by node (`archspec diff`, `render --diff`).

Nodes are matched by their name path, never by position, so an inserted block shifts
nothing and a renamed node is a removal plus an addition. A node is *changed* when its op
kind, its arguments or its inputs differ, or when the shape it reads differs: a block after
a widened one has new params and MACs although its own fields are the same, and its change
says why (`input: 256×35×35 → 288×35×35`).
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from typing import Any, Literal

from archspec.ir.graph import INPUT, IR, Node
from archspec.ops import REGISTRY, fmt_shape

Status = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class NodeDiff:
    path: str
    status: Status
    what: str
    """The op or block as the side that has it describes it (B's for a change)."""
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class CostRow:
    """One top-level block (at level `block`) or one op (at level `op`) of either side: its
    output shape, params and MACs on each."""

    name: str
    shape: tuple[tuple[int, ...] | None, tuple[int, ...] | None]
    params: tuple[int | None, int | None]
    macs: tuple[int | None, int | None]


@dataclass(frozen=True)
class Totals:
    params: int
    train_params: int
    macs: int
    input: tuple[int, ...]


@dataclass(frozen=True)
class Diff:
    a: str
    b: str
    level: str
    nodes: tuple[NodeDiff, ...]
    costs: tuple[CostRow, ...]
    totals: tuple[Totals, Totals]

    @property
    def identical(self) -> bool:
        return not self.nodes and self.totals[0] == self.totals[1]


def _args(d: Node) -> dict[str, Any]:
    return d.args.model_dump() if d.args is not None else {}


def _describe(d: Node) -> str:
    return REGISTRY[d.op].label(d.args) if d.op in REGISTRY else d.op


def _flat(fields: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested arguments as dotted fields (`norm.momentum`), so a change names what changed."""
    out: dict[str, Any] = {}
    for k, v in fields.items():
        if isinstance(v, dict) and v:
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _field_changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[Change, ...]:
    old, new = _flat(old), _flat(new)
    keys = list(dict.fromkeys([*old, *new]))
    return tuple(Change(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k))


Entities = dict[str, tuple[str, dict[str, Any], list[str]]]
"""Comparable things by name path: (description, the fields that make it what it is, the
shapes it reads from outside itself)."""


def _top(nid: str) -> str:
    return nid.split("/", 1)[0]


def _op_entities(ir: IR, inside_only: bool = False) -> Entities:
    """Every op. With `inside_only`, an input from outside the op's top-level block reads as
    `(block input)`: what feeds the block is the block's own field, not a change inside it."""
    out: Entities = {}
    for nid, d in ir.ops():
        inputs = [i if not inside_only or _top(i) == _top(nid) else "(block input)" for i in d.inputs]
        # inside a block a shape follows from the block's input: counted once, on the block
        shapes = [] if inside_only else [fmt_shape(ir.shape(i)) for i in d.inputs]
        out[nid] = (_describe(d), {"op": d.op, **_args(d), "inputs": inputs}, shapes)
    return out


def _block_entities(ir: IR) -> Entities:
    """Every top-level item: a block's template, params and inputs; an op's args and inputs."""
    out: Entities = {}
    read: dict[str, list[str]] = {}
    for nid, d in ir.ops():
        top = d.scope[:1]
        if not top:
            out[nid] = (_describe(d), {"op": d.op, **_args(d), "inputs": list(d.inputs)}, [])
            read[nid] = list(d.inputs)
            continue
        if top[0] not in out:
            scope = ir.modules[top]
            what = scope.block or scope.kind
            out[top[0]] = (what, {"op": what, **dict(scope.args), "inputs": []}, [])
            read[top[0]] = []
        feeds, outside = out[top[0]][1]["inputs"], read[top[0]]
        feeds += [_top(i) for i in d.inputs if _top(i) != top[0] and _top(i) not in feeds]
        outside += [i for i in d.inputs if _top(i) != top[0] and i not in outside]
    for name, nids in read.items():
        out[name][2].extend(fmt_shape(ir.shape(i)) for i in nids)
    return out


def _inner_changes(a: IR, b: IR) -> dict[str, int]:
    """Per top-level block: how many of its ops were added, removed or changed."""
    count: dict[str, int] = {}
    for d in _diffs(_op_entities(a, inside_only=True), _op_entities(b, inside_only=True)):
        if "/" in d.path:
            count[_top(d.path)] = count.get(_top(d.path), 0) + 1
    return count


def _op_diffs(a: IR, b: IR) -> list[NodeDiff]:
    return _diffs(_op_entities(a), _op_entities(b))


def _diffs(ea: Entities, eb: Entities) -> list[NodeDiff]:
    out = []
    for path in _merged_order(list(ea), list(eb)):
        if path not in ea:
            out.append(NodeDiff(path, "added", eb[path][0]))
        elif path not in eb:
            out.append(NodeDiff(path, "removed", ea[path][0]))
        else:
            changes = _field_changes(ea[path][1], eb[path][1])
            if ea[path][2] != eb[path][2]:
                changes += (Change("input", ", ".join(ea[path][2]), ", ".join(eb[path][2])),)
            if changes:
                out.append(NodeDiff(path, "changed", eb[path][0], changes))
    return out


def _merged_order(a: list[str], b: list[str]) -> list[str]:
    """B's order, with what only A has placed where A had it."""
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        out += b[j1:j2] if tag == "equal" else a[i1:i2] + b[j1:j2]
    return list(dict.fromkeys(out))


def _level_costs(ir: IR, level: str) -> dict[str, tuple[tuple[int, ...], int, int]]:
    if level == "op":
        return {nid: (ir.shape(nid), d.params, d.macs) for nid, d in ir.ops()}
    return {name: (ir.shape(m[-1]), (c := ir.cost_of(m)).params, c.macs) for name, m in ir.top_level().items()}


def _costs(a: IR, b: IR, level: str) -> tuple[CostRow, ...]:
    ca, cb = _level_costs(a, level), _level_costs(b, level)
    out = []
    for name in _merged_order(list(ca), list(cb)):
        x, y = ca.get(name), cb.get(name)
        out.append(CostRow(name, (x[0] if x else None, y[0] if y else None),
                             (x[1] if x else None, y[1] if y else None), (x[2] if x else None, y[2] if y else None)))
    return tuple(out)


def _totals(ir: IR) -> Totals:
    infer = ir.totals(include_heads=False)
    return Totals(infer["params"], ir.totals()["params"], infer["macs"], ir.input_shape)


def diff(a: IR, b: IR, level: str = "block") -> Diff:
    if level == "op":
        nodes = _op_diffs(a, b)
    elif level == "block":
        ea, eb = _block_entities(a), _block_entities(b)
        nodes = _diffs(ea, eb)
        listed = {d.path: i for i, d in enumerate(nodes)}
        for name, n in _inner_changes(a, b).items():
            if name not in ea or name not in eb:
                continue
            inside = Change("ops inside", None, f"{n} added, removed or changed (--level op lists them)")
            if name in listed:
                d = nodes[listed[name]]
                nodes[listed[name]] = NodeDiff(d.path, d.status, d.what, d.changes + (inside,))
            else:
                nodes.append(NodeDiff(name, "changed", eb[name][0], (inside,)))
        order = {p: i for i, p in enumerate(_merged_order(list(ea), list(eb)))}
        nodes.sort(key=lambda d: order[d.path])
    else:
        raise ValueError(f"level must be 'block' or 'op', not {level!r}")
    if a.input_shape != b.input_shape:
        nodes.insert(0, NodeDiff(INPUT, "changed", "input", (Change("shape", list(a.input_shape), list(b.input_shape)),)))
    return Diff(a.ref, b.ref, level, tuple(nodes), _costs(a, b, level), (_totals(a), _totals(b)))
