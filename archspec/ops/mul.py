"""Element-wise product with broadcasting: the gate of squeeze-and-excitation and attention.

`C×H×W · C×1×1` scales every channel by its gate; each dimension of the inputs must be
equal or 1 (NumPy's rule), and the output takes the larger of each.
"""

from __future__ import annotations

from typing import Any

from archspec.ops.base import Example, Op, OpArgs, Shape, ShapeError, fmt_shape, register
from archspec.ops.pysource import Emit, each_input


@register
class Mul(Op):
    kind = "mul"
    Args = OpArgs
    arity = "many"
    color = "#fce5cd"
    doc = "element-wise product of its inputs, broadcasting dimensions of size 1 (C×H×W · C×1×1)"
    example = Example(((4, 5, 5), (4, 1, 1)))
    onnx = "Mul (broadcasting)"

    def infer(self, a: OpArgs, ins: list[Shape]) -> Shape:
        shown = ", ".join(fmt_shape(s) for s in ins)
        if len({len(s) for s in ins}) != 1:
            raise ShapeError(f"mul inputs must have the same number of dimensions, got {shown}",
                             "gate an image C×H×W with a C×1×1 tensor (gap keeps the 1×1), not a flat one")
        out = []
        for dims in zip(*ins):
            big = set(dims) - {1}
            if len(big) > 1:
                raise ShapeError(f"mul inputs do not broadcast: {shown}",
                                 "each dimension must be equal or 1 in every input, e.g. C×H×W · C×1×1")
            out.append(big.pop() if big else 1)
        return tuple(out)

    def build(self, a: OpArgs, ins: list[Shape], out: Shape) -> Any:
        from archspec.ops.layers import Mul as MulModule

        return MulModule()

    def emit(self, a: OpArgs, ins: list[Shape], out: Shape) -> Emit:
        return Emit(inline=" * ".join(each_input(len(ins))))
