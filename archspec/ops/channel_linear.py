"""A linear map over the channels at every position of a C×H×W tensor, in nn.Linear's layout.

Numerically a 1×1 conv, but its weight is `out × C` (not `out × C × 1 × 1`), as ConvNeXt's
pointwise layers are written in torchvision and timm (channels-last `nn.Linear`), so their
weights import as they are. An activation may be attached, as on `linear`.
"""

from __future__ import annotations

from typing import Any

from archspec.ops.base import Cost, Example, Op, Shape, need_chw, register
from archspec.ops.linear import LinearArgs as ChannelLinearArgs  # the same arguments as `linear`
from archspec.ops.pysource import Call, Emit, act_module


@register
class ChannelLinear(Op):
    kind = "channel_linear"
    Args = ChannelLinearArgs
    color = "#d9d2e9"
    doc = "linear map C → out at every position of C×H×W (a 1×1 conv with nn.Linear's weight layout)"
    example = Example(((4, 5, 5),), {"out": 6, "act": "gelu"})
    onnx = "Transpose + MatMul (+ Add, activation) + Transpose"

    def infer(self, a: ChannelLinearArgs, ins: list[Shape]) -> Shape:
        _, h, w = need_chw("channel_linear", ins[0])
        return (a.out, h, w)

    def cost(self, a: ChannelLinearArgs, ins: list[Shape], out: Shape) -> Cost:
        weights = ins[0][0] * a.out
        return Cost(params=weights + (a.out if a.bias else 0), macs=weights * out[1] * out[2])

    def label(self, a: ChannelLinearArgs) -> str:
        return f"channel linear {a.out}"

    def build(self, a: ChannelLinearArgs, ins: list[Shape], out: Shape) -> Any:
        from archspec.ops.layers import ChannelLinear as ChannelLinearModule
        from archspec.ops.layers import activation

        return ChannelLinearModule(ins[0][0], a.out, a.bias, activation(a.act))

    def emit(self, a: ChannelLinearArgs, ins: list[Shape], out: Shape) -> Emit:
        act = "None" if a.act == "none" else act_module(a.act)
        return Emit(module=Call("ChannelLinear", ("{in}", "{out}", repr(a.bias), act)),
                    slots={"in": ins[0][0], "out": a.out}, helpers=("ChannelLinear",))
