"""Fully connected layer on flat features, with an optional attached activation."""

from __future__ import annotations

from typing import Any

from archspec.ops.base import ActName, Cost, Example, Op, OpArgs, PosInt, Shape, ShapeError, fmt_shape, register
from archspec.ops.pysource import Call, Emit, act_module


class LinearArgs(OpArgs):
    out: PosInt
    bias: bool = True
    act: ActName = "none"


@register
class Linear(Op):
    kind = "linear"
    Args = LinearArgs
    color = "#d9d2e9"
    doc = "fully connected layer F → out"
    example = Example(((12,),), {"out": 5, "act": "relu"})
    onnx = "Gemm (+ activation)"

    def infer(self, a: LinearArgs, ins: list[Shape]) -> Shape:
        if len(ins[0]) != 1:
            raise ShapeError(f"linear expects flat features (F), got {fmt_shape(ins[0])}", "add a flatten before it")
        return (a.out,)

    def cost(self, a: LinearArgs, ins: list[Shape], out: Shape) -> Cost:
        w = ins[0][0] * a.out
        return Cost(params=w + (a.out if a.bias else 0), macs=w)

    def label(self, a: LinearArgs) -> str:
        return f"linear {a.out}"

    def build(self, a: LinearArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        from archspec.ops.layers import LinearAct, activation

        act = activation(a.act, inplace=True)  # it reads only the fresh linear output
        if act is None:
            return nn.Linear(ins[0][0], a.out, bias=a.bias)
        return LinearAct(ins[0][0], a.out, a.bias, act)

    def emit(self, a: LinearArgs, ins: list[Shape], out: Shape) -> Emit:
        slots: dict[str, int | float] = {"in": ins[0][0], "out": a.out}
        if a.act == "none":
            return Emit(module=Call("nn.Linear", ("{in}", "{out}", *([] if a.bias else ["bias=False"]))), slots=slots)
        return Emit(module=Call("LinearAct", ("{in}", "{out}", repr(a.bias), act_module(a.act))), slots=slots,
                    helpers=("LinearAct",))
