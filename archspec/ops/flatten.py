"""Flatten C×H×W to one feature axis (PyTorch's channel-first order)."""

from __future__ import annotations

import math
from typing import Any

from archspec.ops.base import Example, Op, OpArgs, Shape, register
from archspec.ops.pysource import Emit


@register
class Flatten(Op):
    kind = "flatten"
    Args = OpArgs
    color = "#eeeeee"
    doc = "flatten to F = C·H·W features"
    example = Example(((4, 2, 3),))
    onnx = "Flatten / Reshape"

    def infer(self, a: OpArgs, ins: list[Shape]) -> Shape:
        return (math.prod(ins[0]),)

    def build(self, a: OpArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        return nn.Flatten(1)

    def emit(self, a: OpArgs, ins: list[Shape], out: Shape) -> Emit:
        return Emit(inline="torch.flatten({x0}, 1)")
