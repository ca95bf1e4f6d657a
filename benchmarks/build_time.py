"""Spec → ready module, against the reference libraries' constructors, and on the meta device.

Three things are timed per spec, interleaved (A/B/C, order rotating each run): `archspec.build`
from the spec's name (read, resolve, check, lower, build, weight init), the reference
constructor as users call it (torchvision with its default init, `timm.create_model`), and
`archspec.build(..., device="meta")` (no storage, no init). Medians and min–max are printed,
with the ratio archspec/reference per run.

    V=$(bash scripts/refenv.sh); PYTHONPATH=. $V/bin/python benchmarks/build_time.py [--runs 5] [--specs ...]
Without the reference environment, `--no-reference` times the archspec builds alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import archspec  # noqa: E402


def _tv(name: str, **kw: Any) -> Callable[[], Any]:
    def make() -> Any:
        import torchvision.models as tv

        return getattr(tv, name)(weights=None, **kw)
    return make


def _timm(name: str) -> Callable[[], Any]:
    def make() -> Any:
        import timm

        return timm.create_model(name, pretrained=False)
    return make


REFERENCES: dict[str, Callable[[], Any]] = {
    "googlenet#torchvision": _tv("googlenet", aux_logits=True, init_weights=True),
    "inception_v3": _tv("inception_v3", aux_logits=True, init_weights=True),
    "inception_v4": _timm("inception_v4"),
    "inception_resnet_v2": _timm("inception_resnet_v2"),
}


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def spread(xs: list[float]) -> str:
    return f"{statistics.median(xs) * 1e3:8.1f} ms [{min(xs) * 1e3:.1f}–{max(xs) * 1e3:.1f}]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--specs", default=",".join(REFERENCES))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-reference", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, runs {args.runs}, medians [min–max]")
    for spec in args.specs.split(","):
        fns: dict[str, Callable[[], Any]] = {"archspec": lambda: archspec.build(spec),
                                             "meta": lambda: archspec.build(spec, device="meta")}
        if not args.no_reference:
            fns["reference"] = REFERENCES[spec]
        for fn in fns.values():  # warm imports and caches
            fn()
        times: dict[str, list[float]] = {k: [] for k in fns}
        keys = list(fns)
        for i in range(args.runs):
            for k in keys[i % len(keys):] + keys[: i % len(keys)]:
                times[k].append(timed(fns[k]))
        line = f"{spec:24} archspec {spread(times['archspec'])}  meta {spread(times['meta'])}"
        if "reference" in times:
            ratios = [a / b for a, b in zip(times["archspec"], times["reference"])]
            line += (f"  reference {spread(times['reference'])}  archspec/reference median "
                     f"{statistics.median(ratios):.2f} [{min(ratios):.2f}–{max(ratios):.2f}]")
        print(line, flush=True)


if __name__ == "__main__":
    main()
