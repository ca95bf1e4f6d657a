"""What max and average pooling share: the window arguments, the shape rule, the label, the source."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import Field

from archspec.ops.base import (Op, OpArgs, Padding, Pair, Shape, ShapeError, kernel_text, need_chw, pair,
                               resolve_padding, window_out)
from archspec.ops.pysource import size_text


class PoolArgs(OpArgs):
    k: Pair
    stride: Optional[Pair] = Field(None, description="k when null")
    padding: Padding = "valid"
    ceil_mode: bool = False

    @property
    def strides(self) -> tuple[int, int]:
        return pair(self.k if self.stride is None else self.stride)


class Pool(Op):
    """The shared shape rule and label; subclasses give the kind, Args and torch builder."""

    color = "#d9ead3"

    def padding(self, a: PoolArgs) -> tuple[int, int]:
        if a.padding == "tf_same":
            return (0, 0)  # padded before the window (`tf_same_pads`), not by the pool
        p = resolve_padding(self.kind, a.padding, pair(a.k), a.strides)
        if isinstance(p, str):
            k = pair(a.k)
            raise ShapeError(f"{self.kind} padding 'same' needs an odd kernel (got {k[0]}×{k[1]})",
                             "give an explicit padding")
        return p

    def infer(self, a: Any, ins: list[Shape]) -> Shape:
        c, h, w = need_chw(self.kind, ins[0])
        k, st, p = pair(a.k), a.strides, self.padding(a)
        if a.padding == "tf_same":
            if self.kind != "maxpool":
                raise ShapeError(f"{self.kind} padding 'tf_same' is supported by conv and maxpool only",
                                 "TF's 'SAME' average pool excludes the padding: give explicit padding with "
                                 "count_include_pad: false")
            return (c, -(-h // st[0]), -(-w // st[1]))
        if p[0] * 2 > k[0] or p[1] * 2 > k[1]:
            raise ShapeError(f"{self.kind} padding {p[0]}×{p[1]} must be at most half the kernel {k[0]}×{k[1]}",
                             "PyTorch pads a pool by at most k // 2 on each side: lower the padding or enlarge the kernel")
        return (c, window_out(self.kind, h, k[0], st[0], p[0], 1, a.ceil_mode, "height"),
                window_out(self.kind, w, k[1], st[1], p[1], 1, a.ceil_mode, "width"))

    def label(self, a: Any) -> str:
        return f"{self.kind} {kernel_text(a.k, list(a.strides))}"

    def window_args(self, a: PoolArgs) -> list[str]:
        """The window's constructor arguments as source, for `emit` (TF's 'SAME' pads are not among them)."""
        args = [size_text(a.k)]
        if a.strides != pair(a.k):
            args.append(f"stride={size_text(list(a.strides))}")
        padding = self.padding(a)
        if padding != (0, 0):
            args.append(f"padding={size_text(list(padding))}")
        if a.ceil_mode:
            args.append("ceil_mode=True")
        return args
