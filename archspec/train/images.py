"""The dataset shape every source produces: uint8 images (C×H×W) and int64 labels.

Images stay uint8 until they reach the device, where `augment.BatchTransform` crops,
flips, resizes and normalises whole batches; so loading is cheap and identical on every
device, and random choices come from one seeded generator per epoch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import Dataset


class TensorImages(Dataset):
    """An in-memory image set (synthetic data, CIFAR-10): no worker processes needed."""

    in_memory = True

    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.images = images
        self.labels = labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[i], self.labels[i]


@dataclass
class Splits:
    """A data source opened for one network: train and validation sets and how to read them."""

    train: Dataset[Any]
    val: Dataset[Any]
    classes: int
    size: tuple[int, int]
    """H×W of the stored images (resized to the network's input on the device)."""
    mean: tuple[float, ...]
    std: tuple[float, ...]
    description: str
    names: tuple[str, ...] = ()
    """Class names in label order (numbers when the source has none)."""
