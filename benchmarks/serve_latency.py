"""How fast `archspec serve` answers the page, per shipped spec, over real HTTP on loopback.

Target (the serve issue): the analysis endpoint (`POST /api/analyse`: resolve the editor's
text, lower, infer, check the limits, the block summary, and the same for the saved file for
the diff) under 100 ms for every shipped spec and variant. The diagram endpoint
(`POST /api/render`, Graphviz's `dot` included) is timed too; the page sends both at once.
A real server process is started on a free port and sent the text of each file, as the page
sends it after an edit, on one kept-alive connection; the first request of each spec is a
warm-up and not counted.

    python benchmarks/serve_latency.py [--runs 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 100.0


def p90(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=10)[-1]


def timed(conn: http.client.HTTPConnection, path: str, body: dict, runs: int) -> list[float]:
    data = json.dumps(body).encode()
    out = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        conn.request("POST", path, data, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise SystemExit(f"{path} {body['path']}#{body['variant']}: HTTP {resp.status}")
        if i:
            out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    proc = subprocess.Popen([sys.executable, "-m", "archspec", "serve", str(ROOT / "specs"), "--port", "0"],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        proc.stdout.readline()
        port = int(proc.stdout.readline().split()[1].rstrip("/").rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/api/specs")
        specs = json.loads(conn.getresponse().read())["specs"]
        draw = shutil.which("dot") is not None
        print(f"{'spec':34} {'analyse median':>15} {'p90':>8}" + (f" {'render median':>14} {'p90':>8}" if draw else ""))
        worst = 0.0
        for s in specs:
            text = (ROOT / "specs" / s["path"]).read_text(encoding="utf-8")
            for variant in [None, *s["variants"]]:
                body = {"path": s["path"], "text": text, "variant": variant}
                a = timed(conn, "/api/analyse", body, args.runs)
                worst = max(worst, p90(a))
                line = f"{s['path'] + ('#' + variant if variant else ''):34} {statistics.median(a):12.1f} ms {p90(a):5.1f} ms"
                if draw and variant is None:
                    r = timed(conn, "/api/render", body, max(5, args.runs // 2))
                    line += f" {statistics.median(r):11.1f} ms {p90(r):5.1f} ms"
                print(line, flush=True)
        verdict = "within" if worst < TARGET_MS else "OVER"
        print(f"worst analyse p90: {worst:.1f} ms — {verdict} the {TARGET_MS:.0f} ms target "
              f"({worst / TARGET_MS:.2f} of it)")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
