from __future__ import annotations

import argparse

from archspec.commands import limit_args, limits, spec_args

HELP = "what B changes against A: nodes added, removed and changed, and each block's (or op's) shape, params and MACs"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", metavar="A", help="spec ref, e.g. inception_v3 or specs/inception_v3.yaml")
    p.add_argument("b", metavar="B", help="spec ref, or #variant (a variant of A's file), e.g. '#lowres79+five_17x17'")
    spec_args(p, positional=False)  # --set and the scaling flags apply to B
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    p.add_argument("--level", choices=["block", "op"], default="block",
                   help="compare and cost top-level blocks (default) or every op")
    limit_args(p)


def run(args: argparse.Namespace) -> int:
    from archspec.api import check
    from archspec.ir.compare import diff
    from archspec.report.diff import render_diff
    from archspec.spec.resolve import split_ref

    b = split_ref(args.a)[0] + args.b if args.b.startswith("#") else args.b
    print(render_diff(diff(check(args.a, limits=limits(args)), check(b, args.set, limits(args)), args.level),
                      args.format))
    return 0
