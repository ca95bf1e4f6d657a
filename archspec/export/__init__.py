"""Leaving archspec: a spec (or a backbone cut from it) as ONNX, a torch.export program,
TorchScript or standalone PyTorch source.

Every format starts from the same inference module (eval mode, weights from a checkpoint
when given; aux heads dropped, except in the python source, which keeps them as the
compiled module does so that training checkpoints load into it with strict=True), is linted for what the target cannot express before any
exporter runs, is written to a temporary file, verified against the module (the artefact is
reloaded and run), and only then takes its name. An existing file is kept unless `force`.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Sequence

from archspec.errors import fail
from archspec.export.lint import FORMATS, lint
from archspec.ir.budget import Limits
from archspec.ir.features import FeatureInfo, feature_info, inference_only

SUFFIX = {"onnx": ".onnx", "exported-program": ".pt2", "torchscript": ".torchscript.pt", "python": ".py"}
WRITER = {"onnx": "to_onnx", "exported-program": "to_exported_program", "torchscript": "to_torchscript",
          "python": "to_python"}
TOLERANCE = {"onnx": 1e-4, "exported-program": 1e-4, "torchscript": 1e-4, "python": 0.0}
"""Largest |difference| to the compiled module's output on the example input (float32)."""

__all__ = ["FORMATS", "Exported", "export", "default_output"]


@dataclass(frozen=True)
class Exported:
    path: Path
    format: str
    detail: str
    max_diff: float
    features: list[FeatureInfo]

    def __str__(self) -> str:
        taps = f"; taps: {', '.join(f.name for f in self.features)}" if self.features else ""
        return (f"wrote {self.path} ({self.detail}; output max |diff| to the archspec module "
                f"{self.max_diff:.3g}{taps})")


def default_output(name: str, variant: str | None, fmt: str) -> Path:
    return Path(f"{name}{'_' + variant if variant else ''}{SUFFIX[fmt]}")


def export(spec: str | Path, fmt: str, out: str | Path | None = None, *, weights: str | Path | None = None,
           batch: int | None = None, features: Sequence[str] | None = None, force: bool = False,
           overrides: list[str] | None = None, limits: Limits = Limits()) -> Exported:
    """Export `spec` to `fmt` (one of FORMATS) at `out`; `batch` None means a dynamic batch dimension."""
    from archspec.api import backbone, load
    from archspec.export.files import atomic_output, refuse_existing, refuse_target

    if fmt not in FORMATS:
        raise fail(f"unknown export format {fmt!r}", hint="one of " + ", ".join(FORMATS))
    if batch is not None and batch < 1:
        raise fail(f"--batch must be a positive integer or 'dynamic', got {batch}", hint="for example --batch 1")
    rs = load(spec, overrides)
    default = default_output(rs.spec.name, rs.variant, fmt)
    path = Path(out) if out is not None else default
    refuse_target(path, fmt, default)
    refuse_existing(path, force)  # before minutes of exporting, not after
    ir = backbone(rs, features, limits=limits)
    cut = bool(ir.taps) or (fmt != "python" and bool(ir.heads))  # a checkpoint may hold more than we export
    if fmt != "python":  # the source keeps the aux heads so that training checkpoints load with strict=True
        ir = inference_only(ir)
    lint(ir, fmt)  # what is exported: an aux head's adaptive pooling is no obstacle to ONNX
    from archspec.export.prepare import inference_module  # torch: only once the lint has passed

    model = inference_module(ir, Path(weights) if weights is not None else None, cut)
    writer = import_module(f"archspec.export.{WRITER[fmt]}")
    with atomic_output(path, force) as tmp:
        detail, diff = writer.write(model, ir, tmp, batch)
        if not diff <= TOLERANCE[fmt]:
            raise fail(f"the {fmt} export of {ir.ref} does not reproduce the archspec module: max |diff| "
                       f"{diff:.3g} > {TOLERANCE[fmt]:g}; nothing was written",
                       hint="this is an archspec bug: please report it with the spec")
    return Exported(path, fmt, detail, diff, feature_info(ir) if ir.taps else [])
