"""DataLoaders: a DistributedSampler for training, an exact shard per rank for validation.

The training order is a function of (seed, epoch) only — `DistributedSampler.set_epoch` —
for one process as for many, which is what makes `--resume` continue the same data order.
Validation shards are disjoint and unpadded, so summed metrics count each image once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sized
from typing import cast

from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler

from archspec.errors import fail
from archspec.train.distributed import World

MAX_WORKERS = 8


class Shard(Sampler[int]):
    """Every `size`-th index from `rank`: rank r of n sees images r, r+n, r+2n, ..."""

    def __init__(self, length: int, world: World) -> None:
        self.indices = range(world.rank, length, world.size)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def worker_count(dataset: Dataset, setting: int | str, world: World) -> int:
    """`auto`: none for in-memory sets (indexing a tensor needs no help), else a share of the CPUs."""
    if setting != "auto":
        return int(setting)
    if getattr(dataset, "in_memory", False):
        return 0
    return max(1, min(MAX_WORKERS, (os.cpu_count() or 1) // world.size))


def _loader(dataset: Dataset, batch: int, sampler: Sampler[int], workers: int, pin: bool, drop_last: bool) -> DataLoader:
    return DataLoader(dataset, batch_size=batch, sampler=sampler, num_workers=workers, pin_memory=pin,
                      drop_last=drop_last, persistent_workers=workers > 0)


def train_loader(dataset: Dataset, batch: int, seed: int, world: World, workers: int,
                 pin: bool) -> tuple[DataLoader, DistributedSampler]:
    sampler: DistributedSampler[int] = DistributedSampler(dataset, num_replicas=world.size, rank=world.rank, shuffle=True, seed=seed,
                                 drop_last=True)
    if len(sampler) < batch:
        raise fail(f"the training set has {len(cast(Sized, dataset))} images: fewer than one batch of {batch}"
                   + (f" per process ({world.size} processes)" if world.distributed else ""),
                   hint="lower train.batch_size or use more data")
    return _loader(dataset, batch, sampler, workers, pin, drop_last=True), sampler


def val_loader(dataset: Dataset, batch: int, world: World, workers: int, pin: bool) -> DataLoader:
    return _loader(dataset, batch, Shard(len(cast(Sized, dataset)), world), workers, pin, drop_last=False)
