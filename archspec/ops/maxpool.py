"""2-D max pooling."""

from __future__ import annotations

from typing import Any

from archspec.ops.base import Op, Shape, register
from archspec.ops.pooling import PoolArgs, pool_infer, pool_label, pool_padding


@register
class MaxPool(Op):
    kind = "maxpool"
    Args = PoolArgs
    color = "#d9ead3"
    doc = "2-D max pooling (stride defaults to the kernel, as in Keras and PyTorch)"

    def infer(self, a: PoolArgs, ins: list[Shape]) -> Shape:
        return pool_infer(self.kind, a, ins[0])

    def label(self, a: PoolArgs) -> str:
        return pool_label(self.kind, a)

    def build(self, a: PoolArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        return nn.MaxPool2d(a.k, a.strides, pool_padding(self.kind, a), ceil_mode=a.ceil_mode)
