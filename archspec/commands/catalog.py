from __future__ import annotations

import argparse

HELP = "list the shipped specs and their variants with input, parameters and MACs (computed statically)"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text")


def run(args: argparse.Namespace) -> int:
    from archspec.report.catalog import catalog, render_catalog

    print(render_catalog(catalog(), args.format))
    return 0
