"""A learnable per-channel scale γ (CaiT / ConvNeXt layer scale), initialised to `init`."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from archspec.ops.base import Cost, Example, Op, OpArgs, Shape, register
from archspec.ops.pysource import Call, Emit


class LayerScaleArgs(OpArgs):
    init: float = Field(1e-6, allow_inf_nan=False)


@register
class LayerScale(Op):
    kind = "layer_scale"
    Args = LayerScaleArgs
    color = "#eeeeee"
    doc = "learnable per-channel scale γ (shape C×1×1 on images), initialised to init"
    example = Example(((4, 5, 5),), {"init": 0.1})
    onnx = "Mul"

    def label(self, a: LayerScaleArgs) -> str:
        return f"layer scale {a.init:g}"

    def cost(self, a: LayerScaleArgs, ins: list[Shape], out: Shape) -> Cost:
        return Cost(params=ins[0][0])

    def build(self, a: LayerScaleArgs, ins: list[Shape], out: Shape) -> Any:
        from archspec.ops.layers import LayerScale as LayerScaleModule

        return LayerScaleModule(ins[0], a.init)

    def emit(self, a: LayerScaleArgs, ins: list[Shape], out: Shape) -> Emit:
        return Emit(module=Call("LayerScale", (repr(tuple(ins[0])), repr(a.init))), helpers=("LayerScale",))
