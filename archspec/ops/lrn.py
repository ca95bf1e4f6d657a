"""Local response normalisation, as in AlexNet and the GoogLeNet paper's stem."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from archspec.ops.base import Example, Op, OpArgs, PosInt, Shape, need_chw, register
from archspec.ops.pysource import Call, Emit


class LRNArgs(OpArgs):
    size: PosInt = 5
    alpha: float = Field(1e-4, ge=0)
    beta: float = Field(0.75, ge=0)
    k: float = Field(1.0, ge=0)


@register
class LRN(Op):
    kind = "lrn"
    Args = LRNArgs
    color = "#fff2cc"
    doc = "local response normalisation across channels"
    example = Example(((6, 5, 5),), {"size": 3})
    onnx = "LRN"

    def infer(self, a: LRNArgs, ins: list[Shape]) -> Shape:
        return need_chw("lrn", ins[0])

    def label(self, a: LRNArgs) -> str:
        return f"lrn {a.size}"

    def build(self, a: LRNArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        return nn.LocalResponseNorm(a.size, a.alpha, a.beta, a.k)

    def emit(self, a: LRNArgs, ins: list[Shape], out: Shape) -> Emit:
        kw = [f"alpha={a.alpha!r}", f"beta={a.beta!r}", f"k={a.k!r}"]
        return Emit(module=Call("nn.LocalResponseNorm", (str(a.size), *kw)))
