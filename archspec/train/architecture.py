"""What a checkpoint's weights were trained in: the resolved architecture, as plain data.

Weight names and shapes alone do not say which network a checkpoint belongs to: another
activation, a dropout or a pool add or change no weights. The architecture record holds
everything that changes the computation — the input shape and, per IR node in execution
order, its op kind, validated arguments, its inputs (by position, so the wiring) and
whether it belongs to an auxiliary head — and nothing that does not: the spec's name,
description, comments, file positions, and the names of its nodes (renaming a weighted
node renames its weights, which the weight check sees; renaming a pool changes nothing).
Each node's path is kept to say where a difference is. The record is built from the IR,
so two specs written differently that lower to the same graph have the same record.

The record is plain JSON-able data, so it loads with `torch.load(weights_only=True)`, and
`first_difference` names where two records part (node path, field, old → new).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel

from archspec.ir.graph import IR

COMPARED = ("op", "args", "inputs", "head")
"""The fields of a node record that define the computation ("path" only locates it)."""


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="json"))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def architecture(ir: IR) -> dict[str, Any]:
    """The computation-defining content of `ir` as plain data."""
    order = ir.order()
    index = {nid: i for i, nid in enumerate(order)}
    nodes = [{"path": nid, "op": ir[nid].op, "args": _plain(ir[nid].args),
              "inputs": [index[i] for i in ir[nid].inputs], "head": ir[nid].head is not None}
             for nid in order]
    heads = [{"source": index[h.source], "output": index[h.output]} for h in ir.heads]
    return {"input": list(ir.input_shape), "output": index[ir.output], "nodes": nodes, "heads": heads}


def _computation(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "nodes": [{k: n.get(k) for k in COMPARED} for n in record.get("nodes", [])]}


def fingerprint(record: dict[str, Any]) -> str:
    """A short digest of what an architecture record computes (node paths left out)."""
    text = json.dumps(_computation(record), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."


def _first_field(old: Any, new: Any, prefix: str) -> tuple[str, Any, Any]:
    """The first (dotted field, old, new) where two values differ, descending into mappings."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            if old.get(key) != new.get(key):
                return _first_field(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else key)
    return prefix, old, new


def _paths(record: dict[str, Any], indices: list[int]) -> list[str]:
    nodes = record.get("nodes", [])
    return [nodes[i].get("path", str(i)) if 0 <= i < len(nodes) else str(i) for i in indices]


def first_difference(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """Where `new` first computes differently from `old`, as `node path: field: old → new`; None when equal."""
    if _computation(old) == _computation(new):
        return None
    if old.get("input") != new.get("input"):
        return f"input shape: {_show(old.get('input'))} → {_show(new.get('input'))}"
    a, b = old.get("nodes", []), new.get("nodes", [])
    for i, (was, now) in enumerate(zip(a, b)):
        theirs, ours = {k: was.get(k) for k in COMPARED}, {k: now.get(k) for k in COMPARED}
        if theirs != ours:
            field, x, y = _first_field(theirs, ours, "")
            if field == "inputs":
                x, y = _paths(old, x), _paths(new, y)
            elif field == "op":
                return f"{now.get('path')}: a {y} where the checkpoint has a {x} ({was.get('path')})"
            return f"{now.get('path')}: {field}: {_show(x)} → {_show(y)}"
    if len(a) != len(b):
        longer, what = (b, "added") if len(b) > len(a) else (a, "removed")
        extra = longer[min(len(a), len(b))]
        return f"{extra.get('path')}: node {what} (a {extra.get('op')})"
    field, x, y = _first_field({k: v for k, v in old.items() if k != "nodes"},
                               {k: v for k, v in new.items() if k != "nodes"}, "")
    return f"{field}: {_show(x)} → {_show(y)}"
