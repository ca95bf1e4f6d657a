"""The registry of op kinds; importing this package registers every kind."""

from archspec.ops import (act, adaptive_avgpool, add, avgpool, batchnorm, channel_linear, concat, conv,  # noqa: F401
                          drop_path, dropout, flatten, gap, identity, input, layer_scale, layernorm, linear, lrn, maxpool,
                          mul, residual)
from archspec.ops.base import REGISTRY, Cost, Op, Shape, ShapeError, fmt_shape

__all__ = ["REGISTRY", "Cost", "Op", "Shape", "ShapeError", "fmt_shape"]
