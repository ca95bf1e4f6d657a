"""The table of shipped specs and variants that `archspec list` prints.

Like torchvision's weights metadata or `timm.list_models`, but every figure is computed by
the static check, never typed in: a spec edit cannot leave the table stale.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from archspec.api import check, load
from archspec.ops import fmt_shape
from archspec.spec.shipped import shipped_spec, spec_names


@dataclass(frozen=True)
class Entry:
    ref: str
    input: tuple[int, ...]
    params: int
    """Inference parameters (training-only heads excluded), as `torchvision`'s num_params is not."""
    train_params: int
    """With the auxiliary heads, which run in training only."""
    macs: int
    description: str


def catalog() -> list[Entry]:
    out = []
    for name in spec_names():
        path = shipped_spec(name)
        assert path is not None
        base = load(path)
        for variant in (None, *base.spec.variants):
            rs = load(f"{path}#{variant}") if variant else base
            ir = check(rs)
            infer = ir.totals(include_heads=False)
            text = (rs.spec.variants[variant].description if variant else rs.spec.description) or ""
            out.append(Entry(name + (f"#{variant}" if variant else ""), ir.input_shape, infer["params"],
                             ir.totals()["params"], infer["macs"], text))
    return out


def render_catalog(entries: list[Entry], fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps([asdict(e) for e in entries], indent=2, ensure_ascii=False)
    head = ("spec", "input", "params", "with aux", "MACs", "description")
    rows = [(e.ref, fmt_shape(e.input), f"{e.params:,}", f"{e.train_params:,}" if e.train_params != e.params else "",
             f"{e.macs / 1e9:.3f} G", e.description) for e in entries]
    if fmt == "markdown":
        lines = ["| " + " | ".join(head) + " |", "|---|---|---:|---:|---:|---|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        return "\n".join(lines)
    if fmt != "text":
        raise ValueError(f"format must be text, markdown or json, not {fmt!r}")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head[:-1])]

    def line(cells: tuple[str, ...]) -> str:
        cols = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(cols + [cells[-1]]).rstrip()

    return "\n".join([line(head), *(line(r) for r in rows)])
