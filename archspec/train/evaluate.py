"""`archspec eval`: a checkpoint's accuracy on a data source's validation (test) set.

The network is built from the spec the checkpoint embeds. A spec given on the command line
builds it instead, and the checkpoint must have been trained in the same architecture (its
record, archspec.train.architecture), unless only its weights are asked for
(`--weights-only`: names and shapes must still match).
The data settings come from the checkpoint's recipe (`--set train.data.*` changes them).
When the run kept a running average of the weights, that is what is evaluated (as the
papers report), unless the raw weights are asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from archspec.api import check
from archspec.ir.budget import Limits
from archspec.torch_backend.build import build_module
from archspec.train import checkpoint
from archspec.train.architecture import architecture
from archspec.train.augment import BatchTransform
from archspec.train.device import placement, resolve_device
from archspec.train.distributed import World
from archspec.train.embedded import run_of
from archspec.train.loader import val_loader, worker_count
from archspec.train.loop import evaluate
from archspec.train.resolve import resolve_run
from archspec.train.run import output_classes
from archspec.train.sources import open_source


@dataclass
class EvalOptions:
    spec: str | None
    sets: list[str] = field(default_factory=list)
    checkpoint: Path = Path("last.pt")
    data: str | None = None
    device: str = "auto"
    averaged: bool = True
    weights_only: bool = False
    limits: Limits = field(default_factory=Limits)
    data_dir: Path | None = None


def averaged_weights(ema_state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The model's own state dict out of an `AveragedModel`'s (`module.` prefix, no counter)."""
    prefix = "module."
    return {k[len(prefix):]: v for k, v in ema_state.items() if k.startswith(prefix)}


def load_weights(ckpt: checkpoint.Checkpoint, model: torch.nn.Module, ref: str, path: Path, averaged: bool) -> bool:
    """The running average (when kept and `averaged`) or the trained weights into `model`; True: the average."""
    checkpoint.check_fits(ckpt.model, model, ref, path)
    use_ema = averaged and ckpt.ema is not None
    weights = averaged_weights(ckpt.ema) if use_ema and ckpt.ema is not None else ckpt.model
    checkpoint.check_fits(weights, model, ref, path)
    model.load_state_dict(weights)
    return use_ema


def evaluate_checkpoint(opts: EvalOptions) -> dict[str, Any]:
    ckpt = checkpoint.load(opts.checkpoint)
    run = (resolve_run(opts.spec, opts.sets, base=ckpt.recipe, base_name=str(opts.checkpoint)) if opts.spec
           else run_of(ckpt, opts.checkpoint, opts.sets))
    recipe = run.recipe
    ir = check(run.resolved, limits=opts.limits)
    if not opts.weights_only:
        checkpoint.check_architecture(ckpt, architecture(ir), ir.ref, opts.checkpoint, "--weights-only")
    model = build_module(ir)
    use_ema = load_weights(ckpt, model, ir.ref, opts.checkpoint, opts.averaged)
    source = opts.data or ckpt.data
    splits = open_source(source, recipe.data, ir.input_shape, output_classes(ir), opts.data_dir)
    place = placement(recipe, resolve_device(opts.device))
    place.place(model)
    world = World()
    loader = val_loader(splits.val, recipe.batch_size, world, worker_count(splits.val, recipe.data.workers, world),
                        place.pin_memory)
    transform = BatchTransform(ir.input_shape[1:], splits.mean, splits.std, False, place.channels_last,
                               place.device)
    stats = evaluate(model, loader, transform, place, world, splits.classes, getattr(splits.val, "check_batch", None))
    return {"checkpoint": str(opts.checkpoint), "epoch": ckpt.epoch, "data": source,
            "weights": "averaged" if use_ema else "trained", "images": stats.images,
            "top1": stats.top1, "top5": stats.top5, "loss": stats.loss}
