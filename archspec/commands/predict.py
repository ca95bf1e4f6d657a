from __future__ import annotations

import argparse
import json
from pathlib import Path

from archspec.commands import limit_args, limits

HELP = "the top classes of image files, from a checkpoint alone (its spec, preprocessing and class names)"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of classes, 1 or more, not {text!r}")
    return value


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE", help="image files (PNG, JPEG, ...)")
    p.add_argument("--checkpoint", type=Path, required=True, metavar="FILE", help="a run's last.pt or best.pt")
    p.add_argument("--topk", type=_positive, default=5, metavar="K", help="classes shown per image (default 5)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--raw-weights", action="store_true",
                   help="use the trained weights, not their running average")
    p.add_argument("--format", choices=["text", "json"], default="text")
    limit_args(p)


def run(args: argparse.Namespace) -> int:
    from archspec.train.predict import PredictOptions, predict

    results = predict(PredictOptions(args.checkpoint, args.images, args.topk, args.device, not args.raw_weights,
                                     limits(args)))
    if args.format == "json":
        print(json.dumps(results, indent=2))
        return 0
    for r in results:
        print(r["image"])
        for rank, t in enumerate(r["top"], 1):
            print(f"  {rank}. {t['class']:<20} {t['probability']:7.2%}")
    return 0
