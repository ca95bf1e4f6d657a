"""Render a measured per-block profile (archspec.torch_backend.profile) as text, markdown,
or json (the chart: archspec.report.profile_plot). Torch-free: it formats numbers only."""

from __future__ import annotations

import json
import statistics
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archspec.torch_backend.profile import Profile


def _median_ms(xs: list[float]) -> float | None:
    return statistics.median(xs) * 1e3 if xs else None


def block_rows(p: Profile) -> list[dict[str, Any]]:
    """One dict per block, slowest first; GFLOP/s counts 2 × MACs per image forward and
    4 × MACs backward (the gradients of inputs and of weights)."""
    out = []
    for b in p.blocks:
        fwd, bwd = _median_ms(b.forward_s), _median_ms(b.backward_s)
        row: dict[str, Any] = {"block": b.name, "kind": b.kind, "params": b.params, "macs": b.macs,
                               "forward_ms": fwd, "forward_gflops": _rate(2 * b.macs * p.batch, fwd),
                               "forward_mb": b.forward_bytes / 2**20}
        if p.train:
            row |= {"backward_ms": bwd, "backward_gflops": _rate(4 * b.macs * p.batch, bwd),
                    "backward_mb": None if b.backward_bytes is None else b.backward_bytes / 2**20}
        out.append(row)
    return sorted(out, key=_total_ms, reverse=True)


def _total_ms(r: dict[str, Any]) -> float:
    return (r["forward_ms"] or 0.0) + (r.get("backward_ms") or 0.0)


def _rate(flops: int, ms: float | None) -> float | None:
    return None if not ms or not flops else flops / (ms * 1e-3) / 1e9


def _cells(r: dict[str, Any], train: bool) -> list[str]:
    def f(v: float | None, spec: str = ".2f") -> str:
        return "-" if v is None else format(v, spec)

    cells = [r["block"], r["kind"], f(r["forward_ms"]), f(r["forward_gflops"], ".1f"), f(r["forward_mb"], ".1f")]
    if train:
        cells += [f(r["backward_ms"]), f(r["backward_gflops"], ".1f"), f(r["backward_mb"], ".1f")]
    return cells + [_human(r["macs"]), _human(r["params"])]


def _header(train: bool) -> list[str]:
    h = ["block", "kind", "fwd ms", "fwd GFLOP/s", "fwd MB"]
    if train:
        h += ["bwd ms", "bwd GFLOP/s", "bwd MB"]
    return h + ["MACs/img", "params"]


def _human(n: int) -> str:
    for unit, div in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= div:
            return f"{n / div:.2f}{unit}"
    return str(n)


def render_profile(p: Profile, fmt: str = "text") -> str:
    rs = block_rows(p)
    if fmt == "json":
        return json.dumps({"spec": p.spec, "device": p.device, "batch": p.batch, "train": p.train,
                           "runs": p.runs, "memory": p.memory, "blocks": rs}, indent=2)
    head, body = _header(p.train), [_cells(r, p.train) for r in rs]
    total = sum(_total_ms(r) for r in rs)
    title = (f"{p.spec}: {'forward+backward' if p.train else 'forward (eval)'}, batch {p.batch}, "
             f"{p.device}, median of {p.runs} runs; blocks total {total:.1f} ms")
    note = f"MB: {p.memory}. GFLOP/s from the static MACs (2×MACs forward, 4×MACs backward)."
    if fmt == "markdown":
        lines = [f"**{title}**", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(c) + " |" for c in body]
        return "\n".join(lines + ["", note])
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(head, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(cells, widths)) for cells in body]
    return "\n".join(lines + [note])
