"""The public Python API; the CLI is a thin layer over these functions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from archspec.ir.budget import Limits, enforce
from archspec.ir.graph import IR
from archspec.ir.infer import infer
from archspec.ir.lower import lower
from archspec.spec.resolve import ResolvedSpec, resolve

if TYPE_CHECKING:
    from torch import nn

    from archspec.torch_backend.weights import WeightMapping


def load(ref: str | Path, overrides: list[str] | None = None) -> ResolvedSpec:
    """Read `specs/x.yaml[#variant]`, apply `extends`, the variant and `key=value` overrides, validate."""
    return resolve(ref, overrides)


def analyze(spec: str | Path | ResolvedSpec, overrides: list[str] | None = None) -> IR:
    """Lower to the IR and infer shapes and costs. A shape failure is kept on `ir.error`."""
    rs = spec if isinstance(spec, ResolvedSpec) else load(spec, overrides)
    return infer(lower(rs))


def check(spec: str | Path | ResolvedSpec, overrides: list[str] | None = None, limits: Limits = Limits()) -> IR:
    """Like `analyze`, but raise `ArchspecError` if any shape check fails or the spec needs
    more memory than `limits` allow."""
    return _verified(analyze(spec, overrides), limits)


def _verified(ir: IR, limits: Limits) -> IR:
    if ir.error:
        raise ir.error
    enforce(ir, limits)
    return ir


def summary(spec: str | Path | ResolvedSpec | IR, fmt: str = "text", depth: str = "op",
            limits: Limits = Limits()) -> str:
    from archspec.report.summary import render_summary

    ir = spec if isinstance(spec, IR) else check(spec, limits=limits)
    return render_summary(ir, fmt, depth)


def build(spec: str | Path | ResolvedSpec | IR, overrides: list[str] | None = None,
          limits: Limits = Limits()) -> "nn.Module":
    """Compile a spec into a plain `torch.nn.Module`. An IR is verified again (it may come from
    `analyze`, or from `check` with other limits: pass the same `limits` here)."""
    from archspec.torch_backend.build import build_module

    return build_module(_verified(spec if isinstance(spec, IR) else analyze(spec, overrides), limits))


def load_reference_weights(model: "nn.Module", state_dict: Mapping[str, Any]) -> "WeightMapping":
    """Load a reference implementation's state_dict into a compiled spec: by name where names
    agree, else by structure; all tensors verified before any is written. Returns the report."""
    from archspec.torch_backend.weights import load_reference_weights as load

    return load(model, state_dict)
