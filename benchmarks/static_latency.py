"""`archspec check`, `summary` and `render` (DOT only) on every shipped spec, as whole processes.

Each command runs as its own `python -m archspec ...` process (what a user waits for),
interleaved with `python -c pass` so the interpreter's own start-up is shown beside it. The
target (issue 14) is under 0.3 s per spec for check and summary on the project's 2-core machine.

    python benchmarks/static_latency.py [--runs 5] [--specs inception_v3,googlenet]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.3


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--specs", default=",".join(sorted(p.stem for p in (ROOT / "specs").glob("*.yaml"))))
    args = ap.parse_args()
    py = [sys.executable]
    with tempfile.TemporaryDirectory() as tmp:
        print(f"median of {args.runs} whole-process runs [min–max]; target {TARGET_S} s for check and summary")
        base: list[float] = []
        for spec in args.specs.split(","):
            cmds = {"check": ["check", spec], "summary": ["summary", spec],
                    "render": ["render", spec, "-o", f"{tmp}/{spec}.gv"]}
            times: dict[str, list[float]] = {k: [] for k in cmds}
            gv = Path(tmp) / f"{spec}.gv"
            for _ in range(args.runs + 1):  # the first round warms the bytecode and file caches
                for k, c in cmds.items():
                    gv.unlink(missing_ok=True)  # render never overwrites a file unasked
                    times[k].append(wall(py + ["-m", "archspec", *c]))
                base.append(wall(py + ["-c", "pass"]))
            cells = []
            for k, ts in times.items():
                ts = ts[1:]
                m = statistics.median(ts)
                verdict = "" if k == "render" else (" ok" if m < TARGET_S else " OVER")
                cells.append(f"{k} {m:.3f} s [{min(ts):.3f}–{max(ts):.3f}]{verdict}")
            print(f"{spec:22} " + "  ".join(cells), flush=True)
        print(f"python -c pass: {statistics.median(base):.3f} s [{min(base):.3f}–{max(base):.3f}]")


if __name__ == "__main__":
    main()
