"""The PyTorch source of each op kind: one small function per kind, nothing else.

An emitter turns one IR node into either a submodule (`module`: a constructor call, which
`__init__` assigns to `self.<name>` so the state_dict keys are the compiled module's) or an
expression inlined into `forward` (`inline`: concat is `torch.cat`, a residual is its add
with its scale). Numbers that a block template may vary — channels, a residual's scale,
dropout's p — are `slots`: the templates hold them as `{slot}` placeholders, and the class
generator (`archspec/export/source.py`) decides whether each becomes a literal or a
constructor argument. `{x0}`, `{x1}`, ... in an inline template are the node's inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Union

from archspec.ops import REGISTRY
from archspec.ops.base import ACTIVATIONS, Shape, pair, resolve_padding, tf_same_pads
from archspec.ops.conv import norm_cfg
from archspec.ops.pooling import Pool


@dataclass(frozen=True)
class Call:
    """A constructor call, kept as a tree so the formatter can break it across lines."""

    fn: str
    """The callee; "[" or "{" for a list or dict display."""
    args: tuple[Union[str, "Call"], ...] = ()


@dataclass(frozen=True)
class Emit:
    module: Call | None = None
    inline: str | Call | None = None
    slots: dict[str, int | float] = field(default_factory=dict)
    helpers: tuple[str, ...] = ()
    """Helper classes of the generated file (`HELPERS`) this code uses."""


Emitter = Callable[[Any, list[Shape], Shape], Emit]

FUNCTIONAL = {
    # activation -> its functional form, for activations inside inline expressions
    "relu": "torch.relu", "relu6": "F.relu6", "gelu": "F.gelu", "silu": "F.silu", "sigmoid": "torch.sigmoid",
    "tanh": "torch.tanh", "elu": "F.elu", "leaky_relu": "F.leaky_relu", "hardswish": "F.hardswish",
    "hardsigmoid": "F.hardsigmoid", "mish": "F.mish",
}

HELPERS: dict[str, str] = {
    "ConvNormAct": '''class ConvNormAct(nn.Module):
    """conv -> optional BatchNorm2d -> optional activation (torchvision's BasicConv2d)."""

    def __init__(
        self, conv: nn.Conv2d, bn: nn.Module | None, act: nn.Module | None
    ) -> None:
        super().__init__()
        self.conv = conv
        self.bn = bn
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.act is not None:
            x = self.act(x)
        return x
''',
    "LinearAct": '''class LinearAct(nn.Linear):
    """nn.Linear followed by an activation, keeping nn.Linear's parameter names."""

    def __init__(
        self, in_features: int, out_features: int, bias: bool, act: nn.Module
    ) -> None:
        super().__init__(in_features, out_features, bias=bias)
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(super().forward(x))
''',
    "LayerNorm2d": '''class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of a N x C x H x W tensor (ConvNeXt's LayerNorm2d)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)
''',
    "ChannelLinear": '''class ChannelLinear(nn.Linear):
    """nn.Linear over the channels of N x C x H x W, then an optional activation."""

    def __init__(
        self, in_features: int, out_features: int, bias: bool, act: nn.Module | None
    ) -> None:
        super().__init__(in_features, out_features, bias=bias)
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = super().forward(x.permute(0, 2, 3, 1))
        if self.act is not None:
            x = self.act(x)
        return x.permute(0, 3, 1, 2)
''',
    "LayerScale": '''class LayerScale(nn.Module):
    """A learnable per-channel scale."""

    def __init__(self, shape: tuple[int, ...], init: float) -> None:
        super().__init__()
        self.layer_scale = nn.Parameter(
            torch.full((shape[0],) + (1,) * (len(shape) - 1), init)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.layer_scale
''',
    "DropPath": '''class DropPath(nn.Module):
    """Stochastic depth: drops a whole sample's branch in training."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x * mask.div_(keep)
''',
    "Conv2dSame": '''class Conv2dSame(nn.Conv2d):
    """nn.Conv2d after TensorFlow's asymmetric 'SAME' padding (left, right, top, bottom)."""

    def __init__(
        self, *args: object, pads: tuple[int, int, int, int], **kw: object
    ) -> None:
        super().__init__(*args, **kw)
        self.pads = pads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.pads))
''',
    "MaxPool2dSame": '''class MaxPool2dSame(nn.MaxPool2d):
    """nn.MaxPool2d after TensorFlow's 'SAME' padding with -inf (left, right, top, bottom)."""

    def __init__(
        self, *args: object, pads: tuple[int, int, int, int], **kw: object
    ) -> None:
        super().__init__(*args, **kw)
        self.pads = pads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.pads, value=float("-inf")))
