"""Dropout (element-wise; active only in training mode)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from archspec.ops.base import Example, Op, OpArgs, Shape, register
from archspec.ops.pysource import Call, Emit


class DropoutArgs(OpArgs):
    p: float = Field(0.5, ge=0, lt=1)


@register
class Dropout(Op):
    kind = "dropout"
    Args = DropoutArgs
    color = "#eeeeee"
    doc = "dropout with drop probability p"
    example = Example(((12,),), {"p": 0.2})
    onnx = "nothing (identity in eval mode)"

    def label(self, a: DropoutArgs) -> str:
        return f"dropout {a.p:g}"

    def build(self, a: DropoutArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        return nn.Dropout(a.p)

    def emit(self, a: DropoutArgs, ins: list[Shape], out: Shape) -> Emit:
        return Emit(module=Call("nn.Dropout", ("p={p}",)), slots={"p": a.p})
