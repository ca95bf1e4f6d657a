"""`archspec eval`: a checkpoint's accuracy on a data source's validation (test) set.

The spec given on the command line builds the network; the checkpoint must fit it exactly.
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
from archspec.train.augment import BatchTransform
from archspec.train.device import placement, resolve_device
from archspec.train.distributed import World
from archspec.train.loader import val_loader, worker_count
from archspec.train.loop import evaluate
from archspec.train.resolve import resolve_run
from archspec.train.run import output_classes
from archspec.train.sources import open_source


@dataclass
class EvalOptions:
    spec: str
    sets: list[str] = field(default_factory=list)
    checkpoint: Path = Path("last.pt")
    data: str | None = None
    device: str = "auto"
    averaged: bool = True
    limits: Limits = field(default_factory=Limits)


def averaged_weights(ema_state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The model's own state dict out of an `AveragedModel`'s (`module.` prefix, no counter)."""
    prefix = "module."
    return {k[len(prefix):]: v for k, v in ema_state.items() if k.startswith(prefix)}


def evaluate_checkpoint(opts: EvalOptions) -> dict[str, Any]:
    ckpt = checkpoint.load(opts.checkpoint)
    run = resolve_run(opts.spec, opts.sets, base=ckpt["recipe"], base_name=str(opts.checkpoint))
    recipe = run.recipe
    ir = check(run.resolved, limits=opts.limits)
    model = build_module(ir)
    checkpoint.check_fits(ckpt, model, ir.ref, opts.checkpoint)
    use_ema = opts.averaged and ckpt.get("ema") is not None
    model.load_state_dict(averaged_weights(ckpt["ema"]) if use_ema else ckpt["model"])
    source = opts.data or ckpt["data"]
    splits = open_source(source, recipe.data, ir.input_shape, output_classes(ir))
    place = placement(recipe, resolve_device(opts.device))
    place.place(model)
    world = World()
    loader = val_loader(splits.val, recipe.batch_size, world, worker_count(splits.val, recipe.data.workers, world),
                        place.pin_memory)
    transform = BatchTransform(ir.input_shape[1:], splits.mean, splits.std, False, place.channels_last,
                               place.device)
    stats = evaluate(model, loader, transform, place, world, splits.classes, getattr(splits.val, "check_batch", None))
    return {"checkpoint": str(opts.checkpoint), "epoch": ckpt["epoch"], "data": source,
            "weights": "averaged" if use_ema else "trained", "images": stats.images,
            "top1": stats.top1, "top5": stats.top5, "loss": stats.loss}
