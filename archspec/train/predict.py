"""`archspec predict`: the top classes of image files, from a checkpoint alone.

The network comes from the spec the checkpoint embeds and the preprocessing from what the
run recorded (`Checkpoint.preprocess`): each image is decoded like an image-folder file,
resized to the size the run stored its images at, then resized to the network's input and
normalised on the device exactly as validation does (`BatchTransform.eval`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from archspec.api import check
from archspec.errors import fail
from archspec.ir.budget import Limits
from archspec.torch_backend.build import build_module
from archspec.train import checkpoint
from archspec.train.augment import BatchTransform
from archspec.train.device import placement, resolve_device
from archspec.train.embedded import run_of
from archspec.train.evaluate import load_weights
from archspec.train.imagefolder import DECODE_ERRORS
from archspec.train.run import output_classes

BATCH = 64


@dataclass
class PredictOptions:
    checkpoint: Path
    images: list[Path]
    topk: int = 5
    device: str = "auto"
    averaged: bool = True
    limits: Limits = Limits()


def read_image(path: Path, channels: int, size: tuple[int, int]) -> torch.Tensor:
    """uint8 C×H×W at the run's stored size, or one error naming the file."""
    if not path.is_file():
        raise fail(f"image not found: {path}", hint="pass image files (PNG, JPEG, ...)")
    mode = {1: "L", 3: "RGB"}.get(channels)
    if mode is None:
        raise fail(f"predict reads 1- or 3-channel images; the network takes {channels} channels",
                   hint="predict works for networks trained on images (synthetic, CIFAR, image folders)")
    try:
        with Image.open(path) as f:
            im = f.convert(mode).resize((size[1], size[0]), Image.Resampling.BILINEAR)
    except DECODE_ERRORS as exc:
        raise fail(f"cannot read image {path}: {exc or type(exc).__name__}",
                   hint="pass complete image files (PNG, JPEG, ...)") from None
    pixels = np.asarray(im, dtype=np.uint8).reshape(size[0], size[1], -1)
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1)


@torch.no_grad()
def predict(opts: PredictOptions) -> list[dict[str, Any]]:
    ckpt = checkpoint.load(opts.checkpoint)
    if ckpt.preprocess is None:
        raise fail(f"checkpoint {opts.checkpoint} does not record how its run prepared images (it was written "
                   "before `predict` existed)", hint="train the run again, or resume it for one more epoch "
                                                     "(--resume RUN --epochs N+1) to write a new checkpoint")
    pre = ckpt.preprocess
    run = run_of(ckpt, opts.checkpoint, [])
    ir = check(run.resolved, limits=opts.limits)
    model = build_module(ir)
    load_weights(ckpt, model, ir.ref, opts.checkpoint, opts.averaged)
    place = placement(run.recipe, resolve_device(opts.device))
    place.place(model)
    model.eval()
    channels = ir.input_shape[0]
    classes = output_classes(ir)
    names = pre.classes if len(pre.classes) == classes else [str(i) for i in range(classes)]
    transform = BatchTransform(ir.input_shape[1:], tuple(pre.mean), tuple(pre.std), False, place.channels_last,
                               place.device)
    size = (pre.size[0], pre.size[1])
    k = min(opts.topk, classes)
    results: list[dict[str, Any]] = []
    for start in range(0, len(opts.images), BATCH):
        paths = opts.images[start:start + BATCH]
        batch = torch.stack([read_image(p, channels, size) for p in paths]).to(place.device)
        with place.autocast():
            logits = model(transform.eval(batch))
        top = torch.softmax(logits.float(), dim=1).topk(k, dim=1)
        for path, probs, idx in zip(paths, top.values.tolist(), top.indices.tolist()):
            results.append({"image": str(path), "top": [{"class": names[i], "index": i, "probability": p}
                                                       for p, i in zip(probs, idx)]})
    return results
