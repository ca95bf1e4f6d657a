"""2-D max pooling."""

from __future__ import annotations

from typing import Any

from archspec.ops.base import Example, Shape, pair, register, tf_same_pads
from archspec.ops.pooling import Pool, PoolArgs


@register
class MaxPool(Pool):
    kind = "maxpool"
    Args = PoolArgs
    doc = "2-D max pooling; output size as PyTorch's, ceil_mode included"
    example = Example(((4, 8, 8),), {"k": 3, "stride": 2, "padding": "tf_same"})

    def build(self, a: PoolArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        from archspec.ops.layers import MaxPool2dSame

        if a.padding == "tf_same":
            return MaxPool2dSame(a.k, a.strides, 0, ceil_mode=a.ceil_mode,
                                 pads=tf_same_pads(ins[0][1:], pair(a.k), a.strides))
        return nn.MaxPool2d(pair(a.k), a.strides, self.padding(a), ceil_mode=a.ceil_mode)
