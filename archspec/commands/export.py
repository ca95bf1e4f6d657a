"""`archspec export SPEC --format onnx|exported-program|torchscript|python [-o FILE] ...`"""

from __future__ import annotations

import argparse

from archspec.commands import feature_args, limit_args, limits, spec_args
from archspec.export.lint import FORMATS

HELP = "write the network (eval mode, no aux heads) as ONNX, torch.export, TorchScript or PyTorch source"


def configure(p: argparse.ArgumentParser) -> None:
    spec_args(p)
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument("-o", "--output", metavar="FILE",
                   help="where to write; its suffix must be the format's (.onnx / .pt2 / .torchscript.pt or .pt / .py); "
                        "default NAME[_VARIANT] with that suffix here; `-` (standard output) is refused, "
                        "as an export is verified by reloading the file")
    p.add_argument("--weights", metavar="CHECKPOINT",
                   help="an `archspec train` checkpoint (last.pt / best.pt) or a state_dict file "
                        "(e.g. from `archspec weights import`); default: freshly initialised weights")
    p.add_argument("--batch", type=_batch, default=None, metavar="dynamic|N",
                   help="the batch dimension: dynamic (default) or a fixed size")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists (never done unasked)")
    feature_args(p)
    limit_args(p)


def _batch(text: str) -> int | None:
    if text == "dynamic":
        return None
    if text.isdigit() and int(text) > 0:
        return int(text)
    raise argparse.ArgumentTypeError(f"expected 'dynamic' or a positive integer, got {text!r}")


def run(args: argparse.Namespace) -> int:
    from archspec.export import export

    print(export(args.spec, args.format, args.output, weights=args.weights, batch=args.batch,
                 features=args.features, force=args.force, overrides=args.set, limits=limits(args)))
    return 0
