"""`archspec weights import SPEC --from FILE --out FILE`: a reference checkpoint → the spec's state_dict.

The output is the compiled module's own state_dict, so it loads with
`archspec.build(SPEC).load_state_dict(torch.load(FILE, weights_only=True))`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from archspec.commands import spec_args

HELP = "import a reference implementation's weights (torchvision, timm, ...) into a spec's module"


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = sub.add_parser("import", help="map a reference state_dict onto SPEC, verify it, write the result",
                         description="Map a reference state_dict onto the compiled SPEC — by name where names "
                                     "agree, otherwise by structure (order and shape) — verify every tensor, "
                                     "print the mapping and write the spec's state_dict.")
    spec_args(imp)
    imp.add_argument("--from", dest="source", required=True, metavar="FILE",
                     help="the reference checkpoint (read with torch.load(weights_only=True))")
    imp.add_argument("--out", required=True, metavar="FILE", help="where to write the spec's state_dict")
    imp.add_argument("--force", action="store_true", help="replace --out FILE if it exists (never done unasked)")


def run(args: argparse.Namespace) -> int:
    import torch

    from archspec.api import build
    from archspec.fileio import refuse_existing, write_with
    from archspec.torch_backend.weights import load_reference_weights, read_state_dict

    refuse_existing(Path(args.out), args.force, "--out", "weights.pt")  # before the mapping, not after
    model = build(args.spec, args.set)
    mapping = load_reference_weights(model, read_state_dict(args.source))
    print(mapping)
    state = model.state_dict()
    write_with(Path(args.out), lambda f: torch.save(state, f), "the weights")
    print(f"wrote {args.out}")
    return 0
