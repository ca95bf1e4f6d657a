"""The few torch modules that op builders need beyond `torch.nn`.

Imported only from `Op.build`, so the static stages never import torch.
"""

from __future__ import annotations

import torch
from torch import nn

from archspec.ops.base import ACTIVATIONS


def activation(name: str) -> nn.Module | None:
    return None if name == "none" else getattr(nn, ACTIVATIONS[name])()


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

