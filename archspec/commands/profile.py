"""`archspec profile SPEC [--device cpu|cuda] [--batch N] [--train] [--format ...] [--plot FILE]`"""

from __future__ import annotations

import argparse
from pathlib import Path

from archspec.commands import limit_args, limits, spec_args

HELP = "measured time and memory per top-level block, next to its static MACs and params"


def configure(p: argparse.ArgumentParser) -> None:
    spec_args(p)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--batch", type=_positive, default=8, metavar="N", help="images per step (default 8)")
    p.add_argument("--train", action="store_true",
                   help="training mode, forward and backward (default: eval forward, no gradients)")
    p.add_argument("--runs", type=_positive, default=3, metavar="N",
                   help="measured steps after one warm-up; each block's median is shown (default 3)")
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    p.add_argument("--plot", metavar="FILE",
                   help="also write a bar chart of the time per block; FILE's suffix picks the format: "
                        ".svg, .png or .pdf")
    p.add_argument("--force", action="store_true", help="replace the --plot FILE if it exists")
    limit_args(p)


def _positive(text: str) -> int:
    if text.isdigit() and int(text) > 0:
        return int(text)
    raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")


def run(args: argparse.Namespace) -> int:
    from archspec.api import build, check
    from archspec.fileio import refuse_existing
    from archspec.report.figures import refuse_plot_suffix, save_figure
    from archspec.report.profile import render_profile
    from archspec.torch_backend.profile import profile_model
    from archspec.train.device import resolve_device

    device = resolve_device(args.device)
    plot = Path(args.plot) if args.plot else None
    if plot is not None:
        refuse_existing(plot, args.force, "--plot", "profile.svg")  # before the measurement, not after
        refuse_plot_suffix(plot)
    ir = check(args.spec, args.set, limits(args))
    model = build(ir, limits=limits(args))
    prof = profile_model(model, ir, args.batch, device, args.train, runs=args.runs)
    print(render_profile(prof, args.format))
    if plot is not None:
        from archspec.report.profile_plot import plot_profile  # matplotlib: only when plotting

        save_figure(plot_profile(prof), plot)
    return 0
