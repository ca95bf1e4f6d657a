"""Inference-time rewrites of a compiled spec: BatchNorm folded into its convolution, NHWC layout.

Folding uses the running statistics, so it is only valid in eval mode; the result is a copy
(the trained model is left as it was) and stays an `ArchspecModel` with the same forward.
"""

from __future__ import annotations

import copy
from typing import cast

import torch
from torch import nn

from archspec.ops.layers import ConvNormAct


def optimize_for_inference(model: nn.Module, channels_last: bool = True, compile: bool = False) -> nn.Module:
    """An eval-mode copy of `model` with every conv→BatchNorm unit folded into one convolution
    (outputs equal the original's within float rounding), in channels_last layout, and
    `torch.compile`d when `compile` is set."""
    out = copy.deepcopy(model).eval()
    with torch.no_grad():
        for unit in out.modules():
            if isinstance(unit, ConvNormAct) and isinstance(unit.bn, nn.BatchNorm2d):
                unit.conv = fold_batchnorm(unit.conv, unit.bn)
                unit.bn = None
    if channels_last:
        out = out.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    return cast(nn.Module, torch.compile(out)) if compile else out


def fold_batchnorm(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """The convolution computing bn(conv(x)) with bn's running statistics: each output channel's
    weights scaled by γ/√(σ²+ε), the bias moved by the same scale and shifted by β − μ·scale."""
    assert bn.running_mean is not None and bn.running_var is not None  # track_running_stats is on
    scale = torch.rsqrt(bn.running_var + bn.eps)
    shift = -bn.running_mean * scale
    if bn.affine:
        scale = scale * bn.weight
        shift = shift * bn.weight + bn.bias
    fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size,  # type: ignore[arg-type]
                      conv.stride, conv.padding, conv.dilation, conv.groups,  # type: ignore[arg-type]
                      bias=True, padding_mode=conv.padding_mode,
                      device=conv.weight.device, dtype=conv.weight.dtype)
    fused.weight.copy_(conv.weight * scale.reshape(-1, 1, 1, 1))
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    assert fused.bias is not None
    fused.bias.copy_(bias * scale + shift)
    return fused
