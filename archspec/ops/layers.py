"""The few torch modules that op builders need beyond `torch.nn`.

Imported only from `Op.build`, so the static stages never import torch.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import nn

from archspec.ops.base import ACTIVATIONS


def activation(name: str, inplace: bool = False) -> nn.Module | None:
    """The activation module, in place when asked and the class can (GELU, Sigmoid, Tanh cannot).

    In place is for a caller whose input tensor nothing else reads (a conv/bn output, a fresh
    sum); it saves an allocation and a pass over memory, as torchvision's and timm's ReLUs do."""
    if name == "none":
        return None
    cls = getattr(nn, ACTIVATIONS[name])
    return cls(inplace=True) if inplace and can_inplace(cls) else cls()


def can_inplace(cls: type) -> bool:
    return "inplace" in inspect.signature(cls).parameters


class ConvUnit(nn.Module):
    """conv → optional BatchNorm2d → optional activation, laid out like torchvision's BasicConv2d."""

    def __init__(self, conv: nn.Conv2d, bn: nn.Module | None, act: nn.Module | None) -> None:
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


class LinearAct(nn.Linear):
    """nn.Linear followed by an activation, keeping nn.Linear's parameter names (`fc1.weight`)."""

    def __init__(self, in_features: int, out_features: int, bias: bool, act: nn.Module) -> None:
        super().__init__(in_features, out_features, bias=bias)
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(super().forward(x))


class Concat(nn.Module):
    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, 1)


class Add(nn.Module):
    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class ScaledResidual(nn.Module):
    """shortcut + scale · body, then the optional activation (Inception-ResNet's scaling)."""

    def __init__(self, scale: float, act: nn.Module | None) -> None:
        super().__init__()
        self.scale = scale
        self.act = act

    def extra_repr(self) -> str:
        return f"scale={self.scale}"

    def forward(self, body: torch.Tensor, shortcut: torch.Tensor) -> torch.Tensor:
        out = body * self.scale + shortcut if self.scale != 1.0 else body + shortcut
        if self.act is not None:
            out = self.act(out)
        return out



class Mul(nn.Module):
    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of a N×C×H×W tensor (torchvision's ConvNeXt LayerNorm2d)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class LayerScale(nn.Module):
    def __init__(self, shape: tuple[int, ...], init: float) -> None:
        super().__init__()
        # named as torchvision's ConvNeXt names its γ, so its weights import by name
        self.layer_scale = nn.Parameter(torch.full((shape[0],) + (1,) * (len(shape) - 1), init))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.layer_scale


class DropPath(nn.Module):
    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def extra_repr(self) -> str:
        return f"p={self.p}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x * mask.div_(keep)


def tf_pads(pads: tuple[tuple[int, int], tuple[int, int]]) -> tuple[int, int, int, int]:
    """((top, bottom), (left, right)) as F.pad's (left, right, top, bottom)."""
    (t, b), (left, right) = pads
    return (left, right, t, b)


class Conv2dSame(nn.Conv2d):
    """nn.Conv2d after TF's asymmetric 'SAME' padding (timm's Conv2dSame, with static pads)."""

    def __init__(self, *args: Any, pads: tuple[tuple[int, int], tuple[int, int]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.pads = tf_pads(pads)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(nn.functional.pad(x, self.pads))


class MaxPool2dSame(nn.MaxPool2d):
    """nn.MaxPool2d after TF's 'SAME' padding with -inf, so a pad never wins the max."""

    def __init__(self, *args: Any, pads: tuple[tuple[int, int], tuple[int, int]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.pads = tf_pads(pads)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(nn.functional.pad(x, self.pads, value=float("-inf")))


class ChannelLinear(nn.Linear):
    """nn.Linear over the channels of N×C×H×W (channels-last inside), then an optional activation."""

    def __init__(self, in_features: int, out_features: int, bias: bool, act: nn.Module | None) -> None:
        super().__init__(in_features, out_features, bias=bias)
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = super().forward(x.permute(0, 2, 3, 1))
        if self.act is not None:
            x = self.act(x)
        return x.permute(0, 3, 1, 2)
