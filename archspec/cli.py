"""The `archspec` command: a thin argparse layer over the library.

argparse (stdlib) keeps `archspec check` fast: no CLI framework import on its path.
Subcommands live in `archspec.commands`, one module each. Every user error ends as one
message on stderr and exit code 2, never a traceback — output that cannot be written
(a closed pipe, a full disk behind `>`) included.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from archspec import __version__
from archspec.commands import COMMANDS
from archspec.errors import ArchspecError, did_you_mean, fail, os_error

EXIT_USER_ERROR = 2


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The CLI's parser; with `command` (a name in COMMANDS), only that subcommand's, which parses
    its arguments and words its help and errors the same, without importing the other commands."""
    ap = argparse.ArgumentParser(prog="archspec", description="A declarative architecture compiler for deep learning.")
    ap.add_argument("--version", action="version", version=f"archspec {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        if command not in (None, name):
            continue
        mod = importlib.import_module(f"archspec.commands.{module}")
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.configure(p)
        _state_defaults(p)
        p.set_defaults(run=mod.run)
    return ap


def _state_defaults(p: argparse.ArgumentParser) -> None:
    """A choice flag's help says which choice it takes when not given (`--level` ... (default op)), unless
    its own words already do: every command the same way, without each writing it."""
    for action in p._actions:
        if action.choices is None or action.required or action.default in (None, argparse.SUPPRESS):
            continue
        if "default" not in (action.help or ""):
            action.help = f"{action.help} (default {action.default})" if action.help else f"default {action.default}"


def _check_command(ap: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """argparse's "invalid choice" would be a usage dump; archspec errors suggest the closest command."""
    names = [n for a in ap._subparsers._group_actions for n in a.choices] if ap._subparsers else []  # type: ignore[union-attr]
    if argv and not argv[0].startswith("-") and argv[0] not in names:
        raise fail(f"unknown command {argv[0]!r}", hint=did_you_mean(argv[0], names) or f"commands: {', '.join(names)}")


def _refuse_extra(ap: argparse.ArgumentParser, argv: Sequence[str], extra: list[str]) -> None:
    """Arguments no parser took: refused by the subcommand's parser, so its usage shows (not the top
    level's), with the option the first unknown flag is closest to."""
    subs = ap._subparsers._group_actions if ap._subparsers else []
    owner = next((a.choices[argv[0]] for a in subs if isinstance(a.choices, dict) and argv and argv[0] in a.choices), ap)
    flags = [f.split("=", 1)[0] for f in extra if f.startswith("--")]
    close = did_you_mean(flags[0], [o for o in owner._option_string_actions if o.startswith("--")]) if flags else None
    owner.error(f"unrecognized arguments: {' '.join(extra)}" + (f" ({close})" if close else ""))


def _discard_stdout() -> None:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file descriptor (captured): nothing will flush it
        pass


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        ap = parser(argv[0] if argv and argv[0] in COMMANDS else None)
        _check_command(ap, argv)
        args, extra = ap.parse_known_args(argv)
        if extra:
            _refuse_extra(ap, argv, extra)
        rc = args.run(args)
        sys.stdout.flush()  # a full disk behind `>` shows here, while it can still be reported
        return rc
    except ArchspecError as e:
        print(str(e), file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # the reader (`| head`) has gone: point stdout at nothing so the exit's flush cannot fail again
        _discard_stdout()
        print(fail("the output was closed before archspec finished writing it (broken pipe)",
                   hint="expected after `| head`; redirect to a file (`> FILE`) for the whole output"), file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as e:
        what = "the output" if e.filename is None else None
        print(os_error(e, what, "write" if what else "read or write"), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
