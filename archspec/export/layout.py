"""Laying out generated statements as ruff's formatter would, so the file needs no formatter.

A statement is `prefix + node + suffix`, the node a `Call` tree (a call, a list or a dict
display): on one line if it fits; else the brackets' contents on one indented line; else
one argument per line with a trailing comma, each laid out the same way. That is what
`ruff format` (and black) produce for these shapes; tests/test_export.py runs
`ruff format --check` on every generated file.
"""

from __future__ import annotations

from typing import Union

from archspec.ops.pysource import Call

WIDTH = 88  # ruff's (and black's) default line length

_CLOSE = {"(": ")", "[": "]", "{": "}"}


def _parts(c: Call) -> tuple[str, str]:
    """The opening and closing text of a call, a list or a dict display."""
    if c.fn in _CLOSE:
        return c.fn, _CLOSE[c.fn]
    return c.fn + "(", ")"


def flat(a: Union[str, Call]) -> str:
    """The node on one line."""
    if isinstance(a, str):
        return a
    op, cl = _parts(a)
    return op + ", ".join(flat(x) for x in a.args) + cl


def lay_out(indent: str, prefix: str, node: Union[str, Call], suffix: str) -> list[str]:
    """The lines of `prefix + node + suffix` at `indent`."""
    one = indent + prefix + flat(node) + suffix
    if len(one) <= WIDTH or isinstance(node, str) or not node.args:
        return [one]
    op, cl = _parts(node)
    inner = indent + "    " + ", ".join(flat(a) for a in node.args)
    if len(inner) <= WIDTH:
        return [indent + prefix + op, inner, indent + cl + suffix]
    out = [indent + prefix + op]
    for a in node.args:
        out += lay_out(indent + "    ", "", a, ",")
    return out + [indent + cl + suffix]
