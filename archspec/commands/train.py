from __future__ import annotations

import argparse
from pathlib import Path

from archspec.commands import data_args, limit_args, limits, quick_run_args, spec_args

HELP = "train a spec with its recipe; writes checkpoints, metrics.csv, curves.png, TensorBoard logs"


def configure(p: argparse.ArgumentParser) -> None:
    spec_args(p)
    data_args(p, "synthetic (the embedded default), cifar10, cifar100 (downloaded once into --data-dir), "
                 "cifar10:PATH, cifar100:PATH or imagefolder:PATH")
    p.add_argument("--out", type=Path, metavar="RUN_DIR", help="run directory (default: runs/NAME-TIMESTAMP)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--resume", type=Path, metavar="RUN_DIR", help="continue the run in RUN_DIR from its last.pt")
    p.add_argument("--init-from", type=Path, metavar="CKPT",
                   help="start a new run from a checkpoint's trained weights, or a state_dict that `archspec "
                        "weights import` wrote (any spec whose weight names and shapes match); optimizer, "
                        "schedule and epochs start afresh")
    quick_run_args(p)
    limit_args(p)
    p.epilog = "distributed: torchrun --nproc_per_node N -m archspec train SPEC ..."


def run(args: argparse.Namespace) -> int:
    from archspec.train.run import TrainOptions, train

    train(TrainOptions(args.spec, args.set, args.data, args.out, args.device, args.resume, args.init_from,
                       limits(args), args.data_dir))
    return 0
