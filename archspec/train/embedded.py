"""A checkpoint as its own spec: the resolved spec text every checkpoint embeds, resolved again.

`eval` and `predict` need nothing but the checkpoint. The text is read as the run directory's
spec.yaml when that file beside the checkpoint holds the same text (so errors point into a
file the user has), else as a file of a temporary folder that exists while it is resolved.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from archspec.train.checkpoint import Checkpoint
from archspec.train.resolve import RunSpec, resolve_run

SPEC_FILE = "spec.yaml"


def run_of(ckpt: Checkpoint, path: Path, sets: list[str]) -> RunSpec:
    """The checkpoint's spec with `sets` applied and its recipe under them."""
    beside = path.parent / SPEC_FILE
    try:
        same = beside.is_file() and beside.read_text(encoding="utf-8") == ckpt.spec_yaml
    except (OSError, UnicodeDecodeError):
        same = False
    if same:
        return resolve_run(str(beside), sets, base=ckpt.recipe, base_name=str(path))
    with tempfile.TemporaryDirectory(prefix="archspec-ckpt-") as scratch:
        holder = Path(scratch) / f"{ckpt.spec_name}.yaml"
        holder.touch()  # the resolver wants the file to exist; its text comes from the checkpoint
        return resolve_run(str(holder), sets, base=ckpt.recipe, base_name=str(path), text=ckpt.spec_yaml)
