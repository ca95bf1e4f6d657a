"""Batch preparation on the device: crop, flip, resize, normalise, memory format.

Working on whole uint8 batches after the transfer keeps loading cheap (a 32×32 CIFAR image
travels as 3 KB even when the network wants 299×299) and puts the resize where the compute
is. Random choices come from a generator the caller seeds per epoch, so a resumed run
draws exactly what an uninterrupted one would.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


class BatchTransform:
    def __init__(self, size: tuple[int, ...], mean: tuple[float, ...], std: tuple[float, ...],
                 augment: bool, channels_last: bool, device: torch.device) -> None:
        self.size = size
        self.augment = augment
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.scale = (1.0 / (255.0 * torch.tensor(std, device=device))).view(1, -1, 1, 1)
        self.shift = (torch.tensor(mean, device=device) / torch.tensor(std, device=device)).view(1, -1, 1, 1)

    def train(self, images: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """Random crop (padding 1/8 of the side, zero fill) and horizontal flip, then `eval`."""
        if self.augment:
            images = self._crop_flip(images, gen)
        return self.eval(images)

    def eval(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float()
        if tuple(x.shape[-2:]) != self.size:
            x = F.interpolate(x, size=self.size, mode="bilinear", align_corners=False,
                              antialias=x.shape[-1] > self.size[1])
        x = x * self.scale - self.shift
        return x.contiguous(memory_format=self.memory_format)

    @staticmethod
    def _crop_flip(images: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        n, _, h, w = images.shape
        ph, pw = max(1, h // 8), max(1, w // 8)
        dy = torch.randint(0, 2 * ph + 1, (n,), generator=gen).to(images.device)
        dx = torch.randint(0, 2 * pw + 1, (n,), generator=gen).to(images.device)
        flip = (torch.rand(n, generator=gen) < 0.5).to(images.device)
        padded = F.pad(images, (pw, pw, ph, ph))
        rows = (dy.view(n, 1) + torch.arange(h, device=images.device)).view(n, 1, h, 1)
        cols = torch.arange(w, device=images.device).view(1, w)
        cols = torch.where(flip.view(n, 1), w - 1 - cols, cols) + dx.view(n, 1)
        batch = torch.arange(n, device=images.device).view(n, 1, 1, 1)
        chan = torch.arange(images.shape[1], device=images.device).view(1, -1, 1, 1)
        return padded[batch, chan, rows, cols.view(n, 1, 1, w)]
