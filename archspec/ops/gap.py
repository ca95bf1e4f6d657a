"""Global average pooling to C×1×1 (follow it with `flatten` for a linear head)."""

from __future__ import annotations

from typing import Any

from archspec.ops.base import Example, Op, OpArgs, Shape, need_chw, register
from archspec.ops.pysource import Call, Emit


@register
class GlobalAvgPool(Op):
    kind = "gap"
    Args = OpArgs
    color = "#d9ead3"
    doc = "global average pooling: C×H×W → C×1×1"
    example = Example(((4, 5, 5),))
    onnx = "GlobalAveragePool"

    def infer(self, a: OpArgs, ins: list[Shape]) -> Shape:
        return (need_chw(self.kind, ins[0])[0], 1, 1)

    def build(self, a: OpArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        return nn.AdaptiveAvgPool2d(1)

    def emit(self, a: OpArgs, ins: list[Shape], out: Shape) -> Emit:
        return Emit(module=Call("nn.AdaptiveAvgPool2d", ("1",)))
