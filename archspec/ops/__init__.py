"""The registry of op kinds; importing this package registers every kind."""

from archspec.ops import (act, adaptive_avgpool, add, avgpool, batchnorm, concat, conv, dropout,  # noqa: F401
                          flatten, gap, identity, linear, lrn, maxpool, residual)
from archspec.ops.base import REGISTRY, Cost, Op, Shape, ShapeError, fmt_shape

__all__ = ["REGISTRY", "Cost", "Op", "Shape", "ShapeError", "fmt_shape"]
