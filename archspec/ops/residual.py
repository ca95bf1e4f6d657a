"""The merge of a residual connection: shortcut + scale · body, then an optional activation.

Inception-ResNet scales the residual by 0.1–0.3 before the add to keep very wide
networks stable; the scale is data in the spec.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from archspec.ops.base import ActName, Example, Op, OpArgs, Shape, ShapeError, fmt_shape, register
from archspec.ops.pysource import Emit, FUNCTIONAL


class ResidualArgs(OpArgs):
    scale: float = Field(1.0, gt=0)
    act: ActName = "none"


@register
class Residual(Op):
    kind = "residual"
    Args = ResidualArgs
    arity = "many"
    color = "#fce5cd"
    doc = "residual merge: input + scale · body(input), then act; the body must keep the input's shape"
    example = Example(((4, 5, 5), (4, 5, 5)), {"scale": 0.2, "act": "relu"})
    onnx = "Mul + Add (+ activation)"

    def infer(self, a: ResidualArgs, ins: list[Shape]) -> Shape:
        body, shortcut = ins
        if body != shortcut:
            raise ShapeError(f"residual body output {fmt_shape(body)} must equal the block input {fmt_shape(shortcut)}",
                             "make the body's last conv output as many channels as the input, at stride 1")
        return shortcut

    def label(self, a: ResidualArgs) -> str:
        return f"residual ×{a.scale:g}" + ("" if a.act == "none" else f", {a.act}")

    def shortcut(self, a: ResidualArgs) -> str | None:
        return f"shortcut + {a.scale:g} · body"

    def build(self, a: ResidualArgs, ins: list[Shape], out: Shape) -> Any:
        from archspec.ops.layers import ScaledResidual, activation

        return ScaledResidual(a.scale, activation(a.act, inplace=True))  # on the fresh sum

    def emit(self, a: ResidualArgs, ins: list[Shape], out: Shape) -> Emit:
        # the compiled op computes body * scale + shortcut; the same operations give identical floats
        expr = "{x0} * {scale} + {x1}" if a.scale != 1.0 else "{x0} + {x1}"
        if a.act != "none":
            expr = f"{FUNCTIONAL[a.act]}({expr})"
        return Emit(inline=expr, slots={"scale": a.scale} if a.scale != 1.0 else {})