''',
}


def _fpads(size: Any, k: tuple[int, int], s: tuple[int, int], d: tuple[int, int] = (1, 1)) -> str:
    """TF 'SAME' pads in F.pad's order (left, right, top, bottom)."""
    (t, b), (left, right) = tf_same_pads(tuple(size), k, s, d)
    return f"pads=({left}, {right}, {t}, {b})"


def _size(v: Any) -> str:
    h, w = pair(v)
    return str(h) if h == w else f"({h}, {w})"


def _act(name: str) -> str:
    return f"nn.{ACTIVATIONS[name]}()"


def conv(a: Any, ins: list[Shape], out: Shape) -> Emit:
    k, s, d = pair(a.k), pair(a.stride), pair(a.dilation)
    p = resolve_padding("conv", a.padding, k, s, d)
    args = ["{in}", "{out}", _size(a.k)]
    if s != (1, 1):
        args.append(f"stride={_size(a.stride)}")
    if p == "tf_same":
        args.append(_fpads(ins[0][1:], k, s, d))
    elif p != (0, 0):
        args.append(f'padding="{p}"' if isinstance(p, str) else f"padding={_size(list(p))}")
    if d != (1, 1):
        args.append(f"dilation={_size(a.dilation)}")
    if a.groups != 1:
        args.append(f"groups={a.groups}")
    if not a.bias:
        args.append("bias=False")
    layer = Call("Conv2dSame" if p == "tf_same" else "nn.Conv2d", tuple(args))
    slots = {"in": ins[0][0], "out": a.out}
    norm = norm_cfg(a.norm)
    same = ("Conv2dSame",) if p == "tf_same" else ()
    if norm is None and a.act == "none":
        return Emit(module=layer, slots=slots, helpers=same)
    bn: str | Call = "None"
    if norm is not None:
        bn = Call("nn.BatchNorm2d", ("{out}", *_bn_kwargs(norm.eps, norm.momentum, norm.affine)))
    act = "None" if a.act == "none" else _act(a.act)
    return Emit(module=Call("ConvNormAct", (layer, bn, act)), slots=slots, helpers=("ConvNormAct", *same))


def _bn_kwargs(eps: float, momentum: float, affine: bool) -> list[str]:
    kw = [f"eps={eps!r}"] if eps != 1e-5 else []
    kw += [f"momentum={momentum!r}"] if momentum != 0.1 else []
    return kw + (["affine=False"] if not affine else [])


def batchnorm(a: Any, ins: list[Shape], out: Shape) -> Emit:
    cls = "nn.BatchNorm2d" if len(ins[0]) == 3 else "nn.BatchNorm1d"
    return Emit(module=Call(cls, ("{in}", *_bn_kwargs(a.eps, a.momentum, a.affine))), slots={"in": ins[0][0]})


def linear(a: Any, ins: list[Shape], out: Shape) -> Emit:
    slots = {"in": ins[0][0], "out": a.out}
    if a.act == "none":
        return Emit(module=Call("nn.Linear", ("{in}", "{out}", *([] if a.bias else ["bias=False"]))), slots=slots)
    return Emit(module=Call("LinearAct", ("{in}", "{out}", repr(a.bias), _act(a.act))), slots=slots,
                helpers=("LinearAct",))


def act(a: Any, ins: list[Shape], out: Shape) -> Emit:
    return Emit(inline="{x0}") if a.fn == "none" else Emit(module=Call(_act(a.fn)[:-2]))


def _pool_args(a: Any, padding: tuple[int, int]) -> list[str]:
    args = [_size(a.k)]
    if a.strides != pair(a.k):
        args.append(f"stride={_size(list(a.strides))}")
    if padding != (0, 0):
        args.append(f"padding={_size(list(padding))}")
    if a.ceil_mode:
        args.append("ceil_mode=True")
    return args


def _pool(kind: str) -> Pool:
    op = REGISTRY[kind]
    assert isinstance(op, Pool)
    return op


def maxpool(a: Any, ins: list[Shape], out: Shape) -> Emit:
    if a.padding == "tf_same":
        args = (*_pool_args(a, (0, 0)), _fpads(ins[0][1:], pair(a.k), a.strides))
        return Emit(module=Call("MaxPool2dSame", args), helpers=("MaxPool2dSame",))
    return Emit(module=Call("nn.MaxPool2d", tuple(_pool_args(a, _pool("maxpool").padding(a)))))


def avgpool(a: Any, ins: list[Shape], out: Shape) -> Emit:
    args = _pool_args(a, _pool("avgpool").padding(a))
    if not a.count_include_pad:
        args.append("count_include_pad=False")
    return Emit(module=Call("nn.AvgPool2d", tuple(args)))


def gap(a: Any, ins: list[Shape], out: Shape) -> Emit:
    return Emit(module=Call("nn.AdaptiveAvgPool2d", ("1",)))


def adaptive_avgpool(a: Any, ins: list[Shape], out: Shape) -> Emit:
    return Emit(module=Call("nn.AdaptiveAvgPool2d", (_size(a.size),)))


def lrn(a: Any, ins: list[Shape], out: Shape) -> Emit:
    kw = [f"alpha={a.alpha!r}", f"beta={a.beta!r}", f"k={a.k!r}"]
    return Emit(module=Call("nn.LocalResponseNorm", (str(a.size), *kw)))


def dropout(a: Any, ins: list[Shape], out: Shape) -> Emit:
    return Emit(module=Call("nn.Dropout", ("p={p}",)), slots={"p": a.p})


def flatten(a: Any, ins: list[Shape], out: Shape) -> Emit:
    return Emit(inline="torch.flatten({x0}, 1)")


def identity(a: Any, ins: list[Shape], out: Shape) -> Emit:
    return Emit(inline="{x0}")


def concat(a: Any, ins: list[Shape], out: Shape) -> Emit:
    return Emit(inline=Call("torch.cat", (Call("[", tuple(f"{{x{i}}}" for i in range(len(ins)))), "1")))


def add(a: Any, ins: list[Shape], out: Shape) -> Emit:
    return Emit(inline=" + ".join(f"{{x{i}}}" for i in range(len(ins))))


def residual(a: Any, ins: list[Shape], out: Shape) -> Emit:
    # the compiled op computes body * scale + shortcut; the same operations give identical floats
    expr = "{x0} * {scale} + {x1}" if a.scale != 1.0 else "{x0} + {x1}"
    if a.act != "none":
        expr = f"{FUNCTIONAL[a.act]}({expr})"
    return Emit(inline=expr, slots={"scale": a.scale} if a.scale != 1.0 else {})


def mul(a: Any, ins: list[Shape], out: Shape) -> Emit:
    return Emit(inline=" * ".join(f"{{x{i}}}" for i in range(len(ins))))


def layernorm(a: Any, ins: list[Shape], out: Shape) -> Emit:
    kw = ([f"eps={a.eps!r}"] if a.eps != 1e-5 else []) + ([] if a.affine else ["elementwise_affine=False"])
    if len(ins[0]) == 3:
        return Emit(module=Call("LayerNorm2d", ("{in}", *kw)), slots={"in": ins[0][0]}, helpers=("LayerNorm2d",))
    return Emit(module=Call("nn.LayerNorm", ("{in}", *kw)), slots={"in": ins[0][0]})


def channel_linear(a: Any, ins: list[Shape], out: Shape) -> Emit:
    act = "None" if a.act == "none" else _act(a.act)
    return Emit(module=Call("ChannelLinear", ("{in}", "{out}", repr(a.bias), act)),
                slots={"in": ins[0][0], "out": a.out}, helpers=("ChannelLinear",))


def layer_scale(a: Any, ins: list[Shape], out: Shape) -> Emit:
    return Emit(module=Call("LayerScale", (repr(tuple(ins[0])), repr(a.init))), helpers=("LayerScale",))


def drop_path(a: Any, ins: list[Shape], out: Shape) -> Emit:
    return Emit(module=Call("DropPath", ("{p}",)), slots={"p": a.p}, helpers=("DropPath",))


EMITTERS: dict[str, Emitter] = {
    "conv": conv, "batchnorm": batchnorm, "linear": linear, "act": act, "maxpool": maxpool, "avgpool": avgpool,
    "gap": gap, "adaptive_avgpool": adaptive_avgpool, "lrn": lrn, "dropout": dropout, "flatten": flatten,
    "identity": identity, "concat": concat, "add": add, "residual": residual, "mul": mul, "layernorm": layernorm,
    "layer_scale": layer_scale, "drop_path": drop_path, "channel_linear": channel_linear,
}
