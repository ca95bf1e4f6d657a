"""ONNX through torch's torch.export-based exporter (`torch.onnx.export(dynamo=True)`).

That exporter, not the TorchScript-based one: the latter is deprecated since torch 2.9
("will be removed"), and the former reads the same graph as our exported-program format,
so a spec that exports to one exports to the other. It needs `onnxscript`; the file is
checked with `onnx.checker` and run in onnxruntime before it replaces anything.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path
from typing import Any, Iterator

import torch

from archspec.errors import fail
from archspec.export.common import as_tensors, example_input, exporter_failed, max_diff
from archspec.ir.graph import IR

OPSET = 18
EXTRA_HINT = "pip install 'archspec[export]' (in a clone: bash scripts/setup.sh export)"


def require() -> tuple[Any, Any]:
    """onnx and onnxruntime, or one message naming the extra that installs them."""
    try:
        import onnx
        import onnxruntime
        import onnxscript  # noqa: F401  (torch's exporter imports it; say so here, not in a traceback)
    except ImportError as e:
        raise fail(f"ONNX export needs the package {e.name!r}, which is not installed", hint=EXTRA_HINT) from None
    return onnx, onnxruntime


@contextlib.contextmanager
def _quiet(logger: str) -> Iterator[None]:
    """Silence a logger's warnings (torch.onnx lists the torchvision ops it skips) for a while."""
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def output_names(ir: IR) -> list[str]:
    return list(ir.taps) or ["output"]


def write(model: torch.nn.Module, ir: IR, path: Path, batch: int | None) -> tuple[str, float]:
    onnx, ort = require()
    x = example_input(ir, batch)
    dynamic = {"x": {0: torch.export.Dim("batch")}} if batch is None else None
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), _quiet("torch.onnx"):
            warnings.simplefilter("ignore")  # the exporter's progress and deprecation chatter
            torch.onnx.export(model, (x,), str(path), input_names=["input"], output_names=output_names(ir),
                              opset_version=OPSET, dynamo=True, dynamic_shapes=dynamic, external_data=False)
        onnx.checker.check_model(str(path), full_check=True)
    except Exception as e:  # noqa: BLE001 — any exporter failure becomes one user-facing error
        raise exporter_failed("onnx", ir, e) from None
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = [torch.from_numpy(a) for a in session.run(None, {"input": x.numpy()})]
    with torch.no_grad():
        diff = max_diff(as_tensors(model(x), ir), got)
    shape = "dynamic batch" if batch is None else f"batch {batch}"
    return f"ONNX opset {OPSET}, {shape}, onnx.checker passed, onnxruntime", diff
