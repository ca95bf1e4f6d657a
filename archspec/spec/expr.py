"""The small, safe expression language behind `${...}` in specs.

Specs need arithmetic on parameters (`${c * 2}`, `${max(16, c // 4)}`), never Python:
the expression is parsed with `ast` and only numbers, names of parameters, + - * / // %
**, unary minus, comparisons-free `min`/`max` calls are walked. Everything else is an error.
"""

from __future__ import annotations

import ast
import operator
import re
from typing import Any, Callable, Mapping

from archspec.errors import did_you_mean

MAX_CHARS = 200
MAX_POWER_EXPONENT = 64
MAX_ABS = 10**15

_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_FUNCS: dict[str, Callable[..., Any]] = {"min": lambda *a: min(a), "max": lambda *a: max(a)}
INPUT_SHAPE = "input"
"""`${input.c}`, `${input.h}`, `${input.w}`: the inferred shape of the op's input (a reserved name,
so no param or node can shadow it)."""
BLOCK_INPUT_SHAPE = "block_input"
"""`${block_input.c}`, ...: the inferred shape of what `inputs: [input]` names where the op is —
its enclosing block's input (the network's input at the top level). An SE block's expansion
reads it: its last conv gives back the channels the gate multiplies."""
SHAPES = (INPUT_SHAPE, BLOCK_INPUT_SHAPE)
_INPUT_READ = re.compile(r"\$\{[^{}]*\b(block_)?input\s*\.")
_WHOLE = re.compile(r"^\$\{([^{}]*)\}$")
_PART = re.compile(r"\$\{([^{}]*)\}")


class ExprError(ValueError):
    """A bad expression; the caller attaches the location."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


Funcs = Mapping[str, Callable[..., Any]]
"""Functions a caller adds to min/max (lowering adds the spec's `channels`, `repeats`, `divisible`)."""


def evaluate(expr: str, env: Mapping[str, Any], funcs: Funcs | None = None) -> Any:
    if len(expr) > MAX_CHARS:  # a long enough one exhausts the parser's memory or our recursion
        raise ExprError(f"expression of {len(expr):,} characters is too long (at most {MAX_CHARS})",
                        "compute long formulas in steps, as spec-wide params")
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:
        raise ExprError(f"cannot parse expression {expr!r}",
                        "expressions allow numbers, parameter names, + - * / // % ** and min()/max()") from None
    return _eval(tree.body, env, expr, {**_FUNCS, **(funcs or {})})


def _check(value: Any, expr: str) -> Any:
    if isinstance(value, complex):
        raise ExprError(f"expression {expr!r} gives a complex number",
                        "a negative number to a fractional power has no real value")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not abs(value) <= MAX_ABS:
        raise ExprError(f"expression {expr!r} gives {value:.3g}, beyond the allowed magnitude {MAX_ABS:.0e}",
                        "no size in a network is that large; check the formula and its parameters")
    return value


def _eval(node: ast.AST, env: Mapping[str, Any], expr: str, funcs: Funcs) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)) and not isinstance(node.value, bool):
        return _check(node.value, expr)
    if isinstance(node, ast.Name):
        if node.id not in env:
            raise ExprError(f"unknown parameter {node.id!r} in {expr!r}",
                            did_you_mean(node.id, env) or f"parameters here: {', '.join(sorted(env)) or 'none'}")
        return env[node.id]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in SHAPES:
        name = node.value.id
        shape = env.get(name)
        if not isinstance(shape, Mapping):
            raise ExprError(f"{name}.{node.attr} in {expr!r} is only known for an op's arguments",
                            f"read {name}.c / .h / .w in the arguments of an op (conv, linear, ...), "
                            "where the input shape is inferred")
        if node.attr not in shape:
            raise ExprError(f"unknown input dimension {name}.{node.attr} in {expr!r}",
                            f"this input has {', '.join(name + '.' + k for k in shape)}")
        return shape[node.attr]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _num(_eval(node.operand, env, expr, funcs), expr)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        a = _num(_eval(node.left, env, expr, funcs), expr)
        b = _num(_eval(node.right, env, expr, funcs), expr)
        if isinstance(node.op, ast.Pow) and abs(b) > MAX_POWER_EXPONENT:
            raise ExprError(f"exponent {b} in {expr!r} is too large (at most {MAX_POWER_EXPONENT})",
                            "sizes in a network never need a larger power; check the formula")
        if isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)) and b == 0:
            raise ExprError(f"division by zero in {expr!r}", "check the parameter values the expression divides by")
        try:
            return _check(_BINOPS[type(node.op)](a, b), expr)
        except ZeroDivisionError:  # 0 ** -1
            raise ExprError(f"division by zero in {expr!r}", "check the parameter values the expression divides by") from None
        except OverflowError:  # float powers: 1e15 ** 64
            raise ExprError(f"expression {expr!r} overflows, beyond the allowed magnitude {MAX_ABS:.0e}",
                          "no size in a network is that large; check the formula and its parameters") from None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in funcs
            and not node.keywords and node.args):
        args = [_num(_eval(a, env, expr, funcs), expr) for a in node.args]
        try:
            return _check(funcs[node.func.id](*args), expr)
        except TypeError:
            raise ExprError(f"wrong number of arguments to {node.func.id}() in {expr!r}") from None
    raise ExprError(f"{type(node).__name__.lower()} is not allowed in expression {expr!r}",
                    "expressions allow numbers, parameter names, + - * / // % ** and min()/max()")


def _num(v: Any, expr: str) -> int | float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ExprError(f"arithmetic on a non-number ({v!r}) in {expr!r}",
                        "only numbers take part in arithmetic; check which parameter holds text")
    return v


def substitute(value: str, env: Mapping[str, Any], funcs: Funcs | None = None) -> Any:
    """`"${c*2}"` becomes the number; `"b${i}"` becomes a string with the value spliced in."""
    m = _WHOLE.match(value)
    if m:
        return evaluate(m.group(1), env, funcs)
    return _PART.sub(lambda mm: _fmt(evaluate(mm.group(1), env, funcs)), value)


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def reads_input_shape(value: Any) -> bool:
    """Whether a `${...}` reads `input.c` / `block_input.c` (.h, .w), known only once shapes are inferred."""
    return isinstance(value, str) and _INPUT_READ.search(value) is not None


def has_expr(value: Any) -> bool:
    return isinstance(value, str) and "${" in value
