"""Speed-up of `archspec.optimize_for_inference` (BatchNorm folded, channels_last) on the CPU.

The built model in eval mode and its optimized copy are timed A/B alternating on the same input;
the per-run ratio plain/optimized is the speed-up (median [min–max]). The max abs output
difference is printed too (folding changes rounding only).

    python benchmarks/optimize_inference.py [--specs inception_v3,googlenet#torchvision] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import archspec  # noqa: E402


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--specs", default="googlenet#torchvision,inception_v3")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-channels-last", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, batch {args.batch}, threads {torch.get_num_threads()}, runs {args.runs}; "
          "speed-up = plain / optimized per run, median [min–max]")
    for spec in args.specs.split(","):
        ir = archspec.check(spec)
        model = archspec.build(ir).eval()
        fast = archspec.optimize_for_inference(model, channels_last=not args.no_channels_last)
        x = torch.randn(args.batch, *ir.input_shape)
        with torch.inference_mode():
            diff = (model(x) - fast(x)).abs().max().item()
            plain, opt = [], []
            for i in range(args.runs):
                pair = [(plain, model), (opt, fast)]
                for out, m in pair if i % 2 == 0 else pair[::-1]:
                    out.append(timed(lambda: m(x)))
        ratios = [a / b for a, b in zip(plain, opt)]
        print(f"{spec:24} plain {statistics.median(plain) * 1e3:7.1f} ms  optimized "
              f"{statistics.median(opt) * 1e3:7.1f} ms  speed-up {statistics.median(ratios):.2f} "
              f"[{min(ratios):.2f}–{max(ratios):.2f}]  max |Δ| {diff:.1e}", flush=True)


if __name__ == "__main__":
    main()
