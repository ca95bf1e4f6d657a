"""`archspec check`, `summary` and `render` (DOT only) on every shipped spec, as whole processes.

Each command runs as its own `python -m archspec ...` process (what a user waits for),
interleaved with `python -c pass` so the interpreter's own start-up is shown beside it. The
target (issue 14) is under 0.3 s per spec for check and summary on the project's 2-core machine.

    python benchmarks/static_latency.py [--runs 5] [--specs inception_v3,googlenet] [--against DIR]

`--against` times another checkout (`git worktree add DIR REV`) run by run beside this one, so a
change is measured as a ratio that a machine's changing load leaves alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.3


def bytecode_env(cache: str) -> dict[str, str]:
    """The environment with bytecode caching on, cached under `cache`: what an installed archspec
    runs with. With PYTHONDONTWRITEBYTECODE set (some machines set it), every run would compile
    archspec's sources again (≈ 0.04 s here), and the warm-up round could not warm anything."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def wall(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=cwd, env=env)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--specs", default=",".join(sorted(p.stem for p in (ROOT / "specs").glob("*.yaml"))))
    ap.add_argument("--against", type=Path, metavar="DIR",
                    help="another archspec checkout: each command runs there right after its run here; "
                         "each cell adds its median there and the median ratio here/there")
    args = ap.parse_args()
    py = [sys.executable]
    with tempfile.TemporaryDirectory() as tmp:
        env = bytecode_env(f"{tmp}/pycache")
        print(f"median of {args.runs} whole-process runs [min–max]; target {TARGET_S} s for check and summary")
        base: list[float] = []
        for spec in args.specs.split(","):
            cmds = {"check": ["check", spec], "summary": ["summary", spec],
                    "render": ["render", spec, "-o", f"{tmp}/{spec}.gv"]}
            times: dict[str, list[float]] = {k: [] for k in cmds}
            there: dict[str, list[float]] = {k: [] for k in cmds}
            gv = Path(tmp) / f"{spec}.gv"
            for _ in range(args.runs + 1):  # the first round warms the bytecode and file caches
                for k, c in cmds.items():
                    gv.unlink(missing_ok=True)  # render never overwrites a file unasked
                    times[k].append(wall(py + ["-m", "archspec", *c], env))
                    if args.against:
                        gv.unlink(missing_ok=True)
                        there[k].append(wall(py + ["-m", "archspec", *c], env, args.against))
                base.append(wall(py + ["-c", "pass"], env))
            cells = []
            for k, ts in times.items():
                ts = ts[1:]
                m = statistics.median(ts)
                verdict = "" if k == "render" else (" ok" if m < TARGET_S else " OVER")
                cell = f"{k} {m:.3f} s [{min(ts):.3f}–{max(ts):.3f}]{verdict}"
                if args.against:
                    other = there[k][1:]
                    ratio = statistics.median(a / b for a, b in zip(ts, other))
                    cell += f" (there {statistics.median(other):.3f} s, ×{ratio:.2f})"
                cells.append(cell)
            print(f"{spec:22} " + "  ".join(cells), flush=True)
        print(f"python -c pass: {statistics.median(base):.3f} s [{min(base):.3f}–{max(base):.3f}]")


if __name__ == "__main__":
    main()
