"""Identity: a named pass-through (handy as a variant's replacement for a removed layer)."""

from __future__ import annotations

from typing import Any

from archspec.ops.base import Op, OpArgs, Shape, register


@register
class Identity(Op):
    kind = "identity"
    Args = OpArgs
    doc = "pass the input through unchanged"

    def build(self, a: OpArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        return nn.Identity()
