"""What max and average pooling share: the window arguments and the shape rule."""

from __future__ import annotations

from typing import Optional

from archspec.ops.base import OpArgs, Padding, Pair, Shape, kernel_text, need_chw, pair, resolve_padding, window_out


class PoolArgs(OpArgs):
    k: Pair
    stride: Optional[Pair] = None
    padding: Padding = "valid"
    ceil_mode: bool = False

    @property
    def strides(self) -> tuple[int, int]:
        return pair(self.k if self.stride is None else self.stride)


def pool_padding(kind: str, a: PoolArgs) -> tuple[int, int]:
    p = resolve_padding(kind, a.padding, pair(a.k), a.strides)
    if isinstance(p, str):
        raise ValueError  # unreachable: the caller's infer rejects even 'same' kernels first
    return p


def pool_infer(kind: str, a: PoolArgs, s: Shape) -> Shape:
    from archspec.ops.base import ShapeError

    c, h, w = need_chw(kind, s)
    k, st = pair(a.k), a.strides
    p = resolve_padding(kind, a.padding, k, st)
    if isinstance(p, str):
        raise ShapeError(f"{kind} padding 'same' needs an odd kernel (got {k[0]}×{k[1]})", "give an explicit padding")
    if p[0] * 2 > k[0] or p[1] * 2 > k[1]:
        raise ShapeError(f"{kind} padding {p[0]}×{p[1]} must be at most half the kernel {k[0]}×{k[1]}")
    return (c, window_out(kind, h, k[0], st[0], p[0], 1, a.ceil_mode, "height"),
            window_out(kind, w, k[1], st[1], p[1], 1, a.ceil_mode, "width"))


def pool_label(kind: str, a: PoolArgs) -> str:
    return f"{kind} {kernel_text(a.k, list(a.strides))}"
