"""The per-node cost table: what `archspec summary` prints.

MACs count multiply-accumulates of convolutions and linear layers only (one MAC = one
multiply + one add, so FLOPs ≈ 2 × MACs); norms, activations, pools and adds are free
by this convention, as in the papers' "ops" columns and in fvcore/ptflops.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from archspec.ir.graph import IR
from archspec.ops import REGISTRY, fmt_shape

MAC_CONVENTION = "MACs = multiply-accumulates of conv and linear layers (FLOPs ≈ 2 × MACs); aux heads run in training only"


@dataclass
class Row:
    name: str
    path: str
    op: str
    shape: tuple[int, ...]
    params: int
    buffers: int
    macs: int
    head: str | None


def rows(ir: IR, depth: str = "op") -> list[Row]:
    if depth == "op":
        return [Row(d["name"], nid, REGISTRY[d["op"]].label(d["args"]), d["shape"], d["params"], d["buffers"],
                    d["macs"], d["head"]) for nid, d in ir.ops()]
    if depth != "block":
        raise ValueError(f"depth must be 'op' or 'block', not {depth!r}")
    out: list[Row] = []
    index: dict[str, Row] = {}
    for nid, d in ir.ops():
        top = d["module"][:1]
        if not top:
            out.append(Row(d["name"], nid, REGISTRY[d["op"]].label(d["args"]), d["shape"], d["params"],
                           d["buffers"], d["macs"], d["head"]))
            continue
        scope = ir.scopes[top]
        row = index.get(top[0])
        if row is None:
            kind = scope.block or scope.kind
            if scope.kind == "repeat":
                n = sum(1 for m in ir.scopes if len(m) == 2 and m[0] == top[0])
                inner = {ir.scopes[m].block for m in ir.scopes if len(m) == 2 and m[0] == top[0]}
                kind = f"{'/'.join(sorted(str(b) for b in inner))} ×{n}"
            row = index[top[0]] = Row(top[0], scope.path, kind, d["shape"], 0, 0, 0, d["head"])
            out.append(row)
        row.params += d["params"]
        row.buffers += d["buffers"]
        row.macs += d["macs"]
        row.shape = d["shape"]
    return out


def _human(n: int) -> str:
    for unit, div in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= div:
            return f"{n / div:.2f}{unit}"
    return str(n)


def as_dict(ir: IR, depth: str = "op") -> dict:
    total = ir.totals()
    infer_t = ir.totals(include_heads=False)
    return {
        "spec": ir.ref,
        "name": ir.name,
        "input": list(ir.input_shape),
        "total": total,
        "inference": infer_t,
        "macs_convention": MAC_CONVENTION,
        "heads": [{"name": h.name, "from": h.source, "loss_weight": h.loss_weight} for h in ir.heads],
        "nodes": [{"name": r.name, "path": r.path, "op": r.op, "output_shape": list(r.shape), "params": r.params,
                   "buffers": r.buffers, "macs": r.macs, "head": r.head} for r in rows(ir, depth)],
    }


def render_summary(ir: IR, fmt: str = "text", depth: str = "op") -> str:
    if fmt == "json":
        return json.dumps(as_dict(ir, depth), indent=2)
    rs = rows(ir, depth)
    t, ti = ir.totals(), ir.totals(include_heads=False)
    table = [(r.path + (" (aux)" if r.head and r.path == r.head else ""), r.op, fmt_shape(r.shape),
              f"{r.params:,}", _human(r.macs)) for r in rs]
    head = ("node", "op", "output", "params", "MACs")
    if fmt == "markdown":
        lines = [f"### {ir.name} — input {fmt_shape(ir.input_shape)}", "",
                 "| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * 3]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in table]
        lines += ["", f"**Total:** {t['params']:,} parameters, {t['buffers']:,} buffer elements, "
                      f"{_human(t['macs'])} MACs" + _heads_note(ir, ti), "", f"_{MAC_CONVENTION}_"]
        return "\n".join(lines)
    if fmt != "text":
        raise ValueError(f"format must be text, markdown or json, not {fmt!r}")
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(head)]
    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    out = [f"{ir.name} ({ir.ref}) — input {fmt_shape(ir.input_shape)}", line(head), line(tuple("-" * w for w in widths))]
    out += [line(r) for r in table]
    out.append(line(tuple("-" * w for w in widths)))
    out.append(f"total: {t['params']:,} params, {t['buffers']:,} buffers, {t['macs']:,} MACs ({_human(t['macs'])})"
               + _heads_note(ir, ti))
    out.append(MAC_CONVENTION)
    return "\n".join(out)


def _heads_note(ir: IR, ti: dict[str, int]) -> str:
    if not ir.heads:
        return ""
    return f"; without aux heads: {ti['params']:,} params, {ti['macs']:,} MACs ({_human(ti['macs'])})"


def verdict(ir: IR) -> str:
    t, ti = ir.totals(), ir.totals(include_heads=False)
    extra = f" ({ti['params']:,} without aux heads)" if ir.heads else ""
    return (f"ok: {ir.ref} — {len(ir.nodes) - 1} ops, input {fmt_shape(ir.input_shape)} → "
            f"output {fmt_shape(ir[ir.output]['shape'])}, {t['params']:,} params{extra}, {_human(ti['macs'])} MACs")
