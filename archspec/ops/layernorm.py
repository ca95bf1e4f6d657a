"""Layer normalisation over the channels of each position (ConvNeXt's LayerNorm2d).

On C×H×W it normalises the C values at every (h, w), as torchvision's `LayerNorm2d`; on
flat features it is `nn.LayerNorm`. The affine γ and β are per channel; eps is data.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from archspec.ops.base import Cost, Example, Op, OpArgs, Shape, register
from archspec.ops.pysource import Call, Emit


class LayerNormArgs(OpArgs):
    eps: float = Field(1e-5, gt=0)
    affine: bool = True


@register
class LayerNorm(Op):
    kind = "layernorm"
    Args = LayerNormArgs
    color = "#fff2cc"
    doc = "layer normalisation over channels at each position (C×H×W) or over features (F)"
    example = Example(((4, 5, 5),), {"eps": 1e-6})
    onnx = "LayerNormalization (between two Transposes on images)"

    def label(self, a: LayerNormArgs) -> str:
        return "layernorm"

    def cost(self, a: LayerNormArgs, ins: list[Shape], out: Shape) -> Cost:
        return Cost(params=2 * ins[0][0] if a.affine else 0)

    def build(self, a: LayerNormArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        from archspec.ops.layers import LayerNorm2d

        cls = LayerNorm2d if len(ins[0]) == 3 else nn.LayerNorm
        return cls(ins[0][0], eps=a.eps, elementwise_affine=a.affine)

    def emit(self, a: LayerNormArgs, ins: list[Shape], out: Shape) -> Emit:
        kw = ([f"eps={a.eps!r}"] if a.eps != 1e-5 else []) + ([] if a.affine else ["elementwise_affine=False"])
        if len(ins[0]) == 3:
            return Emit(module=Call("LayerNorm2d", ("{in}", *kw)), slots={"in": ins[0][0]}, helpers=("LayerNorm2d",))
        return Emit(module=Call("nn.LayerNorm", ("{in}", *kw)), slots={"in": ins[0][0]})
