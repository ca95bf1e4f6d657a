"""Where and how the model runs: device choice, bf16 autocast, channels_last.

`auto` settings resolve per device: on CUDA, bf16 autocast (where the GPU supports it)
and channels_last, the fast path for convnets on tensor cores; elsewhere fp32 and the
default memory format. Asking for a device that is not there is a user error.
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager
from dataclasses import dataclass

import torch
from torch import nn

from archspec.errors import fail
from archspec.train.recipe import Recipe

DEVICES = ("auto", "cpu", "cuda", "mps")


@dataclass(frozen=True)
class Placement:
    device: torch.device
    bf16: bool
    channels_last: bool

    @property
    def pin_memory(self) -> bool:
        return self.device.type == "cuda"

    def autocast(self) -> AbstractContextManager[object]:
        if not self.bf16:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def place(self, model: nn.Module) -> None:
        """Move `model` to the device, in channels_last when asked."""
        model.to(self.device)
        if self.channels_last:
            model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]

    def describe(self) -> str:
        parts = [str(self.device), "bf16 autocast" if self.bf16 else "fp32"]
        if self.channels_last:
            parts.append("channels_last")
        return ", ".join(parts)


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """`auto` picks CUDA, then MPS, then the CPU; under torchrun each process takes its local GPU."""
    if name not in DEVICES:
        raise fail(f"unknown device {name!r}", hint=f"use one of {', '.join(DEVICES)}")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if _mps_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise fail("--device cuda: no CUDA device is available to this PyTorch build",
                       hint="use --device cpu, or install a CUDA build of PyTorch")
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    if name == "mps" and not _mps_available():
        raise fail("--device mps: the MPS backend is not available here", hint="use --device cpu")
    return torch.device(name)


def placement(recipe: Recipe, device: torch.device) -> Placement:
    on_cuda = device.type == "cuda"
    bf16 = recipe.precision == "bf16" or (recipe.precision == "auto" and on_cuda and torch.cuda.is_bf16_supported())
    channels_last = on_cuda if recipe.channels_last == "auto" else recipe.channels_last
    return Placement(device, bf16, channels_last)
