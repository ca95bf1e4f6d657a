"""Regenerate the op table of docs/spec-language.md from the registry of op kinds.

Each row is one registered kind: its inputs (arity), its arguments with their types and
defaults (from the Args model's JSON Schema, so the table says what validation accepts),
its `doc`, its `example` with the shapes that `infer` gives it (tests/test_ops_meta.py
checks the same example against torch), and the ONNX operators it exports to. tests/test_docs.py fails when the table is stale.

    python scripts/op_table.py           # rewrite the table in docs/spec-language.md
    python scripts/op_table.py --check   # exit 1 if it is stale
"""

from __future__ import annotations

import sys
from typing import Any

from docgen import ROOT, Generated, replace_section

TARGET = ROOT / "docs" / "spec-language.md"
SECTION = "op-table"


def value(v: Any) -> str:
    """A value as a spec writes it in YAML flow style."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, float):
        r = repr(v)
        return r.replace("e", ".0e") if "e" in r and "." not in r else r  # YAML reads 1e-06 as a string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {value(x)}" for k, x in v.items()) + "}"
    return str(v)


def bounds(s: dict[str, Any]) -> str:
    if "minimum" in s or "exclusiveMinimum" in s:
        low = ("[", s["minimum"]) if "minimum" in s else ("(", s["exclusiveMinimum"])
        if "maximum" not in s and "exclusiveMaximum" not in s:
            return f" {'≥' if low[0] == '[' else '>'} {value(low[1])}"
        high = ("]", s["maximum"]) if "maximum" in s else (")", s["exclusiveMaximum"])
        return f" in {low[0]}{value(low[1])}, {value(high[1])}{high[0]}"
    return ""


def type_text(s: dict[str, Any], defs: dict[str, Any]) -> str:
    """A JSON Schema fragment of an argument, as the short text a reader needs."""
    if "anyOf" in s:
        return " \\| ".join(type_text(x, defs) for x in s["anyOf"] if x.get("type") != "null")
    if "$ref" in s:
        return "{" + ", ".join(defs[s["$ref"].rsplit("/", 1)[1]]["properties"]) + "}"
    if "enum" in s:
        return " \\| ".join(f"`{v}`" for v in s["enum"])
    if s.get("type") == "array":
        item = type_text(s["items"], defs)
        return "[" + ", ".join([item] * s["minItems"]) + "]" if s.get("minItems") == s.get("maxItems") else f"[{item}, …]"
    names = {"integer": "int", "number": "float", "boolean": "bool", "string": "str"}
    return names[s["type"]] + bounds(s)


def arguments(schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    lines = []
    for name, s in schema.get("properties", {}).items():
        line = f"`{name}`: {type_text(s, schema.get('$defs', {}))}"
        line += " (required)" if name in required else f" = `{value(s['default'])}`"
        if "description" in s:
            line += f" — {s['description']}"
        lines.append(line)
    return "<br>".join(lines) or "—"


def example_text(kind: str) -> str:
    from archspec.ops import REGISTRY, fmt_shape

    op = REGISTRY[kind]
    if op.example is None:
        return "—"
    ins = list(op.example.ins)
    out = op.infer(op.Args.model_validate(dict(op.example.args)), ins)
    shapes = ", ".join(fmt_shape(s) for s in ins)
    return f"`{value({'op': kind, **op.example.args})}`<br>{shapes} → {fmt_shape(out)}"


def table() -> str:
    """The kinds a spec can write: the source op (the network's input) is placed by lowering."""
    from archspec.ops.base import placeable

    rows = ["| op | inputs | arguments (type = default) | what it does | example: input → output | ONNX |",
            "|---|---|---|---|---|---|"]
    for kind, op in sorted(placeable().items()):
        rows.append(f"| `{kind}` | {op.arity} | {arguments(op.Args.model_json_schema())} | {op.doc} | "
                    f"{example_text(kind)} | {op.onnx or '—'} |")
    return "\n".join(rows) + "\n"


def render() -> str:
    return replace_section(TARGET.read_text(encoding="utf-8"), SECTION, table())


GENERATED = Generated(TARGET, render)

if __name__ == "__main__":
    sys.exit(GENERATED.main(__doc__))
