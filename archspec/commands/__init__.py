"""One module per CLI subcommand: each defines NAME, HELP, `configure(parser)` and `run(args)`.

Modules import heavy libraries (torch, graphviz) inside `run`, so building the parser
stays cheap and `archspec check` never imports torch.
"""

from __future__ import annotations

import argparse

from archspec.ir.budget import Limits, fmt_size, parse_size

MODULES = ("check", "summary", "schema", "render", "weights", "train", "eval")


def spec_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", help="spec file, optionally with #variant (specs/inception_v3.yaml#paper)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field by path, e.g. --set input=[3,79,79] --set params.classes=10")


def limit_args(p: argparse.ArgumentParser) -> None:
    """The memory limits of the static check, for commands that check (and may build) a spec."""
    g = p.add_argument_group("memory limits", "a spec needing more is refused before anything is allocated")
    g.add_argument("--max-param-bytes", type=_size, default=Limits.max_param_bytes, metavar="SIZE",
                   help=f"weights (parameters and buffers, fp32); default {fmt_size(Limits.max_param_bytes)}")
    g.add_argument("--max-activation-bytes", type=_size, default=Limits.max_activation_bytes, metavar="SIZE",
                   help="all op outputs at batch 1 (fp32); default "
                        f"{fmt_size(Limits.max_activation_bytes)}. SIZE: 8GiB, 500MB, bytes")


def limits(args: argparse.Namespace) -> Limits:
    return Limits(args.max_param_bytes, args.max_activation_bytes)


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
