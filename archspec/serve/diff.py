"""The page's "diff against the saved file": `archspec diff` at block level, as the page's JSON.

Blocks are matched by name (archspec.ir.compare), so inserting a block shows one added row,
not a shifted table. A block is `changed` when it changed itself or when its costs or shape
did (because something upstream changed); the `changes` say which of the two it was.
"""

from __future__ import annotations

from typing import Any

from archspec.ir.compare import CostRow, diff
from archspec.ir.graph import IR
from archspec.report.diff import change_text


def block_diff(before: IR, after: IR) -> dict[str, Any]:
    d = diff(before, after, "block")
    nodes = {n.path: n for n in d.nodes}
    out = []
    for c in d.costs:
        node = nodes.get(c.name)
        moved = (c.shape[0], c.params[0], c.macs[0]) != (c.shape[1], c.params[1], c.macs[1])
        status = node.status if node else "changed" if moved else "same"
        out.append({"name": c.name, "status": status, "before": _side(c, 0), "after": _side(c, 1),
                    "changes": change_text(node) if node and node.status == "changed" else ""})
    ta, tb = before.totals(), after.totals()
    return {"blocks": out, "total": {"before": ta, "after": tb, "delta": {k: tb[k] - ta[k] for k in ta}}}


def _side(c: CostRow, i: int) -> dict[str, Any] | None:
    shape = c.shape[i]
    return None if shape is None else {"shape": list(shape), "params": c.params[i], "macs": c.macs[i]}
