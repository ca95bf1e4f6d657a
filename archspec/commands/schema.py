from __future__ import annotations

import argparse
import json

NAME = "schema"
HELP = "print the JSON Schema of the spec language (for the YAML language server)"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", help="write to this file instead of stdout")


def run(args: argparse.Namespace) -> int:
    from archspec.spec.schema import json_schema

    text = json.dumps(json_schema(), indent=2)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0
