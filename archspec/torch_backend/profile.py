"""Measured time and memory per top-level block of a compiled spec, next to its static costs.

Hooks on the model's top-level children, not torch.profiler: a block is exactly one child
module, so a forward pre-hook / hook pair brackets it with no tracing overhead inside, and
tensor hooks on its output and input bracket its backward (from the moment its output's
gradient is complete to the moment its input's gradient is). The profiler would time every
aten op and cost more than the small blocks it measures.

Memory: on CUDA, the peak allocated while the block runs above what was allocated when it
started (torch.cuda's peak statistics). torch keeps no such statistics for CPU memory, so on
the CPU the figure is the bytes of the tensors the block's forward returns (the activation
memory it adds), and the backward shows none.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from archspec.ir.graph import IR
from archspec.report.summary import rows


@dataclass
class BlockProfile:
    name: str
    kind: str
    params: int
    macs: int
    """static, per image"""
    forward_s: list[float] = field(default_factory=list)
    backward_s: list[float] = field(default_factory=list)
    forward_bytes: int = 0
    backward_bytes: int | None = None
    """CUDA only: the CPU has no peak statistics for the backward's temporaries"""


@dataclass
class Profile:
    spec: str
    device: str
    batch: int
    train: bool
    runs: int
    memory: str
    blocks: list[BlockProfile]


def _tensors(x: Any) -> list[torch.Tensor]:
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, (tuple, list)):
        return [t for v in x for t in _tensors(v)]
    if isinstance(x, dict):
        return [t for v in x.values() for t in _tensors(v)]
    return []


class _Clock:
    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"

    def now(self) -> float:
        if self.cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    def mark(self) -> int:
        if not self.cuda:
            return 0
        torch.cuda.reset_peak_memory_stats()
        return torch.cuda.memory_allocated()

    def peak_above(self, start: int) -> int:
        return torch.cuda.max_memory_allocated() - start if self.cuda else 0


def profile_model(model: nn.Module, ir: IR, batch: int, device: torch.device, train: bool,
                  runs: int = 3, warmup: int = 1) -> Profile:
    """Run `warmup + runs` steps (forward, and backward when `train`) and time each top-level block."""
    static = {r.name: r for r in rows(ir, "block")}
    children = dict(model.named_children())
    blocks = {n: BlockProfile(n, r.op, r.params, r.macs) for n, r in static.items() if n in children}
    clock = _Clock(device)
    recording = [False]
    handles: list[Any] = []

    def attach(name: str, mod: nn.Module) -> None:
        b = blocks[name]
        state: dict[str, Any] = {}

        def pre(_m: nn.Module, args: tuple[Any, ...]) -> None:
            state["mem"] = clock.mark()
            state["t"] = clock.now()
            if train and recording[0]:
                for t in _tensors(args):
                    if t.requires_grad:
                        t.register_hook(on_input_grad)
                        break

        def post(_m: nn.Module, _args: tuple[Any, ...], out: Any) -> None:
            t1 = clock.now()
            if not recording[0]:
                return
            b.forward_s.append(t1 - state["t"])
            outs = _tensors(out)
            b.forward_bytes = clock.peak_above(state["mem"]) if clock.cuda else \
                sum(t.numel() * t.element_size() for t in outs)
            if train:
                grads = [t for t in outs if t.requires_grad]
                if grads:
                    grads[0].register_hook(on_output_grad)

        def on_output_grad(g: torch.Tensor) -> None:
            state["bmem"] = clock.mark()
            state["bt"] = clock.now()

        def on_input_grad(g: torch.Tensor) -> None:
            if "bt" in state:
                b.backward_s.append(clock.now() - state.pop("bt"))
                if clock.cuda:
                    b.backward_bytes = clock.peak_above(state["bmem"])

        handles.append(mod.register_forward_pre_hook(pre))
        handles.append(mod.register_forward_hook(post))

    for name in blocks:
        attach(name, children[name])
    model.to(device).train(train)
    c, h, w = ir.input_shape
    try:
        for i in range(warmup + runs):
            recording[0] = i >= warmup
            x = torch.randn(batch, c, h, w, device=device, requires_grad=train)
            if train:
                out = model(x)
                loss = sum(t.float().sum() for t in _tensors(out))
                assert isinstance(loss, torch.Tensor)
                loss.backward()
                model.zero_grad(set_to_none=True)
            else:
                with torch.no_grad():
                    model(x)
    finally:
        for hd in handles:
            hd.remove()
    mem = "peak CUDA memory allocated during the block" if clock.cuda else \
        "bytes of the block's forward outputs (torch keeps no CPU peak statistics)"
    return Profile(ir.name, str(device), batch, train, runs, mem, list(blocks.values()))
