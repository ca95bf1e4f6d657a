"""The specs and recipes that ship with archspec, addressable by name (`inception_v3#paper`).

They are the package data of `archspec.specs` (the repository's specs/ folder), so a name
works from any directory after any kind of install. A path always wins over a name: a
user's `inception_v3.yaml` in the current directory is the one `inception_v3.yaml` means.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SUFFIXES = (".yaml", ".yml")
RECIPES = "recipes"


def shipped_dir() -> Path:
    return Path(str(files("archspec.specs")))


def spec_names() -> list[str]:
    return sorted(p.stem for p in shipped_dir().glob("*.yaml"))


def recipe_names() -> list[str]:
    return sorted(p.stem for p in (shipped_dir() / RECIPES).glob("*.yaml"))


def _find(folder: Path, name: str) -> Path | None:
    stem = name[: -len(Path(name).suffix)] if Path(name).suffix in SUFFIXES else name
    if not stem or "/" in stem or "\\" in stem or stem.startswith("."):
        return None
    p = folder / f"{stem}.yaml"
    return p if p.is_file() else None


def shipped_spec(name: str) -> Path | None:
    """`inception_v3` or `inception_v3.yaml` → the shipped file, or None."""
    return _find(shipped_dir(), name)


def shipped_recipe(name: str) -> Path | None:
    """`cifar10_adam`, `cifar10_adam.yaml` or `recipes/cifar10_adam.yaml` → the shipped recipe, or None."""
    head, _, tail = name.rpartition("/")
    if head not in ("", RECIPES):
        return None
    return _find(shipped_dir() / RECIPES, tail)
