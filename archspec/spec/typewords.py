"""What a pydantic field accepts, in words, read from its annotation: the alternatives of a union
said once ("a positive integer or a list of two positive integers"), not pydantic's error per member."""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel, Tag
from pydantic.fields import FieldInfo

_COUNTS = {1: "one", 2: "two", 3: "three", 4: "four"}
_NOUNS = {"integer": "integers", "number": "numbers", "mapping": "mappings", "list": "lists", "text": "texts"}


def _unwrap(ann: Any) -> tuple[Any, list[Any]]:
    """The type inside `Annotated[...]` layers, with their metadata (FieldInfo's constraints flattened)."""
    meta: list[Any] = []
    while get_origin(ann) is Annotated:
        ann, *extra = get_args(ann)
        for m in extra:
            meta.extend(m.metadata if isinstance(m, FieldInfo) else [m])
    return ann, meta


def _any_union(ann: Any) -> bool:
    return get_origin(_unwrap(ann)[0]) in (Union, types.UnionType)


def is_union(ann: Any) -> bool:
    """More than one form (`X | None` is one: None is leaving the key out)."""
    return _any_union(ann) and len(_members(ann)) > 1


def _members(ann: Any) -> list[Any]:
    return [m for m in get_args(_unwrap(ann)[0]) if m is not type(None)]


def _tag(member: Any) -> str | None:
    inner, meta = _unwrap(member)
    return next((m.tag for m in meta if isinstance(m, Tag)), getattr(inner, "__name__", None))


def annotation_at(ann: Any, path: tuple[Any, ...], tags: frozenset[str] = frozenset()) -> Any:
    """The annotation (with its field's constraints) of the value at `path` in data for `model`, or None.
    A union of models is entered by the member pydantic tagged in the error (`tags`), else the first
    member the rest of the path fits."""
    if not path:
        return ann
    inner, _ = _unwrap(ann)
    origin = get_origin(inner)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        f = inner.model_fields.get(path[0]) if isinstance(path[0], str) else None
        if f is None:
            return None
        return annotation_at(Annotated[f.annotation, f], path[1:], tags)  # the FieldInfo: constraints, description
    if origin in (Union, types.UnionType):
        members = _members(inner)
        chosen = [m for m in members if _tag(m) in tags] or members
        return next((a for a in (annotation_at(m, path, tags) for m in chosen) if a is not None), None)
    if origin in (list, set, frozenset) and isinstance(path[0], int):
        return annotation_at(get_args(inner)[0], path[1:], tags)
    if origin is tuple and isinstance(path[0], int):
        args = get_args(inner)
        item = args[0] if len(args) == 2 and args[1] is Ellipsis else (args[path[0]] if path[0] < len(args) else None)
        return None if item is None else annotation_at(item, path[1:], tags)
    if origin is dict:
        return annotation_at(get_args(inner)[1], path[1:], tags)
    return None


def field_names(ann: Any, tags: frozenset[str] = frozenset()) -> list[str]:
    """The keys a mapping for `ann` may have (a union of models: the tagged member's, else all of them)."""
    inner, _ = _unwrap(ann)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return list(inner.model_fields)
    if _any_union(inner):
        members = _members(inner)
        chosen = [m for m in members if _tag(m) in tags] or members
        return list(dict.fromkeys(n for m in chosen for n in field_names(m)))
    return []


def alternatives(ann: Any) -> list[str] | None:
    """Each form `ann` accepts, in words (a union's members flattened, a Literal's values one by one);
    None where one cannot be said."""
    inner, _ = _unwrap(ann)
    if _any_union(inner):
        out: list[str] = []
        for m in _members(inner):
            words = alternatives(m)
            if words is None:
                return None
            out.extend(w for w in words if w not in out)
        return out
    if get_origin(inner) is Literal:
        return [repr(v) for v in get_args(inner)]
    one = describe(ann)
    return None if one is None else [one]


def join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def describe(ann: Any) -> str | None:
    """One accepted form in words: 'a positive integer', 'a list of three integers', 'a number in (0, 1]'."""
    inner, meta = _unwrap(ann)
    origin = get_origin(inner)
    if _any_union(inner) or origin is Literal:
        words = alternatives(ann)
        return None if words is None else join(words)
    if inner is bool:
        return "true or false"
    if inner is int:
        return _bounded("integer", meta)
    if inner is float:
        return _bounded("number", meta)
    if inner is str:
        return "text"
    if isinstance(inner, type) and issubclass(inner, BaseModel) or inner is dict or origin is dict:
        return "a mapping"
    if origin in (list, tuple):
        args = get_args(inner)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            item = describe(args[0]) if len({repr(a) for a in args}) == 1 else None
            return None if item is None else f"a list of {_count(len(args))} {_plural(item)}"
        item = describe(args[0]) if args else None
        if item is None:
            return None
        lo = next((m.min_length for m in meta if isinstance(m, at.MinLen)), None)
        hi = next((m.max_length for m in meta if isinstance(m, at.MaxLen)), None)
        n = (_count(lo) if lo == hi and lo is not None else f"at least {_count(lo)}" if hi is None and lo
             else f"at most {_count(hi)}" if lo in (None, 0) and hi is not None
             else f"{_count(lo)} to {_count(hi)}" if lo is not None and hi is not None else "")
        one = (lo == 1 and hi in (None, 1)) or (lo in (None, 0) and hi == 1)
        return f"a list of {n + ' ' if n else ''}{_singular(item) if one else _plural(item)}"
    return None


def _count(n: int | None) -> str:
    return _COUNTS.get(n, f"{n:,}") if n is not None else ""


def _singular(words: str) -> str:
    """'a positive integer' -> 'positive integer' (after 'one')."""
    return words.split(" ", 1)[1] if words.startswith(("a ", "an ")) else words


def _plural(words: str) -> str:
    """'a positive integer' -> 'positive integers' (the article dropped, the noun made plural)."""
    out = _singular(words).split(" ")
    for i, w in enumerate(out):
        if w in _NOUNS:
            out[i] = _NOUNS[w]
            break
    return " ".join(out)


def _bounded(noun: str, meta: list[Any]) -> str:
    gt = next((m.gt for m in meta if isinstance(m, at.Gt)), None)
    ge = next((m.ge for m in meta if isinstance(m, at.Ge)), None)
    lt = next((m.lt for m in meta if isinstance(m, at.Lt)), None)
    le = next((m.le for m in meta if isinstance(m, at.Le)), None)
    if noun == "integer" and lt is None and le is None and (gt == 0 or ge == 1):
        return "a positive integer"
    if noun == "integer" and lt is None and le is None and ge == 0:
        return "a non-negative integer"
    if noun == "integer" and ge is not None and le is not None:
        return f"an integer from {ge:,} to {le:,}"
    if (gt is not None or ge is not None) and (lt is not None or le is not None):
        return (f"a {noun} in {'(' if gt is not None else '['}{_num(gt if gt is not None else ge)}, "
                f"{_num(lt if lt is not None else le)}{')' if lt is not None else ']'}")
    for op, v in ((">", gt), ("≥", ge), ("<", lt), ("≤", le)):
        if v is not None:
            return f"a {noun} {op} {_num(v)}"
    return f"an {noun}" if noun == "integer" else f"a {noun}"


def _num(v: Any) -> str:
    return f"{v:,}" if isinstance(v, int) and abs(v) >= 10_000 else f"{v:g}" if isinstance(v, float) else str(v)
