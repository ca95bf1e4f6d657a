"""Turning pydantic's validation errors into archspec problems with file:line:col."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pydantic.fields import FieldInfo

from archspec.errors import ArchspecError, Location, Problem, did_you_mean
from archspec.spec.typewords import alternatives, annotation_at, field_names, is_union, join
from archspec.spec.yamlload import PosList, PosMap, loc_of

M = TypeVar("M", bound=BaseModel)


def _real_path(tree: Any, loc: tuple[Any, ...], missing: bool) -> tuple[Any, ...]:
    """Drop pydantic's union-member tags, keeping the parts that exist in the data."""
    out: list[Any] = []
    node = tree
    for part in loc:
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
    if missing and loc and (not out or out[-1] != loc[-1]):
        out.append(loc[-1])
    return tuple(out)


def _tags(errs: list[Any]) -> frozenset[str]:
    """The union members pydantic entered for these errors (the text parts of their locations)."""
    return frozenset(p for e in errs for p in e["loc"] if isinstance(p, str))


def _field_names(model: type[BaseModel], path: tuple[Any, ...], errs: list[Any]) -> list[str]:
    """The keys allowed in the mapping at `path` (a union of models: the member pydantic chose)."""
    tags = _tags(errs)
    return field_names(annotation_at(model, path, tags), tags)


