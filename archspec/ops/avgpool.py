"""2-D average pooling."""

from __future__ import annotations

from typing import Any

from archspec.ops.base import Op, Shape, register
from archspec.ops.pooling import PoolArgs, pool_infer, pool_label, pool_padding


class AvgPoolArgs(PoolArgs):
    count_include_pad: bool = True


@register
class AvgPool(Op):
    kind = "avgpool"
    Args = AvgPoolArgs
    color = "#d9ead3"
    doc = "2-D average pooling; count_include_pad=false matches TensorFlow's 'SAME' pooling"

    def infer(self, a: AvgPoolArgs, ins: list[Shape]) -> Shape:
        return pool_infer(self.kind, a, ins[0])

    def label(self, a: AvgPoolArgs) -> str:
        return pool_label(self.kind, a)

    def build(self, a: AvgPoolArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        return nn.AvgPool2d(a.k, a.strides, pool_padding(self.kind, a), ceil_mode=a.ceil_mode,
                            count_include_pad=a.count_include_pad)
