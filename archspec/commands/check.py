from __future__ import annotations

import argparse

from archspec.commands import spec_args

NAME = "check"
HELP = "validate a spec and check every shape; print a one-line verdict"
configure = spec_args


def run(args: argparse.Namespace) -> int:
    from archspec.api import check
    from archspec.report.summary import verdict

    print(verdict(check(args.spec, args.set)))
    return 0
