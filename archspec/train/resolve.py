"""Resolve what a run trains: the spec (with its architecture overrides) and the merged recipe.

`--set train.*` overrides are applied after the recipe file is merged under the spec's
inline `train:` fields, so `--set train.optimizer.lr=0.01` reaches a field that only the
recipe file holds. Every other `--set` goes through `archspec.load` like any command's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archspec.api import load
from archspec.errors import ArchspecError, Location, did_you_mean, fail
from archspec.spec.shipped import recipe_names, shipped_recipe
from archspec.spec.resolve import ResolvedSpec, apply_cli_sets, resolve_text
from archspec.spec.validate import validate
from archspec.spec.yamlload import PosList, PosMap, load_file

if TYPE_CHECKING:
    from archspec.train.recipe import Recipe

RECIPE_SUFFIXES = (".yaml", ".yml")


@dataclass
class RunSpec:
    """The resolved spec, the validated recipe and the recipe's tree (for error locations)."""

    resolved: ResolvedSpec
    recipe: Recipe
    tree: PosMap


def split_sets(sets: list[str]) -> tuple[list[str], list[str]]:
    """(architecture sets, recipe sets): `train.recipe=` picks a file, so it goes with the spec's."""
    arch: list[str] = []
    train: list[str] = []
    for s in sets:
        key = s.partition("=")[0].strip()
        is_train = key.startswith("train.") and key != "train.recipe"
        (train if is_train else arch).append(s)
    return arch, train


def resolve_checked(ref: str, sets: list[str], text: str | None = None) -> ResolvedSpec:
    """The spec as `check` reads it (`text`, when given, as that file's contents): its recipe —
    the `train:` section over its recipe file, with `--set train.*` applied — validated too."""
    if not split_sets(sets)[1]:
        rs = load(ref, sets) if text is None else resolve_text(text, ref, sets)
        check_recipe(rs)
        return rs
    return resolve_run(ref, sets, text=text).resolved  # `--set train.*`: applied to the recipe tree first


def resolve_run(ref: str, sets: list[str], base: dict[str, Any] | None = None, base_name: str = "",
                text: str | None = None) -> RunSpec:
    """The spec from `ref` (or `text`, read as that file's contents: a checkpoint's embedded spec); the
    recipe from the spec's `train:` section, or from `base` when resuming."""
    arch_sets, train_sets = split_sets(sets)
    resolved = load(ref, arch_sets) if text is None else resolve_text(text, ref, arch_sets)
    tree = to_posmap(base, Location(base_name)) if base is not None else recipe_tree(resolved)
    holder = PosMap({"train": tree}, loc=tree.loc)
    holder.key_loc["train"] = holder.val_loc["train"] = tree.loc
    for s in train_sets:
        _make_parents(holder, s.partition("=")[0].strip())
    apply_cli_sets(holder, train_sets)
    tree = holder["train"]
    return RunSpec(resolved, validate_recipe(tree), tree)


RECIPE_HINT = "docs/training.md lists every recipe field with its type and range"


def validate_recipe(tree: Any) -> Recipe:
    """The recipe model over a `train:` tree; each problem gets the recipe reference as its remedy
    when the validator has no more specific one (a did-you-mean)."""
    from archspec.train.recipe import Recipe  # here, not above: `check` of a spec without `train:` needs none

    try:
        return validate(Recipe, tree, "the train section")
    except ArchspecError as e:
        for problem in e.problems:
            if not (problem.hint or "").strip():
                problem.hint = RECIPE_HINT
        raise


def check_recipe(resolved: ResolvedSpec) -> None:
    """Validate the spec's own recipe (its `train:` section over its recipe file). Without a section
    the recipe is the defaults, valid by construction: then the recipe models are not even loaded
    (importing them builds sixteen pydantic schemas, ≈ 10 ms of an `archspec check` process)."""
    if resolved.tree.get("train") is not None:
        validate_recipe(recipe_tree(resolved))


