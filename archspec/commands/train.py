from __future__ import annotations

import argparse
from pathlib import Path

from archspec.commands import limit_args, limits, spec_args

NAME = "train"
HELP = "train a spec with its recipe; writes checkpoints, metrics.csv, curves.png, TensorBoard logs"


def configure(p: argparse.ArgumentParser) -> None:
    spec_args(p)
    p.add_argument("--data", metavar="SOURCE",
                   help="synthetic (the embedded default), cifar10:PATH or imagefolder:PATH")
    p.add_argument("--out", type=Path, metavar="RUN_DIR", help="run directory (default: runs/NAME-TIMESTAMP)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--resume", type=Path, metavar="RUN_DIR", help="continue the run in RUN_DIR from its last.pt")
    limit_args(p)
    p.epilog = "distributed: torchrun --nproc_per_node N -m archspec train SPEC ..."


def run(args: argparse.Namespace) -> int:
    from archspec.train.run import TrainOptions, train

    train(TrainOptions(args.spec, args.set, args.data, args.out, args.device, args.resume, limits(args)))
    return 0
