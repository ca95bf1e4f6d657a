"""TorchScript by tracing (`torch.jit.trace`; load with `torch.jit.load`).

Tracing, not scripting: the compiled module's forward runs a precomputed program over a
slot list, which the TorchScript compiler cannot type, while a trace records the straight-line
ops it executes — the whole network, since nothing in it branches on data. A traced
module takes any batch size (no op in it reshapes by a traced size).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from archspec.export.common import as_tensors, example_input, exporter_failed, max_diff
from archspec.ir.graph import IR


def write(model: torch.nn.Module, ir: IR, path: Path, batch: int | None) -> tuple[str, float]:
    x = example_input(ir, batch)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit's deprecation notice
            traced = torch.jit.trace(model, (x,), strict=False)
            torch.jit.save(traced, str(path))
            loaded = torch.jit.load(str(path))
    except Exception as e:  # noqa: BLE001 — any exporter failure becomes one user-facing error
        raise exporter_failed("torchscript", ir, e) from None
    with torch.no_grad():
        diff = max_diff(as_tensors(model(x), ir), as_tensors(loaded(x), ir))
    return "TorchScript (traced), any batch size", diff
