"""What the torch-side formats share: the example input, running a module, exporter failures."""

from __future__ import annotations

from typing import Any

import torch

from archspec.errors import ArchspecError, fail
from archspec.ir.graph import IR

DYNAMIC_EXAMPLE_BATCH = 2  # torch.export specialises sizes 0 and 1, so a dynamic batch is traced at 2


def example_input(ir: IR, batch: int | None) -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    return torch.randn(batch or DYNAMIC_EXAMPLE_BATCH, *ir.input_shape, generator=gen)


def as_tensors(out: Any, ir: IR) -> list[torch.Tensor]:
    """A module's output as a list in a fixed order: the taps' order for a backbone."""
    if isinstance(out, dict):
        return [out[t] for t in ir.taps]
    return list(out) if isinstance(out, (tuple, list)) else [out]


def max_diff(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    if len(a) != len(b) or any(x.shape != y.shape for x, y in zip(a, b)):
        return float("inf")
    return max(float((x.float() - y.float()).abs().max()) for x, y in zip(a, b))


def exporter_failed(fmt: str, ir: IR, exc: BaseException) -> ArchspecError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return fail(f"the {fmt} exporter failed on {ir.ref}: {type(exc).__name__}: {first[:300]}",
                hint="`archspec export` lints for what each format cannot express; this construct slipped "
                     "through: try another --format (python always works) and report the spec")
