"""Checkpoints: one dict of tensors and plain values, written atomically, read against one schema.

A checkpoint is written through `archspec.fileio` (a temporary file in the run directory,
flushed, renamed over the old one), so a crash or a full disk at any moment leaves the
previous complete file. Everything in it loads with `torch.load(weights_only=True)`; it
embeds the fully resolved spec (YAML text), the recipe and the architecture record
(`archspec.train.architecture`), so a checkpoint says what it is a checkpoint of.

Reading validates the whole file against `Checkpoint` in one place: a file that is not a
checkpoint, or one with a missing or mistyped entry, is one error naming the file and the
entry, never a KeyError from deep inside a resume.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Annotated, Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt, StrictStr, ValidationError
from torch import nn

from archspec.errors import ArchspecError, fail
from archspec.fileio import write_with
from archspec.train.architecture import first_difference

FORMAT = "archspec-checkpoint"
VERSION = 2
LAST, BEST = "last.pt", "best.pt"
ZIP_MAGIC = b"PK\x03\x04"
"""torch.save writes a zip archive; anything else is not one of its checkpoints."""
Tensors = dict[StrictStr, torch.Tensor]


class _Plain(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, strict=True)


class RngState(_Plain):
    cpu: torch.Tensor
    cuda: torch.Tensor | None = None


class Best(_Plain):
    epoch: NonNegativeInt
    val_top1: float


class Preprocess(_Plain):
    """How the run prepared an image, for `predict`: the stored size, the normalisation, the class names."""

    size: Annotated[list[PositiveInt], Field(min_length=2, max_length=2)]
    mean: list[float]
    std: list[float]
    classes: list[StrictStr]


class OptimizerState(_Plain):
    state: dict[Any, Any]
    param_groups: list[dict[str, Any]]


class Checkpoint(_Plain):
    """Every entry `archspec train` writes, typed; `extra` entries are refused as a sign of another format."""

    model_config = ConfigDict(arbitrary_types_allowed=True, strict=True, extra="forbid")

    format: Literal["archspec-checkpoint"]
    version: Literal[2]
    spec_name: StrictStr
    spec_ref: StrictStr
    spec_yaml: StrictStr
    architecture: dict[str, Any]
    fingerprint: StrictStr
    recipe: dict[str, Any]
    data: StrictStr
    epoch: PositiveInt
    rng: Annotated[list[RngState], Field(min_length=1)]
    history: list[dict[str, Any]]
    best: Best
    world_size: PositiveInt
    step: NonNegativeInt
    model: Tensors
    optimizer: OptimizerState
    scheduler: dict[str, Any]
    ema: Tensors | None
    preprocess: Preprocess | None = None
    """Absent in checkpoints written before `predict` existed."""


def save(payload: dict[str, Any], path: Path) -> None:
    """Write `path` so that it is always either the old complete file or the new complete file."""
    write_with(path, lambda f: torch.save(payload, f), "checkpoint")


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def damaged(path: Path, what: str) -> ArchspecError:
    """The one error for a checkpoint whose content does not fit the schema (or does not load)."""
    return fail(f"{path} is a damaged archspec checkpoint: {what}",
                hint="use another checkpoint of the run (best.pt or last.pt), or start the run again")


def _entry_error(path: Path, exc: ValidationError) -> ArchspecError:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(top)"
    what = "is missing" if err["type"] == "missing" else f"is wrong: {err['msg']}"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return damaged(path, f"entry {where!r} {what}{more}")


def load(path: Path) -> Checkpoint:
    """The checkpoint at `path`, validated, or one clear error naming the file."""
    raw = _read(path)
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise fail(f"{path} is not an archspec checkpoint",
                   hint="checkpoints are the last.pt / best.pt of a run directory; for a reference "
                        "model's weights use `archspec weights import`, then `archspec train --init-from`")
    if raw.get("version") != VERSION:
        raise fail(f"{path} is a version {raw.get('version')!r} checkpoint; this archspec reads version {VERSION}",
                   hint="train the run again with this version of archspec")
    try:
        return Checkpoint.model_validate(raw)
    except ValidationError as exc:
        raise _entry_error(path, exc) from None


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    """The model weights of a checkpoint, or of a file that holds a bare state_dict (what
    `archspec weights import` writes): either can start a new run."""
    raw = _read(path)
    if isinstance(raw, dict) and raw and raw.get("format") != FORMAT and all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in raw.items()):
        return raw
    return load(path).model


def _read(path: Path) -> Any:
    """What torch.load(weights_only=True) gives for a file that looks like a checkpoint."""
    if not path.is_file():
        raise fail(f"checkpoint not found: {path}", hint="a run directory holds last.pt and best.pt")
    hint = "is it complete, and was it written by archspec train? A run directory holds last.pt and best.pt"
    try:
        with path.open("rb") as f:
            head = f.read(len(ZIP_MAGIC))
    except OSError as exc:
        raise fail(f"cannot read checkpoint {path}: {exc.strerror or exc}",
                   hint="check the file's permissions") from None
    if head != ZIP_MAGIC:
        raise fail(f"cannot read checkpoint {path}: it is not a checkpoint file (those are zip archives; "
                   f"this one starts with {head!r})", hint=hint)
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, EOFError, zipfile.BadZipFile, OSError, ValueError,
            IndexError, KeyError, TypeError, AttributeError) as exc:
        # a truncated or altered zip makes torch's reader fail in all these ways
        raise fail(f"cannot read checkpoint {path}: {type(exc).__name__}: {first_line(exc)}", hint=hint) from None
    return raw


def check_architecture(ckpt: Checkpoint, record: dict[str, Any], ref: str, path: Path, option: str) -> None:
    """The checkpoint was trained in this very architecture, or a user error naming the first difference."""
    diff = first_difference(ckpt.architecture, record)
    if diff is None:
        return
    raise fail(f"checkpoint {path} was made from spec {ckpt.spec_ref!r} ({ckpt.spec_name}), whose architecture "
               f"differs from {ref}: {diff}",
               hint=f"pass the spec (and --set overrides) the checkpoint was trained with, or {option} to use "
                    "only its weights (names and shapes must still match)")


def check_fits(model_state: dict[str, torch.Tensor], model: nn.Module, ref: str, path: Path) -> None:
    """The checkpoint's weights have exactly this network's names and shapes, or a user error."""
    theirs = {k: tuple(v.shape) for k, v in model_state.items()}
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
    raise fail(f"the weights in {path} do not fit the network of {ref}: {detail}",
               hint="pass the spec (and --set overrides) the checkpoint was trained with")
