"""Writing a named variant back into a spec file, every other byte of the file unchanged.

The entry is spliced in as text at the end of the `variants:` block (found with the
loader's own source positions), so comments, key order and the author's alignment all stay;
a round-trip YAML library would re-indent the file. The new text is loaded and the variant
resolved before anything is written; the file is replaced atomically; an existing variant is
never overwritten.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from archspec.errors import fail
from archspec.fileio import write_text
from archspec.spec.yamlload import PosMap, load_text


def _entry(name: str, sets: dict[str, Any], description: str, indent: int) -> list[str]:
    pad = " " * indent
    body = ", ".join(f"{k}: {json.dumps(v)}" for k, v in sets.items())  # JSON values are YAML
    return [f"{pad}{name}:", f"{pad}  description: {json.dumps(description, ensure_ascii=False)}",
            f"{pad}  set: {{{body}}}"]


def with_variant(text: str, file: str, name: str, sets: dict[str, Any], description: str) -> str:
    """`text` with the variant added under `variants:` (created at the end when missing)."""
    tree = load_text(text, file)
    if not isinstance(tree, PosMap):
        raise fail(f"{file} is not a spec (a YAML mapping)", hint="save variants into a spec file")
    lines = text.split("\n")
    variants = tree.get("variants")
    if variants is None:
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines + ["variants:", *_entry(name, sets, description, 2), ""])
    if not isinstance(variants, PosMap) or not variants:
        raise fail(f"`variants:` in {file} is not a block mapping of variants", tree.val_loc.get("variants"),
                   hint="write `variants:` as a block (one variant per line) to save into it")
    if name in variants:
        raise fail(f"{file} already has a variant {name!r}", variants.key_loc[name],
                   hint="choose another name, or edit that variant by hand")
    first_line = variants.key_loc[next(iter(variants))].line or 0
    indent = (variants.key_loc[next(iter(variants))].col or 1) - 1
    if first_line == tree.key_loc["variants"].line:
        raise fail(f"`variants:` in {file} is written in flow style", tree.val_loc.get("variants"),
                   hint="write `variants:` as a block (one variant per line) to save into it")
    later = [line for k, loc in tree.key_loc.items() if (line := loc.line or 0) > first_line and k != "variants"]
    end = min(later) - 1 if later else len(lines)  # 1-based line after which the next key starts
    while end > first_line and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1  # blank lines and comments before the next key belong to it
    return "\n".join(lines[:end] + _entry(name, sets, description, indent) + lines[end:])


def variant_text(path: Path, name: str, sets: dict[str, Any], description: str) -> str:
    """The text of the spec file `path` with the variant added, refused where the name is
    invalid or taken or the file has no block `variants:` to add it to. Nothing is written, so a
    command can refuse before its own work (`sweep --save-variant` before the grid runs)."""
    if not name.isidentifier():
        raise fail(f"invalid variant name {name!r}", hint="names are identifiers: letters, digits and _")
    return with_variant(path.read_text(encoding="utf-8"), str(path), name, sets, description)


def add_variant(path: Path, name: str, sets: dict[str, Any], description: str) -> None:
    from archspec.api import check
    from archspec.spec.resolve import resolve_text

    new = variant_text(path, name, sets, description)
    check(resolve_text(new, f"{path}#{name}"))  # the new text, as the file it will be, before it replaces it
    write_text(path, new, "the spec")
