"""Regenerate docs/cli.md: every `archspec` subcommand's --help, from the parser itself.

tests/test_docs.py fails when docs/cli.md is stale, so a new flag cannot go undocumented.

    python scripts/cli_reference.py           # rewrite docs/cli.md
    python scripts/cli_reference.py --check   # exit 1 if it is stale
"""

from __future__ import annotations

import os
import sys

from docgen import ROOT, Generated

WIDTH = "100"  # argparse wraps help to the terminal; a fixed width makes the text the same everywhere


def render() -> str:
    from archspec.cli import parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        ap = parser()
        sub = next(a for a in ap._subparsers._group_actions)  # type: ignore[union-attr]
        parts = ["# The `archspec` command", "",
                 "Generated from the parser by `python scripts/cli_reference.py`; a test fails when it is stale.",
                 "Every command ends a user error with one message (`file:line:col: error: ...` and a hint) and",
                 "exit code 2. A spec is a path or a shipped spec's name, with `#variant` or `#a+b`.", "",
                 "```text", ap.format_help().rstrip(), "```"]
        for name, p in sub.choices.items():
            parts += ["", f"## archspec {name}", "", "```text", p.format_help().rstrip(), "```"]
            for action in p._subparsers._group_actions if p._subparsers else []:  # `weights import`
                for inner, q in action.choices.items():
                    parts += ["", f"### archspec {name} {inner}", "", "```text", q.format_help().rstrip(), "```"]
        return "\n".join(parts) + "\n"
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


GENERATED = Generated(ROOT / "docs" / "cli.md", render)

if __name__ == "__main__":
    sys.exit(GENERATED.main(__doc__))
