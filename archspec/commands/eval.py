from __future__ import annotations

import argparse
import json
from pathlib import Path

from archspec.commands import data_args, limit_args, limits, spec_args

HELP = "evaluate a checkpoint: top-1 / top-5 accuracy and loss on a data source's validation set"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", nargs="?", help="default: the spec the checkpoint embeds; a spec given here must "
                                           "have the checkpoint's architecture (see --weights-only)")
    spec_args(p, positional=False)
    p.add_argument("--checkpoint", type=Path, required=True, metavar="FILE", help="a run's last.pt or best.pt")
    data_args(p, "default: the source the checkpoint was trained on")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--raw-weights", action="store_true",
                   help="evaluate the trained weights, not their running average")
    p.add_argument("--weights-only", action="store_true",
                   help="load the checkpoint's weights into SPEC even if it was trained in another architecture "
                        "(names and shapes must match)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    limit_args(p)


def run(args: argparse.Namespace) -> int:
    from archspec.train.evaluate import EvalOptions, evaluate_checkpoint

    result = evaluate_checkpoint(EvalOptions(args.spec, args.set, args.checkpoint, args.data, args.device,
                                             not args.raw_weights, args.weights_only, limits(args),
                                             args.data_dir))
    if args.format == "json":
        print(json.dumps(result, indent=2))
    else:
        print(f"top-1 {result['top1']:.2%}  top-5 {result['top5']:.2%}  loss {result['loss']:.4f}  "
              f"({result['images']} images, {result['data']}, {result['weights']} weights)")
    return 0
