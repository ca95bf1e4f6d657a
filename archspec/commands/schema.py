from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = "print the JSON Schema of the spec language (for the YAML language server)"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", help="write to this file instead of stdout")


def run(args: argparse.Namespace) -> int:
    from archspec.fileio import write_text
    from archspec.spec.schema import json_schema

    text = json.dumps(json_schema(), indent=2)
    if args.output:
        write_text(Path(args.output), text + "\n", "the schema")
    else:
        print(text)
    return 0
