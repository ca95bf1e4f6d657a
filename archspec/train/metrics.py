"""Loss and top-1 / top-5 accuracy, summed on the device and read once per epoch.

Reading a tensor on CUDA waits for the GPU, so the sums stay tensors until the epoch ends
(or the progress display asks); under DDP they are summed across ranks in one all-reduce.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from archspec.train.distributed import World, sum_all


@dataclass(frozen=True)
class Stats:
    loss: float
    top1: float
    top5: float
    images: int


class Meter:
    def __init__(self, device: torch.device, classes: int) -> None:
        self.k = min(5, classes)
        self.sums = torch.zeros(3, dtype=torch.float64, device=device)
        self.n = 0

    def add(self, loss: torch.Tensor, logits: torch.Tensor, target: torch.Tensor) -> None:
        """`loss` is the batch mean."""
        hits = logits.topk(self.k, dim=1).indices == target.unsqueeze(1)
        n = target.numel()
        self.sums += torch.stack([loss.double() * n, hits[:, 0].sum().double(), hits.any(dim=1).sum().double()])
        self.n += n

    def running(self) -> tuple[float, float]:
        """(mean loss, top-1) so far on this rank, for the progress display."""
        loss, top1, _ = self.sums.tolist()
        return (loss / self.n, top1 / self.n) if self.n else (float("nan"), float("nan"))

    def result(self, world: World) -> Stats:
        counts = torch.cat([self.sums, torch.tensor([float(self.n)], dtype=torch.float64, device=self.sums.device)])
        loss, top1, top5, n = sum_all(counts, world).tolist()
        if not n:
            return Stats(float("nan"), float("nan"), float("nan"), 0)
        return Stats(loss / n, top1 / n, top5 / n, int(n))
