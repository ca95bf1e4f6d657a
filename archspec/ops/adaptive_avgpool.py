"""Adaptive average pooling to a fixed H×W (torchvision's GoogLeNet aux heads pool to 4×4)."""

from __future__ import annotations

from typing import Any

from archspec.ops.base import Example, Op, OpArgs, Pair, Shape, ShapeError, need_chw, pair, register
from archspec.ops.pysource import Call, Emit, size_text


class AdaptiveArgs(OpArgs):
    size: Pair


@register
class AdaptiveAvgPool(Op):
    kind = "adaptive_avgpool"
    Args = AdaptiveArgs
    color = "#d9ead3"
    doc = "adaptive average pooling to size H×W"
    example = Example(((4, 7, 7),), {"size": [2, 3]})
    onnx = "AveragePool (when the output size divides the input size)"

    def infer(self, a: AdaptiveArgs, ins: list[Shape]) -> Shape:
        c, h, w = need_chw(self.kind, ins[0])
        oh, ow = pair(a.size)
        if oh > h or ow > w:
            raise ShapeError(f"adaptive_avgpool to {oh}×{ow} needs an input at least that large, got {h}×{w}",
                             "pool to a smaller output, or downsample less before it")
        return (c, oh, ow)

    def label(self, a: AdaptiveArgs) -> str:
        oh, ow = pair(a.size)
        return f"adaptive_avgpool {oh}x{ow}"

    def build(self, a: AdaptiveArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        return nn.AdaptiveAvgPool2d(pair(a.size))

    def emit(self, a: AdaptiveArgs, ins: list[Shape], out: Shape) -> Emit:
        return Emit(module=Call("nn.AdaptiveAvgPool2d", (size_text(a.size),)))
