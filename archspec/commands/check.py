from __future__ import annotations

import argparse

from archspec.commands import limit_args, limits, spec_args

HELP = "validate a spec and check every shape and its memory; print a one-line verdict"


def configure(p: argparse.ArgumentParser) -> None:
    spec_args(p)
    limit_args(p)


def run(args: argparse.Namespace) -> int:
    from archspec.api import check
    from archspec.report.summary import verdict

    print(verdict(check(args.spec, args.set, limits(args))))
    return 0
