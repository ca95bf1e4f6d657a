"""2-D max pooling."""

from __future__ import annotations

from typing import Any

from archspec.ops.base import Example, Shape, pair, register, tf_same_pads
from archspec.ops.pooling import Pool, PoolArgs
from archspec.ops.pysource import Call, Emit, pads_arg


@register
class MaxPool(Pool):
    kind = "maxpool"
    Args = PoolArgs
    doc = "2-D max pooling; output size as PyTorch's, ceil_mode included"
    example = Example(((4, 8, 8),), {"k": 3, "stride": 2, "padding": "tf_same"})
    onnx = "MaxPool"

    def build(self, a: PoolArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        from archspec.ops.layers import MaxPool2dSame

        if a.padding == "tf_same":
            return MaxPool2dSame(pair(a.k), a.strides, ceil_mode=a.ceil_mode,
                                 pads=tf_same_pads(ins[0][1:], pair(a.k), a.strides))
        return nn.MaxPool2d(pair(a.k), a.strides, self.padding(a), ceil_mode=a.ceil_mode)

    def emit(self, a: PoolArgs, ins: list[Shape], out: Shape) -> Emit:
        if a.padding == "tf_same":
            args = (*self.window_args(a), pads_arg(tf_same_pads(ins[0][1:], pair(a.k), a.strides)))
            return Emit(module=Call("MaxPool2dSame", args), helpers=("MaxPool2dSame",))
        return Emit(module=Call("nn.MaxPool2d", tuple(self.window_args(a))))
