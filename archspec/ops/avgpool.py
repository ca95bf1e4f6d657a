"""2-D average pooling."""

from __future__ import annotations

from typing import Any

from archspec.ops.base import Example, Shape, pair, register
from archspec.ops.pooling import Pool, PoolArgs
from archspec.ops.pysource import Call, Emit


class AvgPoolArgs(PoolArgs):
    count_include_pad: bool = True


@register
class AvgPool(Pool):
    kind = "avgpool"
    Args = AvgPoolArgs
    doc = "2-D average pooling; output size as PyTorch's; count_include_pad=false matches TensorFlow's 'SAME' pooling"
    example = Example(((4, 7, 7),), {"k": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False})
    onnx = "AveragePool"

    def build(self, a: AvgPoolArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        return nn.AvgPool2d(pair(a.k), a.strides, self.padding(a), ceil_mode=a.ceil_mode,
                            count_include_pad=a.count_include_pad)

    def emit(self, a: AvgPoolArgs, ins: list[Shape], out: Shape) -> Emit:
        args = self.window_args(a)
        if not a.count_include_pad:
            args.append("count_include_pad=False")
        return Emit(module=Call("nn.AvgPool2d", tuple(args)))
