"""Channel-wise concatenation of parallel branches (the heart of an Inception module)."""

from __future__ import annotations

from typing import Any

from archspec.ops.base import Example, Op, OpArgs, Shape, ShapeError, fmt_shape, register
from archspec.ops.pysource import Call, Emit, each_input


@register
class Concat(Op):
    kind = "concat"
    Args = OpArgs
    arity = "many"
    color = "#fce5cd"
    doc = "concatenate inputs along channels; spatial sizes must agree"
    example = Example(((3, 5, 5), (4, 5, 5), (2, 5, 5)))
    onnx = "Concat"

    def infer(self, a: OpArgs, ins: list[Shape]) -> Shape:
        ranks = {len(s) for s in ins}
        if len(ranks) != 1 or {s[1:] for s in ins} != {ins[0][1:]}:
            listed = ", ".join(fmt_shape(s) for s in ins)
            raise ShapeError(f"concat inputs must agree in everything but channels, got {listed}",
                             "check strides and paddings in the branches so they end at the same H×W")
        return (sum(s[0] for s in ins),) + ins[0][1:]

    def build(self, a: OpArgs, ins: list[Shape], out: Shape) -> Any:
        from archspec.ops.layers import Concat as ConcatModule

        return ConcatModule()

    def emit(self, a: OpArgs, ins: list[Shape], out: Shape) -> Emit:
        return Emit(inline=Call("torch.cat", (Call("[", each_input(len(ins))), "1")))
