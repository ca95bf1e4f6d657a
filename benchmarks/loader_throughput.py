"""Is the input pipeline fast enough? Images/s of the loader alone vs the model's training images/s.

For each spec the loader (the DataLoader over the default synthetic data plus the batch
transform: random crop, flip, resize and normalise of uint8 batches on the training device)
and the model's training step (forward, backward, optimizer, on already prepared batches)
are timed in alternating rounds (A/B, so machine noise hits both), and the medians are
printed with their ratio. A ratio above 1 means the loader outruns the model: it never starves it.

    python benchmarks/loader_throughput.py [--rounds 3] [--steps 4] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archspec.api import check  # noqa: E402
from archspec.torch_backend.build import build_module  # noqa: E402
from archspec.train.augment import BatchTransform  # noqa: E402
from archspec.train.distributed import World  # noqa: E402
from archspec.train.loader import train_loader, worker_count  # noqa: E402
from archspec.train.loss import SpecLoss, head_weights  # noqa: E402
from archspec.train.optim import build_optimizer  # noqa: E402
from archspec.train.resolve import resolve_run  # noqa: E402
from archspec.train.sources import open_source  # noqa: E402

SPECS = (("cifar10_cnn", [], 32), ("inception_v3#lowres79", ["params.classes=10"], 8))


def measure(ref: str, sets: list[str], batch: int, rounds: int, steps: int, device: torch.device) -> tuple[float, float]:
    run = resolve_run(ref, sets + [f"train.batch_size={batch}"])
    ir = check(run.resolved)
    splits = open_source("synthetic", run.recipe.data, ir.input_shape, int(ir[ir.output].shape[0]))
    world = World()
    loader, _ = train_loader(splits.train, batch, 0, world, worker_count(splits.train, "auto", world), False)
    transform = BatchTransform(ir.input_shape[1:], splits.mean, splits.std, True, False, device)
    model = build_module(ir).to(device).train()
    optimizer = build_optimizer(run.recipe.optimizer, model.parameters())
    loss_fn = SpecLoss(0.0, head_weights(run.recipe.loss, model.head_names, model.head_weights, None))
    gen = torch.Generator().manual_seed(0)
    images, labels = next(iter(loader))
    x, y = transform.train(images.to(device), gen), labels.to(device)

    def load() -> float:
        start, seen = time.perf_counter(), 0
        for i, (im, _) in enumerate(loader):
            if i == steps:
                break
            transform.train(im.to(device), gen)
            seen += len(im)
        if device.type == "cuda":
            torch.cuda.synchronize()
        return seen / (time.perf_counter() - start)

    def train() -> float:
        start = time.perf_counter()
        for _ in range(steps):
            loss, _ = loss_fn(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        return steps * batch / (time.perf_counter() - start)

    train()  # warm-up: first-step allocations
    loads, trains = [], []
    for _ in range(rounds):
        loads.append(load())
        trains.append(train())
    return statistics.median(loads), statistics.median(trains)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=4, help="batches per round")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    device = torch.device(args.device)
    print(f"{'spec':<24} {'batch':>5} {'loader img/s':>13} {'training img/s':>15} {'ratio':>7}")
    for ref, sets, batch in SPECS:
        loader, model = measure(ref, sets, batch, args.rounds, args.steps, device)
        print(f"{ref:<24} {batch:>5} {loader:>13,.0f} {model:>15,.1f} {loader / model:>6.0f}x")


if __name__ == "__main__":
    main()
