"""The per-node cost table: what `archspec summary` prints.

MACs count multiply-accumulates of convolutions and linear layers only (one MAC = one
multiply + one add, so FLOPs ≈ 2 × MACs); norms, activations, pools and adds are free
by this convention, as in the papers' "ops" columns and in fvcore/ptflops.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from archspec.ir.features import feature_info
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


def rows(ir: IR, level: str = "op") -> list[Row]:
    if level == "op":
        return [Row(d.name, nid, REGISTRY[d.op].label(d.args), ir.shape(nid), d.params, d.buffers,
                    d.macs, d.head) for nid, d in ir.ops()]
    if level != "block":
        raise ValueError(f"level must be 'op' or 'block', not {level!r}")
    out: list[Row] = []
    for name, members in ir.top_level().items():
        last = ir[members[-1]]
        scope = ir.modules.get((name,))
        if scope is None:
            kind = REGISTRY[last.op].label(last.args)
        elif scope.kind == "repeat":
            inner = [s for m, s in ir.modules.items() if len(m) == 2 and m[0] == name]
            kind = f"{'/'.join(sorted({str(s.block) for s in inner}))} ×{len(inner)}"
        else:
            kind = scope.block or scope.kind
        path = scope.path if scope else members[-1]
        c = ir.cost_of(members)
        out.append(Row(name, path, kind, ir.shape(members[-1]), c.params, c.buffers, c.macs, last.head))
    return out


def _human(n: int) -> str:
    for unit, div in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= div:
            return f"{n / div:.2f}{unit}"
    return str(n)


def as_dict(ir: IR, level: str = "op") -> dict:
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
                   "buffers": r.buffers, "macs": r.macs, "head": r.head} for r in rows(ir, level)],
        "features": [{"name": f.name, "channels": f.channels, "reduction": f.reduction,
                      "output_shape": list(f.shape)} for f in feature_info(ir)] if ir.taps else [],
    }


def render_summary(ir: IR, fmt: str = "text", level: str = "op") -> str:
    if fmt == "json":
        return json.dumps(as_dict(ir, level), indent=2)
    rs = rows(ir, level)
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
        return "\n".join(lines + _taps(ir, "- "))
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
    return "\n".join(out + _taps(ir, "  "))


def _taps(ir: IR, bullet: str) -> list[str]:
    """The feature taps of a backbone IR: name, channels, reduction (stride relative to the input)."""
    if not ir.taps:
        return []
    return ["", "feature taps (the module returns {name: tensor}):"] + [
        f"{bullet}{f.name}: {f.channels} channels, {fmt_shape(f.shape)}, reduction "
        + ("-" if f.reduction is None else f"{f.reduction}") for f in feature_info(ir)]


def _heads_note(ir: IR, ti: dict[str, int]) -> str:
    if not ir.heads:
        return ""
    return f"; without aux heads: {ti['params']:,} params, {ti['macs']:,} MACs ({_human(ti['macs'])})"


def verdict(ir: IR) -> str:
    t, ti = ir.totals(), ir.totals(include_heads=False)
    extra = f" ({ti['params']:,} without aux heads)" if ir.heads else ""
    scaled = f" ({', '.join(f'{k} {v:g}' for k, v in ir.scaling)})" if ir.scaling else ""
    return (f"ok: {ir.ref}{scaled} — {sum(1 for _ in ir.ops())} ops, input {fmt_shape(ir.input_shape)} → "
            f"output {fmt_shape(ir.shape(ir.output))}, {t['params']:,} params{extra}, {_human(ti['macs'])} MACs")
