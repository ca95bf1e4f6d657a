"""Resolve a spec reference (`specs/x.yaml#variant`) into one validated spec tree.

`extends` merges a parent file under the child; `set` / `remove` / `insert` change the
merged tree by path, where a path walks mappings by key and named lists by item name
(`network.Mixed_5b.pool_features`). Variants use the same override grammar, so a variant
holds only its difference.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archspec.errors import ArchspecError, Location, fail, did_you_mean
from archspec.spec.models import OVERRIDE_KEYS, Insert, Overrides, Spec
from archspec.spec.shipped import shipped_spec, spec_names
from archspec.spec.validate import validate
from archspec.spec.variants import plan
from archspec.spec.yamlload import PosList, PosMap, load_file, load_text

MAX_EXTENDS_DEPTH = 8
SPEC_SUFFIXES = (".yaml", ".yml")
_MERGED_BY_KEY = ("params", "defaults", "blocks", "variants")
_UNSAVED: ContextVar[dict[Path, str]] = ContextVar("unsaved", default={})
"""Real path → text read in place of that file's contents (see `resolve_text`)."""


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


def locate(file: str) -> Path:
    """A spec reference's file: the path if it exists, else the shipped spec of that name."""
    path = Path(file)
    if path.exists():
        return path
    return shipped_spec(file) or path


def resolve(ref: str | Path, overrides: list[str] | None = None) -> ResolvedSpec:
    """Load `file[#variant]` (a path, or a shipped spec's name), apply `--set`-style `key=value`
    overrides, and validate."""
    name, variant = split_ref(str(ref))
    path = locate(name)
    file = str(path)
    tree = _load(path, (), root=path.parent)
    if variant is not None:  # `x.yaml#` names an empty variant: refused, not read as no variant
        apply_variants(tree, variant, file)
    if overrides:
        apply_cli_sets(tree, overrides)
    spec = validate(Spec, tree, "the spec", fallback=Location(file, 1, 1))
    if spec.scale.resolution is not None:
        size = spec.scale.resolution
        spec = spec.model_copy(update={"input": (spec.input[0], size, size)})
    return ResolvedSpec(tree, spec, file, variant)


def resolve_text(text: str, ref: str | Path, overrides: list[str] | None = None) -> ResolvedSpec:
    """`resolve`, with `text` read as the contents of the file `ref` names: an editor's unsaved
    buffer. Its `extends` is relative to that file and its errors are located in it; the files
    it extends are read from disk."""
    token = _UNSAVED.set({Path(split_ref(str(ref))[0]).resolve(): text})
    try:
        return resolve(ref, overrides)
    finally:
        _UNSAVED.reset(token)


def apply_variants(tree: PosMap, composition: str, file: str) -> None:
    """Apply `a+b` (each variant after its bases) to the tree."""
    for step in plan(tree, composition, file):
        apply_overrides(tree, step.raw, step.overrides)


def apply_cli_sets(tree: PosMap, assignments: list[str]) -> None:
    """`--set a.b=value`: the value is read as YAML, so `3`, `0.1`, `[3,79,79]` have types."""
    for text in assignments:
        key, eq, value = text.partition("=")
        if not eq or not key.strip():
            raise fail(f"--set expects KEY=VALUE, got {text!r}", hint="for example --set train.epochs=3")
        parsed = load_text(value, f"--set {key}")
        set_path(tree, key.strip(), parsed, Location(f"--set {key.strip()}"))


def _not_found_hint(path: Path, extends: bool) -> str:
    close = did_you_mean(path.stem, spec_names())
    where = "paths in `extends` are relative to the file that names them" if extends else "check the path"
    return f"{where}; or name a shipped spec: {close or ', '.join(spec_names())}"


def _load(path: Path, chain: tuple[Path, ...], root: Path, at: Location | None = None) -> PosMap:
    if path.is_dir():
        raise fail(f"{path} is a directory, not a spec file", at, hint="name a .yaml file, e.g. specs/inception_v3.yaml")
    if not path.exists():
        what = ("no spec file or shipped spec named" if path.suffix not in SPEC_SUFFIXES and len(path.parts) == 1
                else "spec file not found:")
        raise fail(f"{what} {path}", at, hint=_not_found_hint(path, at is not None))
    if path.suffix not in SPEC_SUFFIXES or not path.is_file():
        raise fail(f"{path} is not a spec file", at, hint="a spec (and anything it extends) must be a .yaml or .yml file")
    real = path.resolve()
    if real in chain:
        cycle = " -> ".join(p.name for p in chain + (real,))
        raise fail(f"`extends` cycle: {cycle}", at, hint="a spec cannot extend itself, directly or through others")
    tree = load_file(path) if (unsaved := _UNSAVED.get().get(real)) is None else load_text(unsaved, str(path))
    if not isinstance(tree, PosMap):
        raise fail("a spec must be a YAML mapping (archspec: 1, name: ..., network: [...])", Location(str(path), 1, 1),
                   hint="start from a shipped spec (`archspec list`) or docs/tutorial.md")
    if "extends" not in tree:
        return tree
    ext_loc = tree.val_loc["extends"]
    parent_name = tree["extends"]
    if not isinstance(parent_name, str):
        raise fail("`extends` must be a file name", ext_loc)
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise fail(f"`extends` is nested more than {MAX_EXTENDS_DEPTH} deep", ext_loc)
    parent_file, parent_variant = split_ref(parent_name)
    parent_path, parent_root = _extends_target(path, parent_file, root, ext_loc)
    parent = _load(parent_path, chain + (real,), parent_root, ext_loc)
    if parent_variant:
        apply_variants(parent, parent_variant, str(parent_path))
    ov = validate(Overrides, _submap(tree, ("set", "remove", "insert")), "overrides")
    merged = _merge(parent, tree)
    apply_overrides(merged, tree, ov)
    return merged


