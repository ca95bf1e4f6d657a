"""Trainer throughput vs a minimal hand-written training loop, same compiled model and data.

Both train the same spec with the same optimizer and batch size on the same in-memory
synthetic images, without augmentation, so the difference is exactly what `archspec train`
adds per step: the DataLoader and DistributedSampler, batch preparation, the finite-loss
check, metrics, the lr schedule and the progress display. Validation and checkpoints are
outside both timings. Epochs of the two alternate, so both see the same machine load, and
the median epoch of each is compared. Target: overhead at most 5%.

    python benchmarks/train_overhead.py [--spec specs/cifar10_cnn.yaml] [--epochs 5] [--images 2048]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from archspec.torch_backend.build import build_module
from archspec.train.distributed import World
from archspec.train.images import TensorImages
from archspec.train.optim import build_optimizer
from archspec.train.progress import Progress
from archspec.train.run import Session, TrainOptions
from archspec.train.sources import SYNTHETIC_MEAN, SYNTHETIC_STD


def hand_written_epoch(model: nn.Module, opt: torch.optim.Optimizer, data: TensorImages, batch: int,
                       gen: torch.Generator) -> float:
    """The loop one would write by hand; returns images per second."""
    model.train()
    start = time.perf_counter()
    order = torch.randperm(len(data), generator=gen)
    n = len(data) // batch * batch
    for i in range(0, n, batch):
        idx = order[i:i + batch]
        x = (data.images[idx].float() / 255 - SYNTHETIC_MEAN) / SYNTHETIC_STD
        loss = F.cross_entropy(model(x), data.labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return n / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec", default="specs/cifar10_cnn.yaml")
    ap.add_argument("--epochs", type=int, default=5, help="timed epochs of each (after one warm-up epoch each)")
    ap.add_argument("--images", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    sets = ["train.data.augment=false", f"train.data.synthetic.train={args.images}", "train.data.synthetic.val=32",
            f"train.epochs={args.epochs + 1}"]
    with tempfile.TemporaryDirectory() as tmp:
        session = Session(TrainOptions(args.spec, sets, out=Path(tmp) / "run", device="cpu"), World(),
                          torch.device("cpu"))
        trainer, recipe = session.trainer, session.recipe
        data = trainer.p.train.dataset
        assert isinstance(data, TensorImages)
        torch.manual_seed(recipe.seed)
        model = build_module(session.ir)
        opt = build_optimizer(recipe.optimizer, model.parameters())
        gen = torch.Generator().manual_seed(0)
        progress = Progress(True, recipe.log_every, stream=io.StringIO())
        steps = trainer.steps_per_epoch
        ours, theirs = [], []
        for epoch in range(1, args.epochs + 2):
            start = time.perf_counter()
            trainer.train_epoch(epoch, args.epochs + 1, progress)
            trainer_ips = steps * recipe.batch_size / (time.perf_counter() - start)
            hand_ips = hand_written_epoch(model, opt, data, recipe.batch_size, gen)
            if epoch > 1:
                ours.append(trainer_ips)
                theirs.append(hand_ips)
            print(f"epoch {epoch}{' (warm-up)' if epoch == 1 else ''}: trainer {trainer_ips:7.1f} img/s   "
                  f"hand-written {hand_ips:7.1f} img/s")
    trainer_med, hand_med = statistics.median(ours), statistics.median(theirs)
    ratio = hand_med / trainer_med
    print(f"{session.ir.name}, batch {recipe.batch_size}, {steps} steps/epoch, {args.threads} threads")
    print(f"median: trainer {trainer_med:.1f} img/s, hand-written {hand_med:.1f} img/s")
    print(f"ratio hand-written / trainer = {ratio:.3f}  (trainer overhead {100 * (ratio - 1):+.1f}%, target <= +5%)")


if __name__ == "__main__":
    main()
