"""Element-wise sum of equally shaped inputs."""

from __future__ import annotations

from typing import Any

from archspec.ops.base import Example, Op, OpArgs, Shape, ShapeError, fmt_shape, register
from archspec.ops.pysource import Emit, each_input


@register
class Add(Op):
    kind = "add"
    Args = OpArgs
    arity = "many"
    color = "#fce5cd"
    doc = "sum inputs of identical shape"
    example = Example(((4, 5, 5), (4, 5, 5), (4, 5, 5)))
    onnx = "Add"

    def infer(self, a: OpArgs, ins: list[Shape]) -> Shape:
        if len(set(ins)) != 1:
            raise ShapeError("add inputs must have identical shapes, got " + ", ".join(fmt_shape(s) for s in ins),
                             "give the branches the same number of channels and strides; `concat` stacks different ones")
        return ins[0]

    def build(self, a: OpArgs, ins: list[Shape], out: Shape) -> Any:
        from archspec.ops.layers import Add as AddModule

        return AddModule()

    def emit(self, a: OpArgs, ins: list[Shape], out: Shape) -> Emit:
        return Emit(inline=" + ".join(each_input(len(ins))))
