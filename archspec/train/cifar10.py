"""The CIFAR-10 "python version" directory: `data_batch_1` … `data_batch_5` and `test_batch`.

The files are pickles, and unpickling can run code; this reader accepts only the few
globals a CIFAR batch holds (numpy's array reconstruction), so a hostile file fails to
load instead of executing. Every problem names the file it was found in.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from archspec.errors import fail
from archspec.train.images import TensorImages

TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILE = "test_batch"
CLASSES = 10
SIDE = 32
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)
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


def read_batch(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """One batch file as (uint8 N×3×32×32 images, int64 labels), checked."""
    if not path.is_file():
        raise fail(f"CIFAR-10 file missing: {path}",
                   hint=f"a CIFAR-10 directory holds {', '.join(TRAIN_FILES)} and {TEST_FILE} (the python version)")
    try:
        with path.open("rb") as f:
            batch = _NumpyOnly(f, encoding="bytes").load()
    except Exception as exc:  # noqa: BLE001 - a damaged pickle fails in many ways; all mean the same here
        raise fail(f"CIFAR-10 file {path} is truncated or not a CIFAR-10 batch ({exc or type(exc).__name__})",
                   hint="download the python version again and unpack it over this directory") from None
    if isinstance(batch, dict):
        batch = {k.encode() if isinstance(k, str) else k: v for k, v in batch.items()}
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise fail(f"CIFAR-10 file {path} has no data/labels entries", hint="is this the python version of CIFAR-10?")
    data, labels = batch[b"data"], np.asarray(batch[b"labels"])
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * SIDE * SIDE:
        raise fail(f"CIFAR-10 file {path}: expected uint8 rows of 3072 pixels, got {getattr(data, 'shape', type(data))}")
    if labels.shape != (len(data),):
        raise fail(f"CIFAR-10 file {path}: {len(data)} images but {labels.size} labels")
    bad = np.flatnonzero((labels < 0) | (labels >= CLASSES)) if labels.size else np.array([])
    if bad.size:
        raise fail(f"CIFAR-10 file {path}: label {labels[bad[0]]} of image {bad[0]} is outside 0..{CLASSES - 1}"
                   f" ({bad.size} such labels)")
    images = torch.from_numpy(data.reshape(-1, 3, SIDE, SIDE).copy())
    return images, torch.from_numpy(labels.astype(np.int64))


def cifar10_sets(root: Path) -> tuple[TensorImages, TensorImages]:
    if not root.is_dir():
        raise fail(f"CIFAR-10 directory not found: {root}", hint="pass the unpacked cifar-10-batches-py directory")
    parts = [read_batch(root / name) for name in TRAIN_FILES]
    train = TensorImages(torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts]))
    return train, TensorImages(*read_batch(root / TEST_FILE))
