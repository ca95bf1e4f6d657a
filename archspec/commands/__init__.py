"""One module per CLI subcommand: each defines NAME, HELP, `configure(parser)` and `run(args)`.

Modules import heavy libraries (torch, graphviz) inside `run`, so building the parser
stays cheap and `archspec check` never imports torch.
"""

from __future__ import annotations

import argparse

MODULES = ("check", "summary", "schema", "render", "weights")


def spec_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", help="spec file, optionally with #variant (specs/inception_v3.yaml#paper)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field by path, e.g. --set input=[3,79,79] --set params.classes=10")
