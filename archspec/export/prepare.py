"""The module an export starts from: the (tapped) IR compiled, weights loaded, eval mode.

Eval mode drops the auxiliary heads (the compiled network runs them in training only) and
freezes BatchNorm and dropout, so every format computes the inference function.
"""

from __future__ import annotations

from pathlib import Path

import torch

from archspec.errors import fail
from archspec.ir.graph import IR
from archspec.torch_backend.build import ArchspecModel, build_module
from archspec.torch_backend.weights import read_state_dict


def inference_module(ir: IR, weights: Path | None = None, cut: bool = False) -> ArchspecModel:
    model = build_module(ir)
    if weights is not None:
        load_weights(model, read_state_dict(weights), weights, cut)
    return model.eval()


def load_weights(model: ArchspecModel, state: dict[str, torch.Tensor], path: Path, cut: bool) -> None:
    """Load `state` (an `archspec train` checkpoint's model state or a plain state_dict) into
    `model`. Every weight the model has must be there with its shape; weights in the file that
    the model has not are ignored only when it is cut from the network (aux heads dropped, or
    a backbone), else they mean the file was made for another network."""
    ours = model.state_dict()
    missing = [k for k in ours if k not in state]
    reshaped = [f"{k} {tuple(state[k].shape)} vs {tuple(v.shape)}" for k, v in ours.items()
                if k in state and state[k].shape != v.shape]
    extra = [] if cut else [k for k in state if k not in ours]
    if missing or reshaped or extra:
        detail = "; ".join(p for p in (
            f"{len(missing)} weights missing (first: {missing[0]})" if missing else "",
            f"{len(reshaped)} of another shape (first: {reshaped[0]})" if reshaped else "",
            f"{len(extra)} unknown (first: {extra[0]})" if extra else "") if p)
        raise fail(f"{path} does not fit {model.spec_ref}: {detail}",
                   hint="pass the spec (and --set overrides) the weights were made for")
    model.load_state_dict({k: state[k] for k in ours}, strict=True)
