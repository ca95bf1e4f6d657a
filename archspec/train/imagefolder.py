"""An image-folder data set: one sub-folder per class, images read with Pillow.

`PATH/train/<class>/…` and `PATH/val/<class>/…` when both exist (the ImageNet layout),
otherwise `PATH/<class>/…` with a deterministic share held out for validation. Images are
decoded and resized to the network's input in worker processes; a file that fails to
decode is reported by name rather than crashing a worker.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from archspec.errors import ArchspecError, fail

EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
DECODE_ERRORS = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
SPLIT_SEED = 0
"""The held-out share does not move when a run's seed changes."""


class ImageFiles(Dataset):
    """Files decoded on demand. A file that fails to decode comes back with label -1 - index,
    so the main process can name it (`check_batch`) whatever worker met it."""

    in_memory = False

    def __init__(self, files: list[Path], labels: list[int], channels: int, size: tuple[int, int]) -> None:
        self.files = files
        self.labels = labels
        self.mode = {1: "L", 3: "RGB"}[channels]
        self.size = size

    def __len__(self) -> int:
        return len(self.files)

    def decode(self, i: int) -> torch.Tensor:
        with Image.open(self.files[i]) as f:
            im = f.convert(self.mode).resize((self.size[1], self.size[0]), Image.Resampling.BILINEAR)
        pixels = np.asarray(im, dtype=np.uint8).reshape(self.size[0], self.size[1], -1)
        return torch.from_numpy(pixels.copy()).permute(2, 0, 1)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        try:
            return self.decode(i), torch.tensor(self.labels[i])
        except DECODE_ERRORS:
            return torch.zeros(len(self.mode), *self.size, dtype=torch.uint8), torch.tensor(-1 - i)

    def failure(self, i: int) -> ArchspecError:
        try:
            self.decode(i)
            reason = "it could not be read"
        except DECODE_ERRORS as exc:
            reason = str(exc) or type(exc).__name__
        return fail(f"cannot read image {self.files[i]}: {reason}",
                    hint="remove or replace the file; images must be complete JPEG/PNG/... files")

    def check_batch(self, labels: torch.Tensor) -> None:
        if int(labels.min()) < 0:
            raise self.failure(-1 - int(labels.min()))


def _class_dirs(root: Path) -> list[Path]:
    dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not dirs:
        raise fail(f"image folder {root} has no class sub-folders", hint="put each class's images in PATH/<class>/")
    return dirs


def _scan(root: Path, classes: list[str]) -> tuple[list[Path], list[int]]:
    files, labels = [], []
    for d in _class_dirs(root):
        if d.name not in classes:
            raise fail(f"class folder {d} is not one of the training classes ({', '.join(classes)})",
                       hint="train/ and val/ must hold the same class folders")
        found = sorted(p for p in d.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())
        if not found:
            raise fail(f"class folder {d} holds no images", hint=f"image files end in {', '.join(EXTENSIONS)}")
        files += found
        labels += [classes.index(d.name)] * len(found)
    return files, labels


def imagefolder_sets(root: Path, channels: int, size: tuple[int, int],
                     val_fraction: float) -> tuple[ImageFiles, ImageFiles, list[str]]:
    if not root.is_dir():
        raise fail(f"image folder not found: {root}", hint="pass a directory with one sub-folder per class")
    if channels not in (1, 3):
        raise fail(f"image folders give 1- or 3-channel images, but the network's input has {channels} channels",
                   hint="--set input=[3,H,W] (colour) or input=[1,H,W] (grey)")
    if (root / "train").is_dir() and (root / "val").is_dir():
        classes = [d.name for d in _class_dirs(root / "train")]
        train = _scan(root / "train", classes)
        val = _scan(root / "val", classes)
    else:
        classes = [d.name for d in _class_dirs(root)]
        files, labels = _scan(root, classes)
        order = torch.randperm(len(files), generator=torch.Generator().manual_seed(SPLIT_SEED)).tolist()
        n_val = max(1, round(len(files) * val_fraction))
        if n_val >= len(files):
            raise fail(f"image folder {root} has {len(files)} images, too few to hold out a validation share",
                       hint="add images, lower train.data.val_fraction, or give train/ and val/ folders")
        held, kept = order[:n_val], sorted(order[n_val:])
        train = ([files[i] for i in kept], [labels[i] for i in kept])
        val = ([files[i] for i in sorted(held)], [labels[i] for i in sorted(held)])
    return ImageFiles(*train, channels, size), ImageFiles(*val, channels, size), classes
