"""Stochastic depth: in training, drop the whole sample's residual branch with probability p.

Identity in eval mode. The mask is drawn from torch's global RNG, like dropout's, so a
seeded run and its bit-identical resume draw the same masks.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from archspec.ops.base import Example, Op, OpArgs, Shape, register
from archspec.ops.pysource import Call, Emit


class DropPathArgs(OpArgs):
    p: float = Field(0.0, ge=0, lt=1)


@register
class DropPath(Op):
    kind = "drop_path"
    Args = DropPathArgs
    color = "#eeeeee"
    doc = "stochastic depth: zero a sample's branch with probability p in training (scaled by 1/(1-p)); identity in eval mode"
    example = Example(((4, 5, 5),), {"p": 0.2})
    onnx = "nothing (identity in eval mode)"

    def label(self, a: DropPathArgs) -> str:
        return f"drop path {a.p:g}"

    def build(self, a: DropPathArgs, ins: list[Shape], out: Shape) -> Any:
        from archspec.ops.layers import DropPath as DropPathModule

        return DropPathModule(a.p)

    def emit(self, a: DropPathArgs, ins: list[Shape], out: Shape) -> Emit:
        return Emit(module=Call("DropPath", ("{p}",)), slots={"p": a.p}, helpers=("DropPath",))
