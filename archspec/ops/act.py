"""A stand-alone activation (the names are the table in `ops.base.ACTIVATIONS`)."""

from __future__ import annotations

from typing import Any

from archspec.ops.base import ActName, Example, Op, OpArgs, Shape, register
from archspec.ops.pysource import Call, Emit, act_module


class ActArgs(OpArgs):
    fn: ActName = "relu"


@register
class Act(Op):
    kind = "act"
    Args = ActArgs
    color = "#f4cccc"
    doc = ("element-wise activation: relu, relu6, gelu, silu, sigmoid, tanh, elu, leaky_relu, hardswish, "
           "hardsigmoid, mish, none")
    example = Example(((4, 5, 5),), {"fn": "gelu"})
    onnx = "Relu / Sigmoid / Tanh / Elu / LeakyRelu / HardSwish / HardSigmoid / Mish / Gelu (decomposed)"

    def label(self, a: ActArgs) -> str:
        return a.fn

    def build(self, a: ActArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        from archspec.ops.layers import activation

        return activation(a.fn) or nn.Identity()

    def emit(self, a: ActArgs, ins: list[Shape], out: Shape) -> Emit:
        return Emit(inline="{x0}") if a.fn == "none" else Emit(module=Call(act_module(a.fn)[:-2]))
