"""How long `archspec sweep` takes for 100 combinations of inception_v3, as a whole process.

Target (the variant-workflow issue): under 10 s on the project's 2-core machines. The sweep
and 100 `archspec check` calls' worth of one in-process check are timed in one run, so the
script prints the wall time, the time per combination and its ratio to one check.

    python benchmarks/sweep_speed.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 10.0
GRID = ["resolution=" + ",".join(str(r) for r in range(299, 399, 10)),
        "network.Mixed_5b.pool_features=" + ",".join(str(c) for c in range(32, 112, 8))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    sweep = [sys.executable, "-m", "archspec", "sweep", "inception_v3", "--grid", *GRID, "--format", "csv"]
    check = [sys.executable, "-c", "import archspec, time; t = time.perf_counter(); "
             "archspec.check('inception_v3'); print(time.perf_counter() - t)"]
    walls, singles = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        out = subprocess.run(sweep, check=True, capture_output=True, text=True, cwd=ROOT).stdout
        walls.append(time.perf_counter() - t0)
        singles.append(float(subprocess.run(check, check=True, capture_output=True, text=True, cwd=ROOT).stdout))
    rows = len(out.splitlines()) - 1
    w, s = statistics.median(walls), statistics.median(singles)
    print(f"combinations   : {rows}")
    print(f"sweep, wall    : median {w:.2f} s  (min {min(walls):.2f})")
    print(f"per combination: {w / rows * 1000:.1f} ms; one in-process check {s * 1000:.1f} ms; ratio {w / rows / s:.2f}x")
    print(f"target < {TARGET_S:.0f} s: {'met' if w < TARGET_S else 'NOT met'}")


if __name__ == "__main__":
    main()
