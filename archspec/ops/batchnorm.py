"""Stand-alone batch normalisation (Keras-style `BatchNormalization` layers).

Works on images (BatchNorm2d) and on flat features (BatchNorm1d). Momentum follows
PyTorch's convention (weight of the new batch), not Keras's (weight of the old mean).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from archspec.ops.base import Cost, Example, Op, OpArgs, Shape, register
from archspec.ops.pysource import Call, Emit, norm_kwargs


class BatchNormArgs(OpArgs):
    eps: float = Field(1e-5, gt=0)
    momentum: float = Field(0.1, ge=0, le=1)
    affine: bool = True


@register
class BatchNorm(Op):
    kind = "batchnorm"
    Args = BatchNormArgs
    color = "#fff2cc"
    doc = "batch normalisation over channels (C×H×W) or features (F); momentum as PyTorch's (0.1)"
    example = Example(((4, 5, 5),), {"eps": 0.001})
    onnx = "BatchNormalization"

    def cost(self, a: BatchNormArgs, ins: list[Shape], out: Shape) -> Cost:
        c = ins[0][0]
        return Cost(params=2 * c if a.affine else 0, buffers=2 * c)

    def build(self, a: BatchNormArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        cls = nn.BatchNorm2d if len(ins[0]) == 3 else nn.BatchNorm1d
        return cls(ins[0][0], eps=a.eps, momentum=a.momentum, affine=a.affine)

    def emit(self, a: BatchNormArgs, ins: list[Shape], out: Shape) -> Emit:
        cls = "nn.BatchNorm2d" if len(ins[0]) == 3 else "nn.BatchNorm1d"
        return Emit(module=Call(cls, ("{in}", *norm_kwargs(a.eps, a.momentum, a.affine))), slots={"in": ins[0][0]})
