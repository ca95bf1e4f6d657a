"""One module per CLI subcommand (`COMMANDS` names it): each defines HELP, `configure(parser)` and `run(args)`.

Modules import heavy libraries (torch, graphviz) inside `run`, so building the parser
stays cheap and `archspec check` never imports torch.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from archspec.ir.budget import Limits, fmt_size, parse_size

COMMANDS = {"check": "check", "summary": "summary", "diff": "diff", "sweep": "sweep", "list": "catalog",
            "schema": "schema", "render": "render", "weights": "weights", "train": "train", "eval": "eval",
            "predict": "predict", "serve": "serve", "export": "export", "profile": "profile"}
"""Command name -> its module in this package, in `archspec --help` order: known without importing
the modules, so a run imports only its own command's (`check` need not load `export`'s imports)."""


def spec_args(p: argparse.ArgumentParser, positional: bool = True) -> None:
    if positional:
        p.add_argument("spec", help="spec file or shipped spec name, optionally with #variant or #a+b "
                                    "(inception_v3#paper, specs/inception_v3.yaml#lowres79)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field by path, e.g. --set input=[3,79,79] --set params.classes=10")
    g = p.add_argument_group("scaling", "multiply what the spec declares as `channels` / `repeats` (see `scale:`)")
    for flag, kind, what in (("width", float, "channel multiplier"), ("depth", float, "repeat multiplier"),
                             ("resolution", int, "input height and width")):
        set_flag(g, f"--{flag}", f"scale.{flag}", kind, "X", what)


def set_flag(g: argparse._ActionsContainer, flag: str, path: str, kind: Callable[[str], object] | None,
             metavar: str | None, what: str) -> None:
    """A flag that is `--set PATH=VALUE` (`kind` None: a switch, `--set PATH=true`)."""
    if kind is None:
        g.add_argument(flag, dest="set", action=SetFlag, path=path, nargs=0,
                       help=f"{what}: the same as --set {path}=true")
    else:
        g.add_argument(flag, dest="set", action=SetFlag, path=path, type=kind, metavar=metavar,
                       help=f"{what}: the same as --set {path}={metavar}")


class SetFlag(argparse.Action):
    """`--width 0.5` is `--set scale.width=0.5`, `--lr 0.01` is `--set train.optimizer.lr=0.01`: one path
    for every way of setting a field, applied in command-line order with the `--set`s around it."""

    def __init__(self, option_strings: list[str], dest: str, path: str, **kw: object) -> None:
        super().__init__(option_strings, dest, **kw)  # type: ignore[arg-type]
        self.path = path

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        sets = list(getattr(namespace, "set", None) or [])
        namespace.set = sets + [f"{self.path}={'true' if values == [] else values}"]


def quick_run_args(p: argparse.ArgumentParser) -> None:
    """The recipe fields a short trial changes most, as flags (docs/training.md, "Quick runs")."""
    g = p.add_argument_group("quick runs", "each flag is the --set path it names; later flags and --sets win")
    set_flag(g, "--fast-dev-run", "train.fast_dev_run", None, None,
             "one batch of training and one of validation; no files kept unless --out is given")
    set_flag(g, "--max-steps", "train.max_steps", int, "N", "stop after N optimizer steps")
    set_flag(g, "--limit-batches", "train.limit_batches", _count_or_share, "N|FRACTION",
             "train and validate on N batches (or that share of them) per epoch")
    set_flag(g, "--epochs", "train.epochs", int, "N", "epochs")
    set_flag(g, "--batch-size", "train.batch_size", int, "N", "images per step and process")
    set_flag(g, "--lr", "train.optimizer.lr", float, "LR", "the optimizer's learning rate")


def _count_or_share(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of batches or a share such as 0.1, not {text!r}") from None


def data_args(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--data", metavar="SOURCE", help=what)
    p.add_argument("--data-dir", type=Path, metavar="DIR",
                   help="where downloaded data sets are kept (default: $ARCHSPEC_DATA, else "
                        "~/.cache/archspec/data)")


def feature_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--features", type=_names, default=None, metavar="NAME,...",
                   help="feature taps (node ids): keep only what they need and return {name: tensor}; "
                        "default: the spec's `features:`, else the whole network")


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


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
