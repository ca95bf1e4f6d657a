"""`--data SOURCE`: which data a run reads, opened for the network's input and class count.

    synthetic            the embedded procedurally drawn set (no download)
    cifar10, cifar100    downloaded once into the data directory (archspec.train.download)
    cifar10:PATH         an unpacked CIFAR-10 python-pickle directory (cifar100:PATH likewise)
    imagefolder:PATH     one folder per class (PATH/train + PATH/val, or a held-out share)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from archspec.errors import fail
from archspec.train import cifar, download, imagefolder, synthetic
from archspec.train.images import Splits
from archspec.train.recipe import Data

KINDS = ("synthetic", "cifar10", "cifar100", "imagefolder")
DOWNLOADS = ("cifar10", "cifar100")
SYNTHETIC_MEAN, SYNTHETIC_STD = 0.5, 0.25


def parse(source: str) -> tuple[str, Path | None]:
    kind, sep, rest = source.partition(":")
    if kind not in KINDS:
        raise fail(f"unknown data source {source!r}",
                   hint="use synthetic, cifar10, cifar100, cifar10:PATH, cifar100:PATH or imagefolder:PATH")
    if kind == "synthetic":
        if sep:
            raise fail("the synthetic source takes no path; its size is train.data.synthetic.train / .val",
                       hint="--data synthetic --set train.data.synthetic.train=4096")
        return kind, None
    if not sep and kind in DOWNLOADS:
        return kind, None
    if not rest:
        also = f", or --data {kind} to download it into the data directory" if kind in DOWNLOADS else ""
        raise fail(f"data source {kind} needs a path: {kind}:PATH", hint=f"for example --data {kind}:data/{kind}{also}")
    return kind, Path(rest).expanduser()


def recorded(source: str) -> str:
    """The source as a run records it in its checkpoints: a path made absolute, so `eval`,
    `predict` and `--resume` from another directory read the same data."""
    kind, path = parse(source)
    return f"{kind}:{path.resolve()}" if path is not None else source


def _stats(given: list[float] | None, default: tuple[float, ...], channels: int, what: str) -> tuple[float, ...]:
    values = tuple(given) if given is not None else (default if len(default) == channels else (sum(default) / len(default),) * channels)
    if len(values) != channels:
        raise fail(f"train.data.{what} has {len(values)} values but the network's input has {channels} channels",
                   hint=f"give one value per input channel ({channels}), or leave train.data.{what} out")
    return values


def open_source(source: str, cfg: Data, input_shape: tuple[int, ...], classes: int,
                data_dir: Path | None = None) -> Splits:
    """Train and validation sets for a network with this input (C, H, W) and output width."""
    kind, path = parse(source)
    if kind in DOWNLOADS and path is None:
        path = download.ensure(kind, download.cache_dir(data_dir))
    channels, height, width = input_shape
    train: Dataset[Any]
    val: Dataset[Any]
    names: Sequence[str]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    if kind == "synthetic":
        s = cfg.synthetic
        train, val = synthetic.synthetic_sets(channels, height, width, s.train, s.val, s.seed)
        size, names = synthetic.native_size(height, width), synthetic.CLASSES
        mean, std = (SYNTHETIC_MEAN,), (SYNTHETIC_STD,)
        what = (f"synthetic (procedurally drawn shapes and textures, not a real data set): "
                f"{len(names)} classes, {s.train} train / {s.val} val images")
    elif kind in cifar.LAYOUTS:
        assert path is not None
        layout = cifar.LAYOUTS[kind]
        if channels != 3:
            raise fail(f"{layout.title} images have 3 channels but the network's input has {channels}",
                       hint="--set input=[3,32,32]")
        train, val, names = cifar.cifar_sets(path, layout)
        size, mean, std = (cifar.SIDE, cifar.SIDE), layout.mean, layout.std
        what = f"{layout.title} from {path}: {len(train)} train / {len(val)} test images"
    else:
        assert path is not None
        train, val, names = imagefolder.imagefolder_sets(path, channels, (height, width), cfg.val_fraction)
        size, mean, std = (height, width), imagefolder.MEAN, imagefolder.STD
        what = f"image folder {path}: {len(names)} classes, {len(train)} train / {len(val)} val images"
    n = len(names)
    if n != classes:
        raise fail(f"the data ({source}) has {n} classes but the network outputs {classes} scores",
                   hint=f"make the output layer {n} wide (for the shipped specs: --set params.classes={n})")
    return Splits(train, val, n, size, _stats(cfg.mean, mean, channels, "mean"),
                  _stats(cfg.std, std, channels, "std"), what, tuple(names))
