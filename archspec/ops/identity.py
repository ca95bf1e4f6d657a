"""Identity: a named pass-through (handy as a variant's replacement for a removed layer)."""

from __future__ import annotations

from typing import Any

from archspec.ops.base import Example, Op, OpArgs, Shape, register
from archspec.ops.pysource import Emit


@register
class Identity(Op):
    kind = "identity"
    Args = OpArgs
    doc = "pass the input through unchanged"
    example = Example(((4, 5, 5),))
    onnx = "nothing"

    def build(self, a: OpArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        return nn.Identity()

    def emit(self, a: OpArgs, ins: list[Shape], out: Shape) -> Emit:
        return Emit(inline="{x0}")
