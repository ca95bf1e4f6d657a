"""The JSON Schema of the spec language, generated from the pydantic models.

The top level comes from `Spec`; each network item is a one-key mapping whose value is
one of the op kinds' argument models (from the registry), a structural kind's model
(archspec/spec/structural.py; concat and add take both), or a block instance. Any value may
also be a `${...}` expression, so every property accepts one.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from archspec.ops.base import placeable
from archspec.spec.models import Spec
from archspec.spec.structural import STRUCTURAL

EXPR = {"type": "string", "pattern": r"\$\{.+\}", "description": "an expression over parameters"}
_ITEM_LIST = {"type": "array", "items": {"$ref": "#/$defs/item"}}
_BODY = {"anyOf": [_ITEM_LIST, {"$ref": "#/$defs/op"}]}
_PLACEHOLDERS = {"item-list": _ITEM_LIST, "body": _BODY}


def _fill(schema: Any) -> Any:
    """The structural models' body placeholders (archspec/spec/structural.py) made references."""
    if isinstance(schema, dict):
        if "x-archspec" in schema:
            return _PLACEHOLDERS[schema["x-archspec"]]
        return {k: _fill(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_fill(v) for v in schema]
    return schema


def _props(model: type[BaseModel]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A model's properties, each also accepting an expression, and its definitions."""
    s = _fill(model.model_json_schema(by_alias=True))
    return {k: _widen(v) for k, v in s.get("properties", {}).items()}, s.get("$defs", {})


def _widen(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, EXPR]} if schema else schema


def _entry(kind: str, props: dict[str, Any], doc: str, defs: dict[str, Any], inputs: bool) -> dict[str, Any]:
    # no `required` beyond `op`: `defaults:` may supply any argument
    reads = {"inputs": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}} if inputs else {}
    entry: dict[str, Any] = {"type": "object", "required": ["op"], "additionalProperties": False,
                             "properties": {"op": {"const": kind, "description": doc}, **props, **reads}}
    if defs:
        entry["$defs"] = defs
    return entry


def op_schemas() -> list[dict[str, Any]]:
    out = []
    ops = placeable()
    for kind in sorted(set(ops) | set(STRUCTURAL)):
        props, defs = _props(ops[kind].Args) if kind in ops else ({}, {})
        if kind in STRUCTURAL:
            own, own_defs = _props(STRUCTURAL[kind])
            props, defs = {**own, **props}, {**own_defs, **defs}
        doc = ops[kind].doc if kind in ops else STRUCTURAL[kind].doc
        out.append(_entry(kind, props, doc, defs, kind not in STRUCTURAL or STRUCTURAL[kind].takes_inputs))
    out.append({"type": "object", "description": "a block instance: op names a block, other keys are its params",
                "properties": {"op": {"type": "string", "not": {"enum": sorted(set(ops) | set(STRUCTURAL))}}},
                "required": ["op"]})
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
