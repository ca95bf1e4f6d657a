"""The JSON Schema of the spec language, generated from the pydantic models.

The top level comes from `Spec`; each network item is a one-key mapping whose value is
one of the op kinds' argument models (from the registry), a structural kind, or a block
instance. Any value may also be a `${...}` expression, so every property accepts one.
"""

from __future__ import annotations

from typing import Any

from archspec.ops.base import placeable
from archspec.spec.models import Spec

EXPR = {"type": "string", "pattern": r"\$\{.+\}", "description": "an expression over parameters"}
_ITEM_LIST = {"type": "array", "items": {"$ref": "#/$defs/item"}}
_BODY = {"anyOf": [_ITEM_LIST, {"$ref": "#/$defs/op"}]}
_STRUCTURAL: dict[str, dict[str, Any]] = {
    "concat": {"branches": {"type": "object", "additionalProperties": _BODY}},
    "add": {"branches": {"type": "object", "additionalProperties": _BODY}},
    "residual": {"body": _BODY, "scale": {"type": "number"}, "act": {"type": "string"}},
    "seq": {"body": _ITEM_LIST},
    "repeat": {"block": {"type": "string"}, "times": {"type": "integer", "minimum": 1},
               "with": {"type": "object"}, "name": {"type": "string"}, "start": {"type": "integer"}},
    "aux": {"from": {"type": "string"}, "loss_weight": {"type": "number"}, "body": _ITEM_LIST,
            "block": {"type": "string"}, "with": {"type": "object"}},
}


def _widen(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, EXPR]} if schema else schema


def _entry(kind: str, props: dict[str, Any], doc: str, defs: dict[str, Any]) -> dict[str, Any]:
    # no `required` beyond `op`: `defaults:` may supply any argument
    entry: dict[str, Any] = {"type": "object", "required": ["op"], "additionalProperties": False,
                             "properties": {"op": {"const": kind, "description": doc}, **props,
                                            "inputs": {"anyOf": [{"type": "string"},
                                                                 {"type": "array", "items": {"type": "string"}}]}}}
    if defs:
        entry["$defs"] = defs
    return entry


def op_schemas() -> list[dict[str, Any]]:
    out = []
    for kind, op in sorted(placeable().items()):
        s = op.Args.model_json_schema()
        props = {k: _widen(v) for k, v in s.get("properties", {}).items()}
        out.append(_entry(kind, {**_STRUCTURAL.get(kind, {}), **props}, op.doc, s.get("$defs", {})))
    for kind, props in _STRUCTURAL.items():
        if kind not in placeable():
            out.append(_entry(kind, {k: _widen(v) for k, v in props.items()}, f"structural: {kind}", {}))
    names = sorted(set(placeable()) | set(_STRUCTURAL))
    out.append({"type": "object", "description": "a block instance: op names a block, other keys are its params",
                "properties": {"op": {"type": "string", "not": {"enum": names}}}, "required": ["op"]})
    return out


def json_schema() -> dict[str, Any]:
    schema = Spec.model_json_schema()
    defs = schema.setdefault("$defs", {})
    defs["op"] = {"anyOf": op_schemas()}
    defs["item"] = {"type": "object", "minProperties": 1, "maxProperties": 1,
                    "additionalProperties": {"anyOf": [{"$ref": "#/$defs/op"}, {"type": "string"}]}}
    schema["properties"]["network"] = _ITEM_LIST
    schema["$defs"]["BlockDef"]["properties"]["body"] = _BODY
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "archspec spec"
    return schema
