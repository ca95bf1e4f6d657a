from __future__ import annotations

import argparse

from archspec.commands import limit_args, limits, spec_args

NAME = "summary"
HELP = "per-node table of output shapes, parameters and MACs"


def configure(p: argparse.ArgumentParser) -> None:
    spec_args(p)
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    p.add_argument("--depth", choices=["block", "op"], default="op",
                   help="one row per op, or one per top-level block")
    limit_args(p)


def run(args: argparse.Namespace) -> int:
    from archspec.api import check
    from archspec.report.summary import render_summary

    print(render_summary(check(args.spec, args.set, limits(args)), args.format, args.depth))
    return 0