def _make_parents(holder: PosMap, key: str) -> None:
    """Create the missing mappings on the way to a `--set train.a.b.c` key: every recipe field has a
    default, so `train.data.workers=4` must work when the recipe never mentions `data`; a typo
    still fails, at validation, as an unknown key."""
    node, at = holder, Location(f"--set {key}")
    for seg in key.split(".")[:-1]:
        if seg not in node:
            node[seg] = PosMap(loc=at)
            node.key_loc[seg] = node.val_loc[seg] = at
        if not isinstance(node[seg], PosMap):
            return
        node = node[seg]


def recipe_tree(resolved: ResolvedSpec) -> PosMap:
    """The spec's `train:` section with the file named by `recipe:` merged under it."""
    section = resolved.tree.get("train")
    if section is None:
        return PosMap(loc=resolved.tree.key_loc.get("train", Location(resolved.file, 1, 1)))
    if not isinstance(section, PosMap):
        raise fail("`train:` must be a mapping of recipe fields", resolved.tree.val_loc.get("train"),
                   hint="for example train: {recipe: recipes/cifar10_adam.yaml, epochs: 5}")
    name = section.get("recipe")
    if name is None:
        return section
    at = section.val_loc["recipe"]
    if not isinstance(name, str):
        raise fail("`recipe:` must be a file name", at, hint="for example recipe: recipes/cifar10_adam.yaml")
    path = _recipe_path(name, at)
    base = load_file(path)
    if not isinstance(base, PosMap):
        raise fail("a recipe file must be a YAML mapping of train fields", Location(str(path), 1, 1),
                   hint="for example: epochs: 20 and optimizer: {kind: adam, lr: 0.001} on their own lines")
    if "recipe" in base:
        raise fail("a recipe file cannot name another recipe", base.key_loc["recipe"],
                   hint="merge the two files into one")
    return deep_merge(base, section)


def _recipe_path(name: str, at: Location) -> Path:
    """Relative to the file that names it (for `--set train.recipe=...`: the working directory); else the
    shipped recipe of that name, so a spec copied out of specs/ keeps its `recipes/x.yaml`."""
    origin = Path(at.file) if at.file and Path(at.file).is_file() else None
    path = (origin.parent / name) if origin else Path(name)
    if path.suffix not in RECIPE_SUFFIXES + ("",):
        raise fail(f"recipe {name!r} is not a .yaml file", at, hint="recipes are YAML files like recipes/cifar10_adam.yaml")
    if path.suffix and path.is_file():
        return path
    shipped = shipped_recipe(name)
    if shipped is not None:
        return shipped
    raise fail(f"recipe file not found: {path}", at,
               hint="the path is relative to the spec file that names it; shipped recipes by name: "
                    + (did_you_mean(Path(name).stem, recipe_names()) or ", ".join(recipe_names())))


def deep_merge(base: PosMap, over: PosMap) -> PosMap:
    """`over` wins key by key; mappings present in both are merged recursively, positions kept."""
    out = PosMap(loc=over.loc)
    for src in (base, over):
        for k, v in src.items():
            if isinstance(v, PosMap) and isinstance(out.get(k), PosMap):
                v = deep_merge(out[k], v)
            out[k] = v
            out.key_loc[k] = src.key_loc.get(k, src.loc)
            out.val_loc[k] = src.val_loc.get(k, src.loc)
    return out


def to_posmap(value: Any, at: Location) -> Any:
    """Plain data (a checkpoint's recipe) as a position-carrying tree, so `--set` can address it."""
    if isinstance(value, dict):
        out = PosMap(loc=at)
        for k, v in value.items():
            out[k] = to_posmap(v, at)
            out.key_loc[k] = out.val_loc[k] = at
        return out
    if isinstance(value, (list, tuple)):
        seq = PosList([to_posmap(v, at) for v in value], loc=at)
        seq.item_loc = [at] * len(seq)
        return seq
    return value


def to_plain(value: Any) -> Any:
    """A position-carrying tree as plain dicts and lists (for YAML dumps and checkpoints)."""
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value
