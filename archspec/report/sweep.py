"""`archspec sweep`: every combination of a grid checked statically, with its cost.

A grid is `KEY=V1,V2,...` per axis, KEY being `width`, `depth`, `resolution` (the spec's
`scale:`) or any `--set` path (`network.Mixed_5b.pool_features=32,64`). Each combination is
resolved, lowered and inferred like `archspec check` (no torch); one that fails keeps its
first problem as the reason. The Pareto front is the set of passing combinations that no
other one beats on both parameters and MACs.

A mistyped axis key (`widht`, `network.Mixed_5b.pool_featurs`) would fail every combination
the same way, so `sweep` refuses it before it checks the grid. The rule: check the
first combination; a problem located at an axis's own `--set` override that stays the same
when that axis's value is replaced by null is caused by the key, not the value. Key errors
(an unknown key, an item or block parameter that does not exist) are located at the override
and do not mention the value; a value's own errors (`width=abc`, a kernel too large at one
resolution) change with the value, and a problem elsewhere in the spec is not located at the
override, so both stay per-row failures. The refusal is the error `archspec check --set` gives.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from archspec.api import analyze, load
from archspec.errors import ArchspecError, did_you_mean, fail
from archspec.ir.budget import Limits, enforce, fmt_size, memory
from archspec.spec.yamlload import load_text

"""What `plot` writes, the format taken from the suffix."""
SHORTHANDS = {"width": "scale.width", "depth": "scale.depth", "resolution": "scale.resolution"}
MAX_COMBINATIONS = 10_000


@dataclass(frozen=True)
class Axis:
    key: str
    """The `--set` path the values go to."""
    label: str
    """As the user wrote it (`width`)."""
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Cost:
    params: int
    macs: int
    activation_bytes: int


@dataclass(frozen=True)
class Row:
    """One combination: its cost where it passes the check, else the reason it does not."""

    setting: dict[str, Any]
    cost: Cost | None
    error: str | None = None
    pareto: bool = False


def parse_axis(text: str) -> Axis:
    key, eq, values = text.partition("=")
    key = key.strip()
    if not eq or not key or not values.strip():
        raise fail(f"--grid expects KEY=V1,V2,..., got {text!r}", hint="for example --grid width=0.5,0.75,1")
    parsed = tuple(load_text(v.strip(), f"--grid {key}") for v in values.split(","))
    return Axis(SHORTHANDS.get(key, key), key, parsed)


def combinations(axes: list[Axis]) -> list[dict[str, Any]]:
    n = 1
    for a in axes:
        n *= len(a.values)
    if n > MAX_COMBINATIONS:
        raise fail(f"the grid has {n:,} combinations, more than {MAX_COMBINATIONS:,}",
                   hint="sweep fewer values per axis, or fewer axes at once")
    return [dict(zip((a.label for a in axes), combo)) for combo in itertools.product(*(a.values for a in axes))]


def _overrides(axes: list[Axis], setting: dict[str, Any], sets: list[str] | None) -> list[str]:
    # JSON is YAML: strings quoted, numbers and lists as they are
    return list(sets or []) + [f"{a.key}={json.dumps(setting[a.label])}" for a in axes]


def _cost(spec: str, overrides: list[str], limits: Limits) -> Cost:
    """The combination's cost, or the ArchspecError of its check (like `archspec check`'s)."""
    ir = analyze(load(spec, overrides))
    if ir.error is not None:
        raise ir.error
    enforce(ir, limits)
    t = ir.totals(include_heads=False)
    return Cost(t["params"], t["macs"], memory(ir).activation_bytes)


def _refuse_unknown_keys(spec: str, axes: list[Axis], sets: list[str] | None, limits: Limits) -> None:
    """Raise the error of an axis key that does not exist (see the module's docstring)."""
    first = {a.label: a.values[0] for a in axes}
    try:
        _cost(spec, _overrides(axes, first, sets), limits)
        return
    except ArchspecError as e:
        problems = e.problems
    for a in axes:
        own = [p for p in problems if p.loc is not None and p.loc.file == f"--set {a.key}"]
        if not own:
            continue
        try:
            _cost(spec, _overrides(axes, {**first, a.label: None}, sets), limits)
            continue
        except ArchspecError as e:
            same = [p for p in own if p in e.problems]
        if same:
            close = did_you_mean(a.label, SHORTHANDS) if "." not in a.label else None
            raise ArchspecError([replace(p, hint=close or p.hint) for p in same],
                                f"--grid {a.label}: the key fails every combination, so nothing was swept")


def sweep(spec: str, axes: list[Axis], sets: list[str] | None = None, limits: Limits = Limits()) -> list[Row]:
    settings = combinations(axes)
    _refuse_unknown_keys(spec, axes, sets, limits)
    rows = []
    for setting in settings:
        try:
            cost = _cost(spec, _overrides(axes, setting, sets), limits)
        except ArchspecError as e:
            p = e.first
            where = (f"{p.loc}: " if p.loc and p.loc.line else "") + (f"{p.path}: " if p.path else "")
            rows.append(Row(setting, None, where + p.message))
            continue
        rows.append(Row(setting, cost))
    return _mark_front(rows)


def _mark_front(rows: list[Row]) -> list[Row]:
    costs = [(r.cost.params, r.cost.macs) for r in rows if r.cost is not None]

    def beaten(c: Cost) -> bool:
        return any(p <= c.params and m <= c.macs and (p, m) != (c.params, c.macs) for p, m in costs)

    return [Row(r.setting, r.cost, r.error, r.cost is not None and not beaten(r.cost)) for r in rows]


def render_sweep(rows: list[Row], fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps([asdict(r) for r in rows], indent=2)
    keys = list(rows[0].setting) if rows else []
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(keys + ["params", "macs", "activation_bytes", "pareto", "error"])
        for r in rows:
            cost = [r.cost.params, r.cost.macs, r.cost.activation_bytes] if r.cost else ["", "", ""]
            w.writerow([r.setting[k] for k in keys] + cost + [r.pareto, r.error or ""])
        return buf.getvalue().rstrip("\n")
    if fmt != "text":
        raise ValueError(f"format must be text, json or csv, not {fmt!r}")
    head = (*keys, "params", "MACs", "activations", "")
    body = [(*(str(r.setting[k]) for k in keys), *_cost_cells(r)) for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    lines = ["  ".join(c.ljust(w) if i < len(keys) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
             for row in (head, *body)]
    failed = [r for r in rows if r.cost is None]
    ok = len(rows) - len(failed)
    lines.append(f"{ok} of {len(rows)} combinations pass the static check; {sum(r.pareto for r in rows)} on the "
                 "params/MACs Pareto front")
    for r in failed:
        lines.append(f"failed {', '.join(f'{k}={v}' for k, v in r.setting.items())}: {r.error}")
    return "\n".join(lines)


def _cost_cells(r: Row) -> tuple[str, str, str, str]:
    if r.cost is None:
        return "—", "—", "—", "failed"
    return (f"{r.cost.params:,}", f"{r.cost.macs / 1e9:.3f} G", fmt_size(r.cost.activation_bytes),
            "pareto" if r.pareto else "")


def plot(rows: list[Row], path: Path, title: str) -> None:
    """Params against MACs, the Pareto front joined and labelled; the format is `path`'s suffix."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from archspec.report.figures import save_figure

    ok = [(r, r.cost) for r in rows if r.cost is not None]
    fig, ax = plt.subplots(figsize=(7, 5), dpi=120)
    ax.scatter([c.params / 1e6 for _, c in ok], [c.macs / 1e9 for _, c in ok], s=18, color="#9aa7b8",
               label="combination")
    front = sorted(((r, c) for r, c in ok if r.pareto), key=lambda rc: rc[1].params)
    ax.plot([c.params / 1e6 for _, c in front], [c.macs / 1e9 for _, c in front], "o-", color="#1155cc", ms=5,
            label="Pareto front")
    for r, c in front:
        ax.annotate(", ".join(f"{k}={v}" for k, v in r.setting.items()), (c.params / 1e6, c.macs / 1e9),
                    fontsize=7, xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel("parameters (M)")
    ax.set_ylabel("MACs (G)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
