"""2-D max pooling."""

from __future__ import annotations

from typing import Any

from archspec.ops.base import Shape, register
from archspec.ops.pooling import Pool, PoolArgs


@register
class MaxPool(Pool):
    kind = "maxpool"
    Args = PoolArgs
    doc = "2-D max pooling (stride defaults to the kernel, as in Keras and PyTorch)"

    def build(self, a: PoolArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        return nn.MaxPool2d(a.k, a.strides, self.padding(a), ceil_mode=a.ceil_mode)
