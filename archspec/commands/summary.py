from __future__ import annotations

import argparse

from archspec.commands import feature_args, limit_args, limits, spec_args

HELP = "per-node table of output shapes, parameters and MACs"


def configure(p: argparse.ArgumentParser) -> None:
    spec_args(p)
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    p.add_argument("--level", choices=["block", "op"], default="op",
                   help="one row per op, or one per top-level block")
    feature_args(p)
    limit_args(p)


def run(args: argparse.Namespace) -> int:
    from archspec.api import check, load
    from archspec.ir.features import tap
    from archspec.report.summary import render_summary

    rs = load(args.spec, args.set)
    ir = check(rs, limits=limits(args))  # the spec's own `features:` are checked here, at their lines
    names = args.features if args.features is not None else rs.spec.features
    print(render_summary(tap(ir, list(names)) if names is not None else ir, args.format, args.level))
    return 0
