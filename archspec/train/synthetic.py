"""The embedded data set: ten procedurally drawn shape and texture classes, no download.

Each image is a shape (disk, square, ring, cross, triangle, diamond) or a texture
(horizontal, vertical or diagonal stripes, checkerboard) in a random colour on a random
background, at a random place, size and rotation, with pixel noise. Colour and position
carry no class information, so a network has to learn shapes — which a small CNN does
in a few epochs. The same seed always draws the same images.
"""

from __future__ import annotations

import math

import torch

from archspec.errors import fail
from archspec.ir.budget import fmt_size
from archspec.train.images import TensorImages

CLASSES = ("disk", "square", "ring", "cross", "triangle", "diamond",
           "h_stripes", "v_stripes", "d_stripes", "checker")
MAX_SIDE = 64
"""Images larger than this are drawn at this size and resized on the device."""
MAX_DRAW_BYTES = 8 * 2**30
"""Memory the drawing of both splits may take; more is refused before anything is allocated."""


def native_size(height: int, width: int) -> tuple[int, int]:
    scale = min(1.0, MAX_SIDE / max(height, width))
    return max(8, round(height * scale)), max(8, round(width * scale))


def _masks(kind: int, u: torch.Tensor, v: torch.Tensor, freq: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
    """Foreground mask of class `kind` in shape-local coordinates u, v (unit radius)."""
    r = torch.sqrt(u * u + v * v)
    name = CLASSES[kind]
    if name == "disk":
        return r < 1.0
    if name == "square":
        return torch.maximum(u.abs(), v.abs()) < 0.8
    if name == "ring":
        return (r > 0.6) & (r < 1.0)
    if name == "cross":
        return ((u.abs() < 0.3) & (v.abs() < 1.0)) | ((v.abs() < 0.3) & (u.abs() < 1.0))
    if name == "triangle":
        return (v < 0.7) & (u.abs() < (v + 0.9) * 0.6)
    if name == "diamond":
        return u.abs() + v.abs() < 1.0
    t = {"h_stripes": v, "v_stripes": u, "d_stripes": (u + v) / math.sqrt(2)}.get(name)
    if t is not None:
        return torch.sin(freq * t + phase) > 0
    return torch.sin(freq * u + phase) * torch.sin(freq * v + phase) > 0


def draw(n: int, channels: int, height: int, width: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` images (uint8, n×C×H×W) with balanced labels in a seeded random order."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % len(CLASSES)
    labels = labels[torch.randperm(n, generator=g)]

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return (lo + (hi - lo) * torch.rand(n, generator=g)).view(n, 1, 1)

    ys = torch.linspace(-1, 1, height).view(1, height, 1)
    xs = torch.linspace(-1, 1, width).view(1, 1, width)
    cx, cy, radius = uniform(-0.3, 0.3), uniform(-0.3, 0.3), uniform(0.35, 0.65)
    angle = uniform(-0.25, 0.25)
    du, dv = (xs - cx) / radius, (ys - cy) / radius
    u = du * torch.cos(angle) + dv * torch.sin(angle)
    v = -du * torch.sin(angle) + dv * torch.cos(angle)
    freq, phase = uniform(2.5, 5.0), uniform(0.0, 2 * math.pi)
    mask = torch.zeros(n, height, width, dtype=torch.bool)
    for k in range(len(CLASSES)):
        idx = (labels == k).nonzero().flatten()
        mask[idx] = _masks(k, u[idx], v[idx], freq[idx], phase[idx])
    background = torch.rand(n, channels, 1, 1, generator=g)
    shift = (0.25 + 0.4 * torch.rand(n, channels, 1, 1, generator=g))
    sign = torch.where(background > 0.5, -1.0, 1.0)
    foreground = background + sign * shift
    image = torch.where(mask.unsqueeze(1), foreground, background)
    image = image + 0.15 * torch.randn(n, channels, height, width, generator=g)
    return (image.clamp(0, 1) * 255).round().to(torch.uint8), labels


def draw_bytes(n: int, channels: int, height: int, width: int) -> int:
    """Peak memory of `draw`: float32 coordinates and masks per pixel (16 bytes) and about three
    float32 image tensors alive at once (12 bytes per value) — measured 51 bytes per pixel at 3 channels."""
    return n * height * width * (16 + 12 * channels)


def synthetic_sets(channels: int, height: int, width: int, n_train: int, n_val: int,
                   seed: int) -> tuple[TensorImages, TensorImages]:
    h, w = native_size(height, width)
    need = draw_bytes(n_train, channels, h, w) + draw_bytes(n_val, channels, h, w)
    if need > MAX_DRAW_BYTES:
        raise fail(f"the synthetic data ({n_train:,} train + {n_val:,} val images of {channels}×{h}×{w}) needs about "
                   f"{fmt_size(need)} of memory to draw, over the limit of {fmt_size(MAX_DRAW_BYTES)}",
                   hint="lower train.data.synthetic.train / .val (a few thousand images train a small network)")
    train = draw(n_train, channels, h, w, seed)
    val = draw(n_val, channels, h, w, seed + 1_000_003)
    return TensorImages(*train), TensorImages(*val)
