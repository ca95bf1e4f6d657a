"""Variant composition: `spec.yaml#a+b`, and variants built on others with `base: [...]`.

A composition is applied as one ordered plan: each variant after its bases, each once. Two
variants of a plan that neither derives from the other must not change the same thing (the
same path, or one path inside the other, to different values): that would make the result
depend on the order they are written in, so it is an error at both lines rather than a
silent last-wins. A variant that names another as its base overrides it on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archspec.errors import ArchspecError, Location, Problem, did_you_mean, fail
from archspec.spec.models import Overrides
from archspec.spec.validate import validate
from archspec.spec.yamlload import PosList, PosMap

SEPARATOR = "+"


@dataclass(frozen=True)
class Step:
    """One variant of a plan: its raw overrides (with positions), validated, and what it derives from."""

    name: str
    raw: PosMap
    overrides: Overrides
    ancestors: frozenset[str]


def plan(tree: PosMap, composition: str, file: str) -> list[Step]:
    """The variants `a+b` applies, in order, checked for conflicts."""
    variants = tree.get("variants") or PosMap()
    if not isinstance(variants, PosMap):
        raise fail("`variants:` must map variant names to overrides", tree.val_loc["variants"],
                   hint="write `variants: {name: {set: {...}}}`")
    at = tree.key_loc.get("variants", Location(file, 1, 1))
    steps: dict[str, Step] = {}
    names = [name.strip() for name in composition.split(SEPARATOR)]
    if "" in names:
        where = "after '#'" if not composition.strip() else f"in '#{composition}'"
        raise fail(f"empty variant name {where}", at,
                   hint=f"name one of: {_listed(variants)}" if variants else "this spec has no variants: drop the '#'")
    for name in names:
        _visit(variants, name, at, (), steps)
    out = list(steps.values())
    _check_conflicts(out)
    return out


def _listed(variants: PosMap) -> str:
    return ", ".join(sorted(map(str, variants)))


def _visit(variants: PosMap, name: str, at: Location, chain: tuple[str, ...], steps: dict[str, Step]) -> Step:
    if name in chain:
        raise fail(f"variant bases form a cycle: {' -> '.join(chain + (name,))}", at,
                   hint="a variant cannot be its own base, directly or through others")
    if name in steps:
        return steps[name]
    if name not in variants:
        names = _listed(variants) or "none"
        raise fail(f"unknown variant {name!r} (this spec has: {names})", at,
                   hint=did_you_mean(name, variants) or f"use one of: {names}")
    raw = variants[name]
    ov = validate(Overrides, raw, f"variant {name!r}", fallback=variants.val_loc[name])
    ancestors: set[str] = set()
    bases = raw.get("base") if isinstance(raw, PosMap) else None
    for i, base in enumerate(ov.base):
        where = bases.item_loc[i] if isinstance(bases, PosList) else variants.val_loc[name]
        ancestors |= {base} | _visit(variants, base, where, chain + (name,), steps).ancestors
    step = steps[name] = Step(name, raw, ov, frozenset(ancestors))
    return step


def _touched(step: Step) -> list[tuple[str, Any, Location]]:
    """(path, value, where) of everything a variant sets or removes; a removal's value is a marker."""
    out: list[tuple[str, Any, Location]] = []
    sets = step.raw.get("set")
    if isinstance(sets, PosMap):
        out += [(str(k), v, sets.key_loc[k]) for k, v in sets.items()]
    removes = step.raw.get("remove")
    if isinstance(removes, PosList):
        out += [(str(k), _REMOVED, removes.item_loc[i]) for i, k in enumerate(removes)]
    return out


_REMOVED = object()


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _conflict(later: Step, earlier: Step) -> tuple[str, Location, str, Location] | None:
    """The first thing both variants change differently: (path, where, the other's path, where)."""
    for path, value, loc in _touched(later):
        for other, other_value, other_loc in _touched(earlier):
            same = path == other and value is not _REMOVED and value == other_value
            if _related(path, other) and not same:
                return path, loc, other, other_loc
    return None


def _check_conflicts(steps: list[Step]) -> None:
    problems: list[Problem] = []
    for j, later in enumerate(steps):
        for earlier in steps[:j]:
            found = None if earlier.name in later.ancestors else _conflict(later, earlier)
            if found is None:
                continue
            path, loc, other, other_loc = found
            what = repr(path) if path == other else f"{path!r}, and {earlier.name!r} changes {other!r}"
            hint = (f"compose variants that change different things, or make one the base of the other "
                    f"(`base: [{earlier.name}]` in {later.name!r}) so that it overrides it on purpose")
            problems.append(Problem(f"variants {earlier.name!r} and {later.name!r} conflict: {later.name!r} changes "
                                    f"{what}; the result would depend on their order", loc,
                                    f"variants.{later.name}", hint))
            problems.append(Problem(f"the conflicting change of variant {earlier.name!r}", other_loc,
                                    f"variants.{earlier.name}", hint))
    if problems:
        raise ArchspecError(problems)
