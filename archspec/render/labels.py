"""The words on a diagram: box labels, cluster captions, tooltips, the title.

Labels are Graphviz HTML-like labels (bold names, small detail lines), so every piece of
user text is escaped here and nowhere else: HTML-escaped inside HTML labels, and in plain
strings (tooltips) escaped for DOT, where a backslash starts an escape (`\\G` is the graph's
name) and a string in `<...>` would be read as HTML.
"""

from __future__ import annotations

import textwrap
import html as _html
from typing import Any

import graphviz

from archspec.ir.graph import IR
from archspec.ops import REGISTRY, fmt_shape
from archspec.render.model import Box, Group, Picture
from archspec.render.style import ERROR_LINE, ERROR_TEXT

WRAP = 44


def count(n: int) -> str:
    """1234567 → '1.23M': enough digits to compare blocks, short enough for a box."""
    for unit, div in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= div:
            return f"{n / div:.3g}{unit}"
    return str(n)


def escape(text: str) -> str:
    """User text inside an HTML label: HTML-escaped, and backslashes doubled — Graphviz expands
    escapes even there (`\\G` prints the graph's name; an entity such as &#92; too)."""
    return _html.escape(text).replace("\\", "\\\\")


def html(lines: list[str]) -> str:
    """Join already-escaped HTML fragments into one Graphviz HTML label."""
    return "<" + "<br/>".join(lines) + ">"


def small(text: str, color: str | None = None) -> str:
    attrs = ' point-size="9"' + (f' color="{color}"' if color else "")
    return f"<font{attrs}>{text}</font>"


def wrapped(text: str, width: int = WRAP) -> list[str]:
    return [escape(line) for line in textwrap.wrap(text, width)] or [""]


def args_text(block: str, args: tuple[tuple[str, Any], ...]) -> str:
    def value(v: Any) -> str:
        return f"{v:g}" if isinstance(v, float) else str(v)
    return block + ("(" + ", ".join(f"{k}={value(v)}" for k, v in args) + ")" if args else "")


def op_text(ir: IR, nid: str) -> str:
    d = ir[nid]
    if d.args is None:  # arguments reading ${input.c} past a shape error: never resolved
        return d.op
    return REGISTRY[d.op].label(d.args)


def merge_text(ir: IR, nid: str) -> str | None:
    """How a group's output is formed: 'concat · 4 branches' or 'residual ×0.17, relu'."""
    d = ir[nid]
    op = REGISTRY[d.op]
    if op.arity != "many":
        return None
    if op.shortcut(d.args) is not None:
        return op.label(d.args)
    return f"{op.label(d.args)} · {len(d.inputs)} branches"


def error_lines(ir: IR, box: Box) -> list[str]:
    errors = [e for m in box.members if (e := ir[m].error) is not None]
    return [small(line, ERROR_TEXT) for e in errors for line in wrapped("✗ " + e)]




def kind_text(ir: IR, group: Group) -> str | None:
    """The block template and its arguments, or what kind of scope the group is."""
    s = group.scope
    if s.kind == "block" and s.block:
        return args_text(s.block, s.args)
    if s.kind == "repeat":
        return f"repeat ×{sum(1 for at in ir.scopes if at[:-1] == s.at)}"
    if s.kind == "aux":
        weight = next(h.loss_weight for h in ir.heads if f"{h.output}/".startswith(group.path + "/"))
        head = f"auxiliary head · training only · loss ×{weight:g}"
        return f"{args_text(s.block, s.args)} · {head}" if s.block else head
    return None


def group_label(ir: IR, pic: Picture, box: Box, cluster: str | None) -> str:
    """Named by its path inside the cluster drawn around it, so a run keeps its dropped
    container's name ("inception_a/block1 … block4")."""
    group = pic.groups[box.id]
    first, last = box.instances[0], box.instances[-1]
    n = len(box.instances)
    name = escape(first[len(cluster) + 1:] if cluster else first)
    if n > 1:
        name += f" … {escape(pic.groups[last].name)}"
    lines = [f"<b>{name}</b>"]
    kind = kind_text(ir, group)
    if kind == group.name and n == 1:
        kind = None
    if kind:
        lines += [f"<b>×{n}</b> " + line if n > 1 and i == 0 else line for i, line in enumerate(wrapped(kind))]
    elif n > 1:
        lines.append(f"<b>×{n}</b>")
    merge = merge_text(ir, box.output) if ir[box.output].shape is not None else None
    if merge:
        lines.append(small(escape(merge)))
    errors = error_lines(ir, box)
    if errors:
        return html(lines + errors)
    params = sum(ir[m].params for m in box.members)
    each = f" ({n} × {count(params // n)})" if n > 1 else ""
    lines.append(small(f"{fmt_shape(ir.shape(box.output))} · {count(params)} params{each}"))
    return html(lines)


def op_label(ir: IR, box: Box) -> str:
    d = ir[box.output]
    text = escape(op_text(ir, box.output))
    # an anonymous block body (`body: {op: concat}`) is named after its kind; the cluster names it
    anonymous = d.name != box.output.rsplit("/", 1)[-1]
    lines = [text] if anonymous else [f"<b>{escape(d.name)}</b>", text]
    if d.params:
        lines.append(small(f"{count(d.params)} params"))
    return html(lines + error_lines(ir, box))


def input_label(ir: IR) -> str:
    return html(["<b>input</b>", small(fmt_shape(ir.input_shape))])


def cluster_label(ir: IR, group: Group) -> str:
    kind = kind_text(ir, group)
    lines = [f"<b>{escape(group.name)}</b>"]
    if kind and kind != group.name:
        lines += wrapped(kind, 2 * WRAP)
    lines[:2] = [" · ".join(lines[:2])]
    return html(lines)


def tooltip(ir: IR, box: Box) -> str:
    """Hover text in SVG viewers: every op of the box with its shape, params and MACs."""
    rows = []
    for m in box.members:
        d = ir[m]
        shape = fmt_shape(d.shape) if d.shape is not None else "✗ " + (d.error or "")
        rows.append(f"{m}: {op_text(ir, m)} → {shape}"
                    + (f", {d.params:,} params, {d.macs:,} MACs" if d.params else ""))
    # DOT's escaped newline, a line break in the SVG tooltip, between rows escaped for DOT
    return graphviz.nohtml("\\n".join(dot_text(r) for r in rows))


def dot_text(text: str) -> str:
    """User text as a plain DOT string or id: backslashes literal, never taken for HTML."""
    return graphviz.escape(text)


def title(ir: IR, level: str, key: str) -> str:
    """The caption above the drawing: name, input, totals, any shape failure, then the legend."""
    t = ir.totals()
    parts = [f"<b>{escape(ir.name)}</b>", f"input {fmt_shape(ir.input_shape)}"]
    if ir.ok:
        out = fmt_shape(ir.shape(ir.output))
        parts += [f"→ {out}", f"{count(t['params'])} params", f"{count(t['macs'])} MACs"]
    rows = [" · ".join(parts) + f" · {level} level"]
    if ir.error is not None:
        # the message itself is in the red box; a long line here would stretch the legend below
        rows.append(f'<font color="{ERROR_LINE}">shape check failed at {escape(ir.error.first.path or "input")}'
                    " (in red below)</font>")
    cells = "".join(f"<tr><td>{r}</td></tr>" for r in rows)
    return f'<<table border="0" cellspacing="0">{cells}<tr><td>{key}</td></tr></table>>'
