"""`archspec diff` as text, Markdown or JSON: the changed nodes, then each block's costs on both sides."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Sequence

from archspec.ir.compare import Diff, NodeDiff
from archspec.ops import fmt_shape


def _num(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _delta(pair: tuple[int | None, int | None]) -> str:
    change = (pair[1] or 0) - (pair[0] or 0)
    return f"{change:+,}" if change else ""


def _shape(s: tuple[int, ...] | None) -> str:
    return "—" if s is None else fmt_shape(s)


def _value(v: Any) -> str:
    return "—" if v is None else (v if isinstance(v, str) else json.dumps(v))


def change_text(d: NodeDiff) -> str:
    if d.status != "changed":
        return d.what
    return ", ".join(f"{c.field}: {_value(c.old)} → {_value(c.new)}" if c.old is not None else f"{c.field}: {c.new}"
                     for c in d.changes)


def _table(head: tuple[str, ...], body: Sequence[tuple[str, ...]], right_from: int) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(head)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) if i < right_from else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return [line(head), *(line(r) for r in body)]


_COST_HEAD = ("output A", "output B", "params A", "params B", "Δ params", "MACs A", "MACs B", "Δ MACs")


def _cost_head(d: Diff) -> tuple[str, ...]:
    """The first column names what a row is: a top-level block, or at `--level op` an op."""
    return (d.level, *_COST_HEAD)


def _cost_rows(d: Diff) -> list[tuple[str, ...]]:
    body: list[tuple[str, ...]] = [(c.name, _shape(c.shape[0]), _shape(c.shape[1]), _num(c.params[0]), _num(c.params[1]), _delta(c.params),
             _num(c.macs[0]), _num(c.macs[1]), _delta(c.macs)) for c in d.costs]
    ta, tb = d.totals
    body.append(("total", _shape(ta.input), _shape(tb.input), _num(ta.params), _num(tb.params),
                 _delta((ta.params, tb.params)), _num(ta.macs), _num(tb.macs), _delta((ta.macs, tb.macs))))
    return body


def _pct(x: int, y: int) -> str:
    """The relative change to 0.1%; one too small to show reads `<0.1%` with its sign, never `-0.0%`."""
    if not x:
        return ""
    ratio = (y - x) / x
    if y != x and abs(ratio) < 0.0005:
        return f" ({'+' if ratio > 0 else '-'}<0.1%)"
    return f" ({ratio:+.1%})"


def _summary_line(d: Diff) -> str:
    ta, tb = d.totals
    heads = (f"; with aux heads {ta.train_params:,} → {tb.train_params:,}"
             if (ta.train_params, tb.train_params) != (ta.params, tb.params) else "")
    return (f"params {ta.params:,} → {tb.params:,} ({tb.params - ta.params:+,}){_pct(ta.params, tb.params)}, "
            f"MACs {ta.macs:,} → {tb.macs:,} ({tb.macs - ta.macs:+,}){_pct(ta.macs, tb.macs)}{heads}")


def render_diff(d: Diff, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(asdict(d), indent=2, ensure_ascii=False)
    if fmt not in ("text", "markdown"):
        raise ValueError(f"format must be text, markdown or json, not {fmt!r}")
    changes = [(n.status, n.path, change_text(n)) for n in d.nodes]
    if fmt == "markdown":
        lines = [f"### {d.a} → {d.b}", ""]
        if changes:
            lines += ["| | node | change |", "|---|---|---|"]
            lines += [f"| {s} | `{p}` | {t.replace('|', chr(92) + '|')} |" for s, p, t in changes]
        else:
            lines.append("No node added, removed or changed.")
        lines += ["", "| " + " | ".join(_cost_head(d)) + " |", "|---|---|---|" + "---:|" * 6]
        lines += ["| " + " | ".join(r) + " |" for r in _cost_rows(d)]
        lines += ["", f"**{_summary_line(d)}**"]
        return "\n".join(lines)
    out = [f"A: {d.a}", f"B: {d.b}", ""]
    if changes:
        out += _table(("", "node", "change"), changes, 3)
    else:
        out.append("no node added, removed or changed")
    out += ["", *_table(_cost_head(d), _cost_rows(d), 3), "", _summary_line(d)]
    return "\n".join(out)