def _at(tree: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        tree = tree[p]
    return tree


def _describe(v: Any) -> str:
    text = repr(v) if not isinstance(v, (dict, list)) else ("a mapping" if isinstance(v, dict) else "a list")
    return text if len(text) < 60 else text[:57] + "..."


def _shown(v: Any) -> str:
    """The value as written, a short list of scalars included ([3, 299])."""
    if isinstance(v, list) and not any(isinstance(x, (dict, list)) for x in v):
        text = "[" + ", ".join(repr(x) for x in v) + "]"
        return text if len(text) < 60 else text[:57] + "..."
    return _describe(v)


# errors saying the value is of another form than a union member accepts, not that it breaks the member's rule
_OTHER_FORM = {"int_type", "float_type", "bool_type", "string_type", "list_type", "tuple_type", "dict_type",
               "model_type", "model_attributes_type", "literal_error", "int_parsing", "float_parsing",
               "bool_parsing", "int_from_float"}


def _accepted(model: type[BaseModel], path: tuple[Any, ...], errs: list[Any], node: Any,
              dotted: str) -> tuple[str, str] | None:
    """A union's refusal, or a list of the wrong length: '{dotted} must be {every accepted form}, got {value}'
    and its remedy; None where the annotation cannot be said in words."""
    kinds = {e["type"] for e in errs}
    ann = annotation_at(model, path, _tags(errs))
    lengths = {"missing", "too_short", "too_long"}
    listed = kinds <= lengths and isinstance(node, list) or kinds <= {"list_type", "tuple_type"}
    if ann is None or not (is_union(ann) and len(errs) > 1 or listed):
        return None
    words = alternatives(ann)
    if words is None:
        return None
    about = getattr(ann, "__metadata__", ()) if listed else ()  # what the items mean: C, H, W
    note = next((f" ({m.description})" for m in about if isinstance(m, FieldInfo) and m.description), "")
    msg = f"{dotted} must be {join(words)}{note}, got {_shown(node)}"
    close = [e for e in errs if e["type"] not in _OTHER_FORM]  # the member the value has the form of
    if not close:
        return msg, "write one of the forms listed" if is_union(ann) else _remedy(kinds, path, model)
    sized = [e for e in close if e["type"] in lengths]
    if sized and isinstance(node, list):
        want = sized[0].get("ctx", {}).get("max_length" if sized[0]["type"] == "too_long" else "min_length")
        want = len(node) + sum(1 for e in sized if e["type"] == "missing") if want is None else want
        least = sized[0]["type"] == "too_short" and "a list of at least" in msg  # no upper bound
        items = f"{'at least ' if least else ''}{want} item" + ("s" if want != 1 else "")
        example = (node + [node[-1]] * want)[:want] if node else None
        return msg, f"write {items}" + (f", e.g. {_shown(example)}" if example else "")
    return msg, _remedy({e["type"] for e in close}, path, model)


def problems_from(exc: ValidationError, tree: Any, model: type[BaseModel], what: str,
                  node_path: str | None = None, fallback: Location | None = None) -> list[Problem]:
    groups: dict[tuple[Any, ...], list[Any]] = {}  # pydantic's ErrorDetails, grouped by the path in the tree
    for err in exc.errors():
        if err["loc"][-1:] == ("[key]",):  # pydantic writes the key as text ('None'): take the key itself
            path = _real_path(tree, err["loc"][:-2], False) + (err["input"],)
        else:
            path = _real_path(tree, err["loc"], err["type"] == "missing")
        groups.setdefault(path, []).append(err)
    for path in [p for p, errs in groups.items() if all(e["type"] in _OTHER_FORM for e in errs)]:
        if any(len(q) > len(path) and q[:len(path)] == path for q in groups):
            del groups[path]  # the value has another union member's form, whose error is deeper: that one counts
    missing = {path for path, errs in groups.items() if {e["type"] for e in errs} == {"missing"}}
    for path, errs in groups.items():
        if any(e["type"] == "extra_forbidden" for e in errs):
            close = did_you_mean(str(path[-1]), _field_names(model, path[:-1], errs)) or ""
            # a misspelt key explains the missing one: report it once
            missing = {m for m in missing if not (m[:-1] == path[:-1] and repr(m[-1]) in close)}
    # a list too short for its tuple (`input: [32, 32]`): pydantic names each absent position
    short: dict[tuple[Any, ...], int] = {}
    for path in missing:
        if path and isinstance(path[-1], int):
            short[path[:-1]] = max(short.get(path[:-1], 0), path[-1] + 1)
    out: list[Problem] = []
    for path, errs in groups.items():
        kinds = {e["type"] for e in errs}
        dotted = ".".join(str(p) for p in path)
        hint: str | None = None
        if "extra_forbidden" in kinds:
            key = path[-1]
            allowed = _field_names(model, path[:-1], errs)
            msg = f"unknown key {key!r} in {what}" + (f" (at {'.'.join(map(str, path[:-1]))})" if len(path) > 1 else "")
            hint = did_you_mean(str(key), allowed) or (f"allowed keys: {', '.join(allowed)}" if allowed else None)
            loc = loc_of(tree, path, key=True)
        elif kinds == {"missing"} and path[:-1] in short:
            expected = short.pop(path[:-1])
            msg, hint = _accepted(model, path[:-1], errs, _at(tree, path[:-1]), ".".join(map(str, path[:-1]))) or (
                f"invalid value a list for {'.'.join(map(str, path[:-1]))}: expected {expected} items, "
                f"got {len(_at(tree, path[:-1]))}", f"write {expected} items")
            loc = loc_of(tree, path[:-1])
        elif kinds == {"missing"}:
            if path not in missing or isinstance(path[-1], int):
                continue
            msg = f"missing required key {path[-1]!r} in {what}"
            loc = loc_of(tree, path[:-1])
        elif all(e["loc"][-1:] == ("[key]",) for e in errs):  # a mapping key of the wrong type, e.g. `- 5: {...}`
            where = ".".join(str(p) for p in path[:-1]) or what
            key = path[-1]
            if isinstance(key, bool) or key is None:
                word = "null" if key is None else str(key).lower()
                msg = (f"the key {word} in {where} is a YAML {'null' if key is None else 'boolean'}, "
                       "not a name: keys here are names (strings)")
                hint = ("YAML reads unquoted yes/no/on/off/true/false as booleans and ~ or null as null: "
                        "quote the key ('yes': ...) or choose another name")
            elif any(e["type"] == "value_error" for e in errs):
                reason = next(e["msg"] for e in errs if e["type"] == "value_error").replace("Value error, ", "")
                msg = f"invalid key {key!r} in {where}: {reason}"
            else:
                msg = f"invalid key {key!r} in {where}: keys here are names (strings)"
                hint = "names start with a letter or _"
            loc = loc_of(tree, path, key=True)
        elif (said := _accepted(model, path, errs, _at(tree, path), dotted or what)) is not None:
            msg, hint = said
            loc = loc_of(tree, path)
        else:
            node = _at(tree, path)
            msgs = []
            for e in errs:
                m = e["msg"].replace("Input should be", "expected").replace("Value error, ", "")
                m = re.sub(r"^\w+ should have (.*) after validation", r"expected \1", m).replace("valid tuple", "list")
                m = re.sub(r" or instance of \w+$", "", m)  # pydantic names our model classes
                if m not in msgs:
                    msgs.append(m)
            expect = msgs[0] if len(msgs) == 1 else "; or ".join(msgs)
            msg = f"invalid value {_describe(node)} for {dotted or what}: {expect}"
            loc = loc_of(tree, path)
        if loc is None or loc.file is None:
            loc = fallback or loc  # a `--set KEY` location has no line but is the right place
        out.append(Problem(msg, loc, node_path, hint or _remedy(kinds, path, model)))
    return sorted(out, key=lambda p: (p.loc.line or 0) if p.loc else 0)


_REMEDIES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("bool_type", "bool_parsing"), "write true or false, unquoted"),
    (("int_type", "int_parsing", "int_from_float"), "write a whole number, unquoted (3, not 3.0 or \"3\")"),
    (("finite_number",), "write a finite number: not .inf or .nan"),
    (("float_type", "float_parsing"), "write a number, unquoted (0.5)"),
    (("string_type",), "write text (quote it if YAML would read it as a number or a boolean)"),
    (("greater_than", "greater_than_equal", "less_than", "less_than_equal"), "use a value inside that range"),
    (("literal_error", "enum"), "use one of the values listed"),
    (("string_pattern_mismatch", "string_too_long", "string_too_short"),
     "names are letters, digits, _, - and ., starting with a letter, digit or _ (at most 100 characters)"),
    (("list_type", "tuple_type", "too_short", "too_long"), "write the items in square brackets, separated by commas"),
    (("dict_type", "model_type", "model_attributes_type"), "write a mapping (key: value on its own lines, or {...})"),
)


def _remedy(kinds: set[str], path: tuple[Any, ...], model: type[BaseModel]) -> str:
    """What to do about a validation problem that has no more specific hint: by the kind of error."""
    if kinds == {"missing"} and path:
        return f"add `{path[-1]}: ...` here (docs/spec-language.md lists every key)"
    if "extra_forbidden" in kinds:
        return "remove the key, or check its spelling against docs/spec-language.md"
    for types, text in _REMEDIES:
        if kinds & set(types):
            return text
    return "docs/spec-language.md describes every key and the values it takes"


def validate(model: type[M], tree: Any, what: str, node_path: str | None = None,
             fallback: Location | None = None) -> M:
    try:
        return model.model_validate(tree)
    except ValidationError as exc:
        raise ArchspecError(problems_from(exc, tree, model, what, node_path, fallback)) from None


__all__ = ["validate", "problems_from", "PosMap", "PosList"]