def _extends_target(path: Path, name: str, root: Path, at: Location) -> tuple[Path, Path]:
    """Where `extends: name` in `path` points, and the folder its own `extends` must stay in.

    A relative path inside the folder of the spec being resolved (so a spec cannot pull in, and
    show in its errors, files from elsewhere on the disk), or a shipped spec by name.
    """
    rel = Path(name)
    target = path.parent / rel
    if not rel.is_absolute() and target.exists():
        if not target.resolve().is_relative_to(root.resolve()):
            raise fail(f"`extends: {name}` leaves the folder of the spec ({root})", at,
                       hint="extend a file in the spec's folder or below it, or a shipped spec by name")
        return target, root
    shipped = shipped_spec(name)
    if shipped is not None:
        return shipped, shipped.parent
    if rel.is_absolute():
        raise fail(f"`extends: {name}` is an absolute path", at,
                   hint="write a path relative to this file, inside its folder, or a shipped spec's name")
    return target, root


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
        raise fail(f"no {seg!r} in {walked or 'the spec'}", at,
                   hint=did_you_mean(seg, node) or f"it has: {', '.join(map(str, node)) or 'nothing'}")
    if isinstance(node, PosList):
        for item in node:
            if isinstance(item, dict) and len(item) == 1 and seg in item:
                return item[seg]
        names = [k for item in node if isinstance(item, dict) for k in item]
        raise fail(f"no item named {seg!r} in {walked}", at,
                   hint=did_you_mean(seg, names) or f"its items: {', '.join(map(str, names)) or 'none'}")
    raise fail(f"cannot go into {walked} (it is a value, not a mapping or list)", at,
               hint=f"set {walked} itself, or a path that exists inside a mapping or named list")


_OPTIONAL_SECTIONS = ("params", "defaults", "scale")
"""Top-level mappings whose absence means empty: `set: {scale.width: 0.5}` needs no `scale:` first."""


def _walk(tree: PosMap, path: str, at: Location) -> tuple[Any, str, tuple[PosMap, str] | None]:
    """The parent of the path's last segment, that segment, and the innermost named list item
    (the item's one-key mapping and its name) on the way, if any."""
    segs = path.split(".")
    node: Any = tree
    item: tuple[PosMap, str] | None = None
    if len(segs) > 1 and segs[0] in _OPTIONAL_SECTIONS and segs[0] not in tree:
        tree[segs[0]] = PosMap(loc=at)
        tree.key_loc[segs[0]] = tree.val_loc[segs[0]] = at
    for i, seg in enumerate(segs[:-1]):
        if isinstance(node, PosList):
            item = next(((x, seg) for x in node if isinstance(x, PosMap) and len(x) == 1 and seg in x), item)
        node = _child(node, seg, ".".join(segs[:i]), at)
    return node, segs[-1], item


def set_path(tree: PosMap, path: str, value: Any, at: Location) -> None:
    """Set the value at `path`. An item the override changes is now defined by the override: its
    name's location becomes the override's, so its errors (a kernel too large for its input)
    point at the line that caused them."""
    parent, last, item = _walk(tree, path, at)
    if path == f"params.{last}" and last not in parent:
        # params is the one free-form mapping: a new key there would be read by nothing
        raise fail(f"no param {last!r} in params", at,
                   hint=did_you_mean(last, parent) or f"its params: {', '.join(map(str, parent)) or 'none'}; "
                        "a new param is declared under params: in the spec")
    if isinstance(parent, PosMap):
        parent[last] = value
        parent.key_loc[last] = at
        parent.val_loc[last] = getattr(value, "loc", at)
        if item is not None:
            item[0].key_loc[item[1]] = at
        return
    if isinstance(parent, PosList):
        for named in parent:
            if isinstance(named, PosMap) and len(named) == 1 and last in named:
                named[last] = value
                named.key_loc[last] = at
                named.val_loc[last] = getattr(value, "loc", at)
                return
    _child(parent, last, path.rpartition(".")[0], at)


def _remove_path(tree: PosMap, path: str, at: Location) -> None:
    parent, last, _ = _walk(tree, path, at)
    _child(parent, last, path.rpartition(".")[0], at)
    if isinstance(parent, PosMap):
        del parent[last]
        return
    for i, item in enumerate(parent):
        if isinstance(item, dict) and len(item) == 1 and last in item:
            del parent[i]
            del parent.item_loc[i]
            parent.removed[last] = at
            return


def _insert(tree: PosMap, ins: Insert, raw: PosMap, at: Location) -> None:
    anchor = ins.after or ins.before
    if not anchor or (ins.after and ins.before):
        raise fail("insert needs exactly one of `after:` or `before:`", at,
                   hint="name the item to insert next to, e.g. after: network.Mixed_6e")
    parent, last, _ = _walk(tree, anchor, at)
    _child(parent, last, anchor.rpartition(".")[0], at)
    if not isinstance(parent, PosList):
        raise fail(f"insert {'after' if ins.after else 'before'} {anchor!r}: that is not an item of a list", at)
    idx = next(i for i, item in enumerate(parent) if isinstance(item, dict) and last in item)
    idx += 1 if ins.after else 0
    items: PosList = raw["items"]
    parent[idx:idx] = list(items)
    parent.item_loc[idx:idx] = items.item_loc
