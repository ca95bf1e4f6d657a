from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archspec.commands import spec_args

HELP = "draw the architecture with Graphviz: .svg, .png, .pdf, or the DOT source (.gv/.dot)"


def configure(p: argparse.ArgumentParser) -> None:
    spec_args(p)
    p.add_argument("-o", "--output",
                   help="output file; its extension picks the format (default: NAME.svg, or NAME-VARIANT.svg)")
    p.add_argument("--level", choices=["block", "op"], default="block",
                   help="one box per block instance (default), or every op with blocks as clusters")
    p.add_argument("--no-fold", dest="fold", action="store_false",
                   help="draw runs of identical consecutive blocks one by one instead of as one ×N box")
    p.add_argument("--expand", action="append", default=[], metavar="NAME",
                   help="draw this block's ops inside a block-level picture (repeatable; a name or a path)")
    p.add_argument("--rankdir", choices=["TB", "LR"], default="TB", help="top to bottom (default) or left to right")
    p.add_argument("--diff", metavar="A", help="mark what SPEC adds or changes against spec A (a ref, or #variant "
                                               "of SPEC's file), and list what it removes")
    p.add_argument("--force", action="store_true",
                   help="replace the output file if it exists, the default NAME.svg included (never done unasked)")


def default_output(name: str, variant: str | None) -> str:
    """`inception_v3.svg`, or `inception_v3-lowres79.svg` for a variant, so drawing a variant
    never replaces the base diagram. Both names are validated as safe file names."""
    return f"{name}-{variant}.svg" if variant else f"{name}.svg"


def _refuse(path: Path, force: bool, default: Path) -> None:
    """Before any drawing: a folder, or a file the user may have edited or kept (the default
    NAME.svg too), is not replaced unasked."""
    from archspec.errors import fail

    if path.is_dir():
        raise fail(f"{path} is a directory", hint=f"name a file inside it, e.g. -o {path / default}")
    if path.exists() and not force:
        which = "it is the default output name, kept like any other file: " if path == default else ""
        raise fail(f"{path} exists; archspec does not overwrite a file unasked",
                   hint=which + "pass --force to replace it, or -o to write elsewhere")


def run(args: argparse.Namespace) -> int:
    from archspec.api import analyze, load
    from archspec.render import Options, render
    from archspec.render.output import format_of
    from archspec.spec.resolve import split_ref

    rs = load(args.spec, args.set)
    default = Path(default_output(rs.spec.name, rs.variant))
    path = Path(args.output) if args.output else default
    _refuse(path, args.force, default)
    format_of(path)
    ir = analyze(rs)
    opts = Options(args.level, args.fold, tuple(args.expand), args.rankdir)
    overlay = None
    if args.diff:
        from archspec.api import check
        from archspec.ir.compare import diff
        from archspec.render import Overlay

        base = split_ref(args.spec)[0] + args.diff if args.diff.startswith("#") else args.diff
        if ir.error is not None:
            raise ir.error
        overlay = Overlay.of(diff(check(base), ir, "op"))
    print(f"wrote {render(ir, path, opts, overlay)}")
    if ir.error is not None:
        print(f"the shape check failed; the diagram shows the graph up to the failing node, in red:\n{ir.error}",
              file=sys.stderr)
    return 0
