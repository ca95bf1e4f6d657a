"""torch.export: an ExportedProgram saved with `torch.export.save` (load with `torch.export.load`)."""

from __future__ import annotations

from pathlib import Path

import torch

from archspec.export.common import as_tensors, example_input, exporter_failed, max_diff
from archspec.ir.graph import IR


def write(model: torch.nn.Module, ir: IR, path: Path, batch: int | None) -> tuple[str, float]:
    x = example_input(ir, batch)
    dynamic = {"x": {0: torch.export.Dim("batch")}} if batch is None else None
    try:
        ep = torch.export.export(model, (x,), dynamic_shapes=dynamic, strict=False)
        with open(path, "wb") as f:  # a file object: torch.export.save wants a .pt2 name otherwise
            torch.export.save(ep, f)
    except Exception as e:  # noqa: BLE001 — any exporter failure becomes one user-facing error
        raise exporter_failed("exported-program", ir, e) from None
    with torch.no_grad():
        with open(path, "rb") as f:
            reloaded = torch.export.load(f).module()
        diff = max_diff(as_tensors(model(x), ir), as_tensors(reloaded(x), ir))
    shape = "dynamic batch" if batch is None else f"batch {batch}"
    return f"torch.export ExportedProgram, {shape}", diff
