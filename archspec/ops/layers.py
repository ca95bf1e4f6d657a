"""The few torch modules that op builders need beyond `torch.nn`.

Imported only from `Op.build`, so the static stages never import torch. The classes an op's
`emit` names are copied verbatim into exported Python files (`archspec/export/helpers.py`),
so they use only `torch`, `nn` and `F`, and are laid out as `ruff format` leaves them.
"""

from __future__ import annotations

import inspect
import torch
import torch.nn.functional as F
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


class ConvNormAct(nn.Module):
    """conv -> optional BatchNorm2d -> optional activation (torchvision's BasicConv2d layout)."""

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


class LinearAct(nn.Linear):
    """nn.Linear followed by an activation, keeping nn.Linear's parameter names."""

    def __init__(
        self, in_features: int, out_features: int, bias: bool, act: nn.Module
    ) -> None:
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
    """LayerNorm over the channels of a N x C x H x W tensor (ConvNeXt's LayerNorm2d)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class LayerScale(nn.Module):
    """A learnable per-channel scale, named as torchvision's ConvNeXt names its gamma."""

    def __init__(self, shape: tuple[int, ...], init: float) -> None:
        super().__init__()
        self.layer_scale = nn.Parameter(
            torch.full((shape[0],) + (1,) * (len(shape) - 1), init)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.layer_scale


class DropPath(nn.Module):
    """Stochastic depth: drops a whole sample's branch in training."""

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


class Conv2dSame(nn.Conv2d):
    """nn.Conv2d after TensorFlow's asymmetric 'SAME' padding (timm's Conv2dSame), with the
    pads fixed for one input size, in F.pad's order (left, right, top, bottom)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        *,
        pads: tuple[int, int, int, int],
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, 0, dilation, groups, bias
        )
        self.pads = pads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.pads))


class MaxPool2dSame(nn.MaxPool2d):
    """nn.MaxPool2d after TensorFlow's 'SAME' padding with -inf, so a pad never wins the max
    (left, right, top, bottom)."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        ceil_mode: bool = False,
        *,
        pads: tuple[int, int, int, int],
    ) -> None:
        super().__init__(kernel_size, stride, ceil_mode=ceil_mode)
        self.pads = pads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.pads, value=float("-inf")))


class ChannelLinear(nn.Linear):
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
