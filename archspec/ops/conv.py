"""2-D convolution with optional attached normalisation and activation.

The Inception papers' "conv" is conv→BN→ReLU; attaching norm and act here keeps specs
short and gives the module torchvision's layout (`name.conv`, `name.bn`). A conv with
neither is a plain `nn.Conv2d`, so its parameters are `name.weight`/`name.bias`.
"""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import Field

from archspec.ops.base import (ActName, Cost, Example, Op, OpArgs, Padding, Pair, PosInt, Shape, ShapeError,
                               kernel_text, need_chw, pair, register, resolve_padding, tf_same_pads, window_out)
from archspec.ops.pysource import Call, Emit, act_module, norm_kwargs, pads_arg, size_text


class BatchNormCfg(OpArgs):
    kind: Literal["batchnorm"] = "batchnorm"
    eps: float = Field(1e-5, gt=0)
    momentum: float = Field(0.1, ge=0, le=1)
    affine: bool = True


class ConvArgs(OpArgs):
    out: PosInt
    k: Pair
    stride: Pair = 1
    padding: Padding = "valid"
    dilation: Pair = 1
    groups: PosInt = 1
    bias: bool = True
    norm: Union[Literal["none", "batchnorm"], BatchNormCfg] = "none"
    act: ActName = "none"


def norm_cfg(norm: Any) -> BatchNormCfg | None:
    if norm == "none":
        return None
    return BatchNormCfg() if norm == "batchnorm" else norm


@register
class Conv(Op):
    kind = "conv"
    Args = ConvArgs
    color = "#cfe2f3"
    doc = ("2-D convolution, optionally followed by batchnorm and an activation; "
           "output size floor((H + 2p − d(k−1) − 1)/s) + 1")
    example = Example(((4, 9, 9),), {"out": 6, "k": [1, 3], "stride": 2, "padding": "tf_same", "groups": 2,
                                     "bias": False, "norm": "batchnorm", "act": "relu"})
    onnx = "Conv (+ BatchNormalization, activation)"

    def infer(self, a: ConvArgs, ins: list[Shape]) -> Shape:
        c, h, w = need_chw("conv", ins[0])
        if c % a.groups or a.out % a.groups:
            raise ShapeError(f"conv groups={a.groups} must divide both input channels {c} and out {a.out}",
                             "choose groups that divide both (groups = input channels is a depthwise conv)")
        k, s, d = pair(a.k), pair(a.stride), pair(a.dilation)
        p = resolve_padding("conv", a.padding, k, s, d)
        ph, pw = (p, p) if isinstance(p, str) else p
        return (a.out, window_out("conv", h, k[0], s[0], ph, d[0], False, "height"),
                window_out("conv", w, k[1], s[1], pw, d[1], False, "width"))

    def cost(self, a: ConvArgs, ins: list[Shape], out: Shape) -> Cost:
        kh, kw = pair(a.k)
        cin = ins[0][0]
        weights = a.out * (cin // a.groups) * kh * kw
        norm = norm_cfg(a.norm)
        params = weights + (a.out if a.bias else 0)
        buffers = 0
        if norm is not None:
            params += 2 * a.out if norm.affine else 0
            buffers += 2 * a.out
        return Cost(params, buffers, weights * out[1] * out[2])

    def label(self, a: ConvArgs) -> str:
        return f"conv {kernel_text(a.k, a.stride)}, {a.out}"

    def build(self, a: ConvArgs, ins: list[Shape], out: Shape) -> Any:
        from torch import nn

        from archspec.ops.layers import Conv2dSame, ConvNormAct, activation

        k, s, d = pair(a.k), pair(a.stride), pair(a.dilation)
        p = resolve_padding("conv", a.padding, k, s, d)
        if p == "tf_same":
            conv: nn.Conv2d = Conv2dSame(ins[0][0], a.out, k, s, d, a.groups, bias=a.bias,
                                         pads=tf_same_pads(ins[0][1:], k, s, d))
        else:
            conv = nn.Conv2d(ins[0][0], a.out, k, s, p, d, a.groups, bias=a.bias)
        norm = norm_cfg(a.norm)
        if norm is None and a.act == "none":
            return conv
        bn = None if norm is None else nn.BatchNorm2d(a.out, eps=norm.eps, momentum=norm.momentum, affine=norm.affine)
        return ConvNormAct(conv, bn, activation(a.act, inplace=True))  # its input is this unit's own

    def emit(self, a: ConvArgs, ins: list[Shape], out: Shape) -> Emit:
        k, s, d = pair(a.k), pair(a.stride), pair(a.dilation)
        p = resolve_padding("conv", a.padding, k, s, d)
        args = ["{in}", "{out}", size_text(a.k)]
        if s != (1, 1):
            args.append(f"stride={size_text(a.stride)}")
        if p == "tf_same":
            args.append(pads_arg(tf_same_pads(ins[0][1:], k, s, d)))
        elif p != (0, 0):
            args.append(f'padding="{p}"' if isinstance(p, str) else f"padding={size_text(list(p))}")
        if d != (1, 1):
            args.append(f"dilation={size_text(a.dilation)}")
        if a.groups != 1:
            args.append(f"groups={a.groups}")
        if not a.bias:
            args.append("bias=False")
        layer = Call("Conv2dSame" if p == "tf_same" else "nn.Conv2d", tuple(args))
        slots: dict[str, int | float] = {"in": ins[0][0], "out": a.out}
        norm = norm_cfg(a.norm)
        same = ("Conv2dSame",) if p == "tf_same" else ()
        if norm is None and a.act == "none":
            return Emit(module=layer, slots=slots, helpers=same)
        bn: str | Call = "None"
        if norm is not None:
            bn = Call("nn.BatchNorm2d", ("{out}", *norm_kwargs(norm.eps, norm.momentum, norm.affine)))
        act = "None" if a.act == "none" else act_module(a.act)
        return Emit(module=Call("ConvNormAct", (layer, bn, act)), slots=slots, helpers=("ConvNormAct", *same))
