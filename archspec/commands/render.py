from __future__ import annotations

import argparse
import sys

from archspec.commands import spec_args

NAME = "render"
HELP = "draw the architecture with Graphviz: .svg, .png, .pdf, or the DOT source (.gv/.dot)"


def configure(p: argparse.ArgumentParser) -> None:
    spec_args(p)
    p.add_argument("-o", "--output", help="output file; its extension picks the format (default: NAME.svg)")
    p.add_argument("--level", choices=["block", "op"], default="block",
                   help="one box per block instance (default), or every op with blocks as clusters")
    p.add_argument("--no-fold", dest="fold", action="store_false",
                   help="draw runs of identical consecutive blocks one by one instead of as one ×N box")
    p.add_argument("--expand", action="append", default=[], metavar="NAME",
                   help="draw this block's ops inside a block-level picture (repeatable; a name or a path)")
    p.add_argument("--rankdir", choices=["TB", "LR"], default="TB", help="top to bottom (default) or left to right")


def run(args: argparse.Namespace) -> int:
    from archspec.api import analyze
    from archspec.render import Options, render

    ir = analyze(args.spec, args.set)
    opts = Options(args.level, args.fold, tuple(args.expand), args.rankdir)
    path = render(ir, args.output or f"{ir.name}.svg", opts)
    print(f"wrote {path}")
    if ir.error is not None:
        print(f"the shape check failed; the diagram shows the graph up to the failing node, in red:\n{ir.error}",
              file=sys.stderr)
    return 0
