"""The `archspec` command: a thin argparse layer over the library.

argparse (stdlib) keeps `archspec check` fast: no CLI framework import on its path.
Subcommands live in `archspec.commands`, one module each. Every user error ends as one
message on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from archspec.commands import MODULES
from archspec.errors import ArchspecError

EXIT_USER_ERROR = 2


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="archspec", description="A declarative architecture compiler for deep learning.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in MODULES:
        mod = importlib.import_module(f"archspec.commands.{name}")
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.configure(p)
        p.set_defaults(run=mod.run)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except ArchspecError as e:
        print(str(e), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
