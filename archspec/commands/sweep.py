from __future__ import annotations

import argparse
from pathlib import Path

from archspec.commands import limit_args, limits, spec_args

HELP = "check every combination of a grid statically: params, MACs and activation memory, and the Pareto front"


def configure(p: argparse.ArgumentParser) -> None:
    spec_args(p)
    p.add_argument("--grid", nargs="+", required=True, metavar="KEY=V1,V2",
                   help="one axis per KEY: width, depth, resolution, or any --set path "
                        "(--grid width=0.5,0.75,1 depth=1,1.2 resolution=224,299)")
    p.add_argument("--format", choices=["text", "json", "csv"], default="text")
    p.add_argument("--plot", type=Path, metavar="FILE",
                   help="a params-vs-MACs scatter with the Pareto front; .png, .svg or .pdf, by the suffix")
    p.add_argument("--force", action="store_true", help="replace the --plot FILE if it exists")
    p.add_argument("--save-variant", metavar="NAME",
                   help="write the grid's one combination into SPEC's file as variant NAME (comments kept)")
    limit_args(p)


def run(args: argparse.Namespace) -> int:
    """Every refusal that does not need the sweep's results comes before the sweep."""
    from archspec.errors import fail
    from archspec.fileio import refuse_existing
    from archspec.report.figures import refuse_plot_suffix
    from archspec.report.sweep import combinations, parse_axis, plot, render_sweep, sweep
    from archspec.spec.resolve import locate, split_ref
    from archspec.spec.write_variant import add_variant, variant_text
    from archspec.spec.yamlload import load_text

    axes = [parse_axis(text) for text in args.grid]
    if args.plot:
        refuse_existing(args.plot, args.force, "--plot", "front.svg")
        refuse_plot_suffix(args.plot)
    if args.save_variant:
        n = len(combinations(axes))
        if n != 1:
            raise fail(f"--save-variant needs a grid of one combination; this one has {n}",
                       hint="give each --grid axis one value, e.g. --grid width=0.75 depth=1.2")
        file, variant = split_ref(args.spec)
        if variant:
            raise fail("--save-variant writes a variant of the file itself", hint=f"sweep {file} without #{variant}")
        sets = {key.strip(): load_text(value, f"--set {key.strip()}")
                for key, _, value in (s.partition("=") for s in args.set)}
        sets.update({a.key: a.values[0] for a in axes})
        description = "saved by archspec sweep: " + ", ".join(f"{a.label}={a.values[0]}" for a in axes)
        variant_text(locate(file), args.save_variant, sets, description)
    rows = sweep(args.spec, axes, args.set, limits(args))
    print(render_sweep(rows, args.format))
    if args.plot:
        plot(rows, args.plot, f"{args.spec}: {' × '.join(a.label for a in axes)}")
        print(f"wrote {args.plot}")
    if args.save_variant:
        if rows[0].cost is None:
            raise fail(f"the combination fails its check, so it is not saved: {rows[0].error}",
                       hint="save a combination that passes")
        add_variant(locate(file), args.save_variant, sets, description)
        print(f"added variant {args.save_variant!r} to {locate(file)}")
    return 0
