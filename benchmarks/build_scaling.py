"""Build time against network size: `archspec.build` must be linear in the number of scopes.

Builds a `repeat` of N one-op blocks for N = 1k, 4k, 16k (16k blocks is 16,000 scopes and
ops, under MAX_OPS) and prints the time per block, its ratio to the smallest size, and the
same for constructing the same modules by hand in plain torch (one `nn.Module` holding an
`nn.Conv2d` per block), which slows a little as memory grows too. A linear builder keeps
its ratio near 1 (at 16k blocks a quadratic one shows about 16). The quadratic builder it replaced (every scope filtered the
whole graph) took 2.4 s for 1k blocks and 12.3 s for 4k, and 150 s for 19k; this one takes
0.14 s and 0.8 s (1k, 4k) on the same machine.

    python benchmarks/build_scaling.py [--sizes 1000 4000 16000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = """archspec: 1
name: scaling
input: [4, 8, 8]
blocks:
  unit:
    body: [c: {{op: conv, out: 4, k: 1}}]
network:
  - stack: {{op: repeat, block: unit, times: {n}}}
"""


def timed(n: int, folder: Path) -> tuple[float, float]:
    import archspec

    path = folder / f"scaling_{n}.yaml"
    path.write_text(SPEC.format(n=n), encoding="utf-8")
    t0 = time.perf_counter()
    ir = archspec.check(path)
    t1 = time.perf_counter()
    archspec.build(ir)
    return t1 - t0, time.perf_counter() - t1


def by_hand(n: int) -> float:
    from torch import nn

    t0 = time.perf_counter()
    top = nn.Module()
    for i in range(n):
        unit = nn.Module()
        unit.add_module("c", nn.Conv2d(4, 4, 1))
        top.add_module(f"unit_{i}", unit)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 16000])
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    import torch  # noqa: F401 - imported before timing, so the first size does not pay for it

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        timed(100, Path(tmp))  # warm up: op schemas and torch's first module construction
        by_hand(100)
        for n in args.sizes:
            check_s, build_s = timed(n, Path(tmp))
            rows.append((n, check_s, build_s, by_hand(n)))
    base, torch_base = rows[0][2] / rows[0][0], rows[0][3] / rows[0][0]
    print(f"{'blocks':>8} {'check s':>8} {'build s':>8} {'µs/block':>9} {'ratio':>6} {'torch µs/block':>15} {'ratio':>6}")
    for n, check_s, build_s, torch_s in rows:
        print(f"{n:>8,} {check_s:>8.2f} {build_s:>8.2f} {build_s / n * 1e6:>9.1f} {build_s / n / base:>6.2f} "
              f"{torch_s / n * 1e6:>15.1f} {torch_s / n / torch_base:>6.2f}")
    n, _, build_s, torch_s = rows[-1]
    ours, theirs = build_s / n / base, torch_s / n / torch_base
    # 16x the blocks: a quadratic builder would show about 16 here, a linear one about 1
    print(f"per-block build time, largest/smallest: {ours:.2f} (plain torch: {theirs:.2f}) — "
          + ("linear" if ours < 2 else "NOT linear"))


if __name__ == "__main__":
    main()
