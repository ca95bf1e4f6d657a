"""The CIFAR "python version" directories, read the way their authors wrote them.

    CIFAR-10   cifar-10-batches-py/: data_batch_1 … data_batch_5, test_batch, batches.meta (label_names)
    CIFAR-100  cifar-100-python/:    train, test, meta (fine_label_names); labels under fine_labels

The files are pickles, and unpickling can run code; this reader accepts only the few
globals a CIFAR batch holds (numpy's array reconstruction), so a hostile file fails to
load instead of executing. Every problem names the file it was found in.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from archspec.errors import fail
from archspec.train.images import TensorImages

SIDE = 32


@dataclass(frozen=True)
class Layout:
    title: str
    train_files: tuple[str, ...]
    test_file: str
    labels_key: bytes
    meta_file: str
    names_key: bytes
    classes: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    @property
    def redownload(self) -> str:
        return f"download the python version of {self.title} again and unpack it over this directory"


CIFAR10 = Layout("CIFAR-10", tuple(f"data_batch_{i}" for i in range(1, 6)), "test_batch", b"labels",
                 "batches.meta", b"label_names", 10, (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
CIFAR100 = Layout("CIFAR-100", ("train",), "test", b"fine_labels", "meta", b"fine_label_names", 100,
                  (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762))
LAYOUTS = {"cifar10": CIFAR10, "cifar100": CIFAR100}
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
}


class _NumpyOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module.replace("numpy.core", "numpy._core"), name)


def _unpickle(path: Path, layout: Layout) -> dict[bytes, Any]:
    try:
        with path.open("rb") as f:
            batch = _NumpyOnly(f, encoding="bytes").load()
    except Exception as exc:  # noqa: BLE001 - a damaged pickle fails in many ways; all mean the same here
        raise fail(f"{layout.title} file {path} is truncated or not a {layout.title} file "
                   f"({exc or type(exc).__name__})", hint=layout.redownload) from None
    if not isinstance(batch, dict):
        raise fail(f"{layout.title} file {path} holds a {type(batch).__name__}, not a mapping",
                   hint=f"is this the python version of {layout.title}?")
    return {k.encode() if isinstance(k, str) else k: v for k, v in batch.items()}


def read_batch(path: Path, layout: Layout = CIFAR10) -> tuple[torch.Tensor, torch.Tensor]:
    """One batch file as (uint8 N×3×32×32 images, int64 labels), checked."""
    title, redownload = layout.title, layout.redownload
    if not path.is_file():
        raise fail(f"{title} file missing: {path}",
                   hint=f"a {title} directory holds {', '.join(layout.train_files)} and {layout.test_file} "
                        "(the python version)")
    batch = _unpickle(path, layout)
    key = layout.labels_key
    if b"data" not in batch or key not in batch:
        raise fail(f"{title} file {path} has no data/{key.decode()} entries",
                   hint=f"is this the python version of {title}?")
    data = batch[b"data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * SIDE * SIDE:
        raise fail(f"{title} file {path}: expected uint8 rows of 3072 pixels, got {getattr(data, 'shape', type(data))}",
                   hint=redownload)
    labels = _labels(batch[key], path, layout)
    if len(labels) != len(data):
        raise fail(f"{title} file {path}: {len(data)} images but {len(labels)} labels", hint=redownload)
    images = torch.from_numpy(data.reshape(-1, 3, SIDE, SIDE).copy())
    return images, torch.tensor(labels, dtype=torch.int64)


def _labels(raw: Any, path: Path, layout: Layout) -> list[int]:
    """The labels as Python ints in 0..classes-1, or an error naming the file and the image's index."""
    title, redownload, classes = layout.title, layout.redownload, layout.classes
    values = raw.tolist() if isinstance(raw, np.ndarray) and raw.ndim == 1 else raw
    if not isinstance(values, list):
        raise fail(f"{title} file {path}: the labels are {type(raw).__name__}, not a list of class numbers",
                   hint=redownload)
    out: list[int] = []
    for i, v in enumerate(values):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise fail(f"{title} file {path}: label {v!r} of image {i} is not a class number "
                       f"(an integer 0..{classes - 1})", hint=redownload)
        if not 0 <= v < classes:
            bad = sum(1 for x in values if isinstance(x, (int, np.integer)) and not 0 <= x < classes)
            raise fail(f"{title} file {path}: label {v} of image {i} is outside 0..{classes - 1} ({bad} such labels)",
                       hint=redownload)
        out.append(int(v))
    return out


def class_names(root: Path, layout: Layout) -> tuple[str, ...]:
    """The names in the meta file, or the class numbers when it is absent (a hand-made directory)."""
    path = root / layout.meta_file
    if not path.is_file():
        return tuple(str(i) for i in range(layout.classes))
    raw = _unpickle(path, layout).get(layout.names_key)
    names = [n.decode() if isinstance(n, bytes) else n for n in raw] if isinstance(raw, list) else None
    if names is None or len(names) != layout.classes or not all(isinstance(n, str) for n in names):
        raise fail(f"{layout.title} file {path}: {layout.names_key.decode()} is not a list of "
                   f"{layout.classes} class names", hint=layout.redownload)
    return tuple(names)


def cifar_sets(root: Path, layout: Layout) -> tuple[TensorImages, TensorImages, tuple[str, ...]]:
    if not root.is_dir():
        raise fail(f"{layout.title} directory not found: {root}",
                   hint=f"pass the unpacked directory of the python version of {layout.title}, or --data "
                        f"{'cifar10' if layout is CIFAR10 else 'cifar100'} to download it")
    parts = [read_batch(root / name, layout) for name in layout.train_files]
    train = TensorImages(torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts]))
    return train, TensorImages(*read_batch(root / layout.test_file, layout)), class_names(root, layout)
