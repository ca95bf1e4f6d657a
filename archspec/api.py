"""The public Python API; the CLI is a thin layer over these functions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from archspec.errors import Location
from archspec.ir.budget import Limits, enforce
from archspec.ir.features import tap
from archspec.ir.graph import IR
from archspec.ir.infer import infer
from archspec.ir.lower import lower
from archspec.spec.resolve import ResolvedSpec, resolve

if TYPE_CHECKING:
    import torch
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
    """Like `analyze`, but raise `ArchspecError` if any shape check fails, the spec needs more
    memory than `limits` allow, its `features:` name unknown nodes, or its `train:` section
    (with its recipe file and `--set train.*` overrides) is not a valid recipe — whatever
    `check` accepts, `train` accepts."""
    # archspec.train.resolve reads specs through this module, so it is imported here, not above;
    # it and the recipe model are torch-free
    from archspec.train.resolve import check_recipe, resolve_checked

    if isinstance(spec, ResolvedSpec):
        check_recipe(spec)
        rs = spec
    else:
        rs = resolve_checked(str(spec), list(overrides or []))
    ir = _verified(analyze(rs), limits)
    if rs.spec.features is not None:
        tap(ir, rs.spec.features, _feature_locs(rs))
    return ir


def backbone(spec: str | Path | ResolvedSpec | IR, names: Sequence[str] | None = None,
             overrides: list[str] | None = None, limits: Limits = Limits()) -> IR:
    """The IR cut down to the feature taps `names` (else the spec's `features:`; else the whole
    network): their ancestors only, no aux heads. `archspec.ir.features.feature_info` describes it."""
    if isinstance(spec, IR):
        ir, rs = _verified(spec, limits), None
    else:
        rs = spec if isinstance(spec, ResolvedSpec) else load(spec, overrides)
        ir = _verified(analyze(rs), limits)
    if names is not None:
        return tap(ir, list(names))
    if rs is not None and rs.spec.features is not None:
        return tap(ir, rs.spec.features, _feature_locs(rs))
    return ir


def _feature_locs(rs: ResolvedSpec) -> list[Location | None]:
    items = rs.tree.get("features")
    return list(getattr(items, "item_loc", [])) or [rs.tree.val_loc.get("features")]


def _verified(ir: IR, limits: Limits) -> IR:
    if ir.error:
        raise ir.error
    enforce(ir, limits)
    return ir


def summary(spec: str | Path | ResolvedSpec | IR, fmt: str = "text", level: str = "op",
            limits: Limits = Limits()) -> str:
    from archspec.report.summary import render_summary

    ir = spec if isinstance(spec, IR) else check(spec, limits=limits)
    return render_summary(ir, fmt, level)


def build(spec: str | Path | ResolvedSpec | IR, overrides: list[str] | None = None,
          limits: Limits = Limits(), features: Sequence[str] | None = None,
          device: "str | torch.device | None" = None) -> "nn.Module":
    """Compile a spec into a plain `torch.nn.Module`. An IR is verified again (it may come from
    `analyze`, or from `check` with other limits: pass the same `limits` here).

    With `features` (or a spec's `features:`) the module is a backbone: its forward returns
    `{tap: tensor}` and computes nothing after the last tap; `model.feature_info` lists each
    tap's name, channels and reduction. `device` creates the weights there (`"meta"`: no
    storage, no init — instant, for inspection or `model.to_empty(device=...)` then loading)."""
    from archspec.ir.features import feature_info
    from archspec.torch_backend.build import build_module

    ir = backbone(spec, features, overrides, limits)
    model = build_module(ir, device)
    if ir.taps:
        model.feature_info = feature_info(ir)
    return model


def load_reference_weights(model: "nn.Module", state_dict: Mapping[str, Any]) -> "WeightMapping":
    """Load a reference implementation's state_dict into a compiled spec: by name where names
    agree, else by structure; all tensors verified before any is written. Returns the report."""
    from archspec.torch_backend.weights import load_reference_weights as load

    return load(model, state_dict)


def optimize_for_inference(model: "nn.Module", channels_last: bool = True, compile: bool = False) -> "nn.Module":
    """An eval-mode copy for inference: each conv→BatchNorm folded into one convolution (equal
    outputs within float rounding), channels_last layout, `torch.compile`d when `compile` is set."""
    from archspec.torch_backend.optimize import optimize_for_inference as optimize

    return optimize(model, channels_last, compile)
