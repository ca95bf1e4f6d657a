"""Data-parallel training through PyTorch's own engine: torchrun, DistributedDataParallel.

`torchrun --nproc_per_node N -m archspec train ...` sets RANK / WORLD_SIZE / LOCAL_RANK;
each process then joins the default process group (NCCL on CUDA, gloo elsewhere) and trains
its shard. Only rank 0 writes the run directory; metrics are summed across ranks.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def from_env() -> World:
    """The process's place as torchrun describes it (a plain run is rank 0 of 1)."""
    env = os.environ
    return World(int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)), int(env.get("LOCAL_RANK", 0)))


def join(world: World, device: torch.device) -> None:
    if world.distributed and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")


def barrier(world: World) -> None:
    """Wait for every rank (before a clean exit, so no rank tears the group down under another)."""
    if world.distributed:
        dist.barrier()


def leave(world: World) -> None:
    if world.distributed and dist.is_initialized():
        dist.destroy_process_group()


def wrap(model: nn.Module, world: World, device: torch.device) -> nn.Module:
    if not world.distributed:
        return model
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def sum_all(values: torch.Tensor, world: World) -> torch.Tensor:
    if world.distributed:
        dist.all_reduce(values)
    return values


def broadcast(obj: Any, world: World) -> Any:
    """Rank 0's value on every rank (for example the run directory it picked)."""
    if not world.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def sync_buffers(module: nn.Module, world: World) -> None:
    """Rank 0's BatchNorm statistics everywhere: DDP syncs buffers before each forward, so the
    last batch leaves every rank with its own; evaluation and checkpoints need one set."""
    if world.distributed:
        for b in module.buffers():
            dist.broadcast(b, src=0)


def digest(module: nn.Module) -> str:
    """SHA-256 of every parameter and buffer, exact to the bit."""
    h = hashlib.sha256()
    for name, t in module.state_dict().items():
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def gather(obj: Any, world: World) -> list[Any]:
    """Every rank's `obj`, in rank order."""
    if not world.distributed:
        return [obj]
    out: list[Any] = [None] * world.size
    dist.all_gather_object(out, obj)
    return out
