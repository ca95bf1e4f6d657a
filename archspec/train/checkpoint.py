"""Checkpoints: one dict of tensors and plain values, written atomically.

A checkpoint is written to a temporary file in the run directory, flushed to disk and
then renamed over the old one (`os.replace`), so a crash at any moment leaves either the
previous complete file or the new one — never a broken `last.pt`. Everything in it loads
with `torch.load(weights_only=True)`; it embeds the fully resolved spec (YAML text) and
recipe, so a checkpoint says what it is a checkpoint of.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from archspec.errors import fail

FORMAT = "archspec-checkpoint"
VERSION = 1
LAST, BEST = "last.pt", "best.pt"


def save(payload: dict[str, Any], path: Path) -> None:
    """Write `path` so that it is always either the old complete file or the new complete file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666), "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def load(path: Path) -> dict[str, Any]:
    """A checkpoint of this format, or one clear error naming the file."""
    if not path.is_file():
        raise fail(f"checkpoint not found: {path}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, EOFError, zipfile.BadZipFile, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise fail(f"cannot read checkpoint {path}: {first}", hint="is it complete, and was it written by archspec train?") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise fail(f"{path} is not an archspec checkpoint", hint="checkpoints are the last.pt / best.pt of a run directory")
    if ckpt.get("version") != VERSION:
        raise fail(f"{path} is a version {ckpt.get('version')} checkpoint; this archspec reads version {VERSION}")
    return ckpt


def check_fits(ckpt: dict[str, Any], model: nn.Module, ref: str, path: Path) -> None:
    """The checkpoint's weights have exactly this network's names and shapes, or a user error."""
    theirs = {k: tuple(v.shape) for k, v in ckpt["model"].items()}
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    if theirs == ours:
        return
    missing = [k for k in ours if k not in theirs]
    extra = [k for k in theirs if k not in ours]
    reshaped = [f"{k} {theirs[k]} vs {ours[k]}" for k in ours if k in theirs and theirs[k] != ours[k]]
    detail = "; ".join(part for part in (
        f"{len(missing)} weights missing (first: {missing[0]})" if missing else "",
        f"{len(extra)} unknown (first: {extra[0]})" if extra else "",
        f"{len(reshaped)} of another shape (first: {reshaped[0]})" if reshaped else "") if part)
    raise fail(f"checkpoint {path} was made from spec {ckpt.get('spec_ref')!r} ({ckpt.get('spec_name')}), "
               f"whose network differs from {ref}: {detail}",
               hint="pass the spec (and --set overrides) the checkpoint was trained with")
