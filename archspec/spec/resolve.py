"""Resolve a spec reference (`specs/x.yaml#variant`) into one validated spec tree.

`extends` merges a parent file under the child; `set` / `remove` / `insert` change the
merged tree by path, where a path walks mappings by key and named lists by item name
(`network.Mixed_5b.pool_features`). Variants use the same override grammar, so a variant
holds only its difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archspec.errors import ArchspecError, Location, fail, did_you_mean
from archspec.spec.models import OVERRIDE_KEYS, Insert, Overrides, Spec
from archspec.spec.validate import validate
from archspec.spec.yamlload import PosList, PosMap, load_file, load_text

MAX_EXTENDS_DEPTH = 8
SPEC_SUFFIXES = (".yaml", ".yml")
_MERGED_BY_KEY = ("params", "defaults", "blocks", "variants")


@dataclass
class ResolvedSpec:
    """A spec after extends, variant and overrides: the raw tree (with positions) and its model."""

    tree: PosMap
    spec: Spec
    file: str
    variant: str | None

    @property
    def ref(self) -> str:
        return self.file + (f"#{self.variant}" if self.variant else "")


def split_ref(ref: str) -> tuple[str, str | None]:
    file, sep, variant = str(ref).partition("#")
    return file, (variant if sep else None)


def resolve(ref: str | Path, overrides: list[str] | None = None) -> ResolvedSpec:
    """Load `file[#variant]`, apply `--set`-style `key=value` overrides, and validate."""
    file, variant = split_ref(str(ref))
    tree = _load(Path(file), ())
    if variant:
        variants = tree.get("variants") or PosMap()
        if not isinstance(variants, PosMap):
            raise fail("`variants:` must map variant names to overrides", tree.val_loc["variants"])
        if variant not in variants:
            names = ", ".join(sorted(map(str, variants))) or "none"
            raise fail(f"unknown variant {variant!r} (this spec has: {names})",
                       tree.key_loc.get("variants", Location(file, 1, 1)),
                       hint=did_you_mean(variant, variants) or f"use one of: {names}")
        ov = validate(Overrides, variants[variant], f"variant {variant!r}", fallback=variants.val_loc[variant])
        apply_overrides(tree, variants[variant], ov)
    if overrides:
        apply_cli_sets(tree, overrides)
    spec = validate(Spec, tree, "the spec", fallback=Location(file, 1, 1))
    return ResolvedSpec(tree, spec, file, variant)


def apply_cli_sets(tree: PosMap, assignments: list[str]) -> None:
    """`--set a.b=value`: the value is read as YAML, so `3`, `0.1`, `[3,79,79]` have types."""
    for text in assignments:
        key, eq, value = text.partition("=")
        if not eq or not key.strip():
            raise fail(f"--set expects KEY=VALUE, got {text!r}", hint="for example --set train.epochs=3")
        parsed = load_text(value, f"--set {key}")
        set_path(tree, key.strip(), parsed, Location(f"--set {key.strip()}"))


def _load(path: Path, chain: tuple[Path, ...], at: Location | None = None) -> PosMap:
    if path.suffix not in SPEC_SUFFIXES:
        raise fail(f"{path} is not a spec file", at, hint="a spec (and anything it extends) must be a .yaml or .yml file")
    if not path.is_file():
        raise fail(f"spec file not found: {path}", at,
                   hint="paths in `extends` are relative to the file that names them" if at else "check the path")
    real = path.resolve()
    if real in chain:
        cycle = " -> ".join(p.name for p in chain + (real,))
        raise fail(f"`extends` cycle: {cycle}", at, hint="a spec cannot extend itself, directly or through others")
    tree = load_file(path)
    if not isinstance(tree, PosMap):
        raise fail("a spec must be a YAML mapping (archspec: 1, name: ..., network: [...])", Location(str(path), 1, 1))
    if "extends" not in tree:
        return tree
    ext_loc = tree.val_loc["extends"]
    parent_name = tree["extends"]
    if not isinstance(parent_name, str):
        raise fail("`extends` must be a file name", ext_loc)
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise fail(f"`extends` is nested more than {MAX_EXTENDS_DEPTH} deep", ext_loc)
    parent = _load(path.parent / parent_name, chain + (real,), ext_loc)
    ov = validate(Overrides, _submap(tree, ("set", "remove", "insert")), "overrides")
    merged = _merge(parent, tree)
    apply_overrides(merged, tree, ov)
    return merged


def _submap(tree: PosMap, keys: tuple[str, ...]) -> PosMap:
    out = PosMap(loc=tree.loc)
    for k in keys:
        if k in tree:
            out[k] = tree[k]
            out.key_loc[k] = tree.key_loc[k]
            out.val_loc[k] = tree.val_loc[k]
    return out


def _merge(parent: PosMap, child: PosMap) -> PosMap:
    out = PosMap(loc=child.loc)
    for src in (parent, child):
        for k, v in src.items():
            if k in OVERRIDE_KEYS:
                continue
            if k in _MERGED_BY_KEY and isinstance(out.get(k), PosMap) and isinstance(v, PosMap):
                merged = PosMap(loc=v.loc)
                for s in (out[k], v):
                    merged.update(s)
                    merged.key_loc.update(s.key_loc)
                    merged.val_loc.update(s.val_loc)
                v = merged
            out[k] = v
            out.key_loc[k] = src.key_loc[k]
            out.val_loc[k] = src.val_loc[k]
    return out


def apply_overrides(tree: PosMap, raw: PosMap, ov: Overrides) -> None:
    problems = []
    sets, removes, inserts = raw.get("set") or PosMap(), raw.get("remove") or PosList(), raw.get("insert") or PosList()
    for key, value in list(sets.items()):  # a path may lead back into `sets` itself
        try:
            set_path(tree, key, value, sets.key_loc[key])
        except ArchspecError as e:
            problems.extend(e.problems)
    for i, key in enumerate(removes):
        try:
            _remove_path(tree, key, removes.item_loc[i])
        except ArchspecError as e:
            problems.extend(e.problems)
    for i, ins in enumerate(ov.insert):
        try:
            _insert(tree, ins, inserts[i], inserts.item_loc[i])
        except ArchspecError as e:
            problems.extend(e.problems)
    if problems:
        raise ArchspecError(problems)


def _child(node: Any, seg: str, walked: str, at: Location) -> Any:
    if isinstance(node, PosMap):
        if seg in node:
            return node[seg]
        raise fail(f"no {seg!r} in {walked or 'the spec'}", at, hint=did_you_mean(seg, node))
    if isinstance(node, PosList):
        for item in node:
            if isinstance(item, dict) and len(item) == 1 and seg in item:
                return item[seg]
        names = [k for item in node if isinstance(item, dict) for k in item]
        raise fail(f"no item named {seg!r} in {walked}", at, hint=did_you_mean(seg, names))
    raise fail(f"cannot go into {walked} (it is a value, not a mapping or list)", at)


def _walk(tree: PosMap, path: str, at: Location) -> tuple[Any, str]:
    segs = path.split(".")
    node: Any = tree
    for i, seg in enumerate(segs[:-1]):
        node = _child(node, seg, ".".join(segs[:i]), at)
    return node, segs[-1]


def set_path(tree: PosMap, path: str, value: Any, at: Location) -> None:
    parent, last = _walk(tree, path, at)
    if isinstance(parent, PosMap):
        parent[last] = value
        parent.key_loc[last] = at
        parent.val_loc[last] = getattr(value, "loc", at)
        return
    if isinstance(parent, PosList):
        for item in parent:
            if isinstance(item, PosMap) and len(item) == 1 and last in item:
                item[last] = value
                item.val_loc[last] = getattr(value, "loc", at)
                return
    _child(parent, last, path.rpartition(".")[0], at)


def _remove_path(tree: PosMap, path: str, at: Location) -> None:
    parent, last = _walk(tree, path, at)
    _child(parent, last, path.rpartition(".")[0], at)
    if isinstance(parent, PosMap):
        del parent[last]
        return
    for i, item in enumerate(parent):
        if isinstance(item, dict) and len(item) == 1 and last in item:
            del parent[i]
            del parent.item_loc[i]
            return


def _insert(tree: PosMap, ins: Insert, raw: PosMap, at: Location) -> None:
    anchor = ins.after or ins.before
    if not anchor or (ins.after and ins.before):
        raise fail("insert needs exactly one of `after:` or `before:`", at)
    parent, last = _walk(tree, anchor, at)
    _child(parent, last, anchor.rpartition(".")[0], at)
    if not isinstance(parent, PosList):
        raise fail(f"insert {'after' if ins.after else 'before'} {anchor!r}: that is not an item of a list", at)
    idx = next(i for i, item in enumerate(parent) if isinstance(item, dict) and last in item)
    idx += 1 if ins.after else 0
    items: PosList = raw["items"]
    parent[idx:idx] = list(items)
    parent.item_loc[idx:idx] = items.item_loc
