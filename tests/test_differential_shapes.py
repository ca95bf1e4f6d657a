"""Differential shape testing: archspec's static shape rules against PyTorch itself.

Hypothesis writes small random networks — chains, concat branches with mixed kernels,
strides and paddings, residuals, pools with ceil mode, 1×n / n×1 and dilated convs, `add`
and `concat` of earlier layers by name (the same one twice included), over varied input
sizes — as spec text. Each is also built by hand in torch from the same
description, with lazy modules (so torch, not this test, works out every input size) and
no archspec code. Then:

- the static check accepts the spec exactly when the hand-built module runs;
- for accepted specs, the static output shape, parameter count and MACs equal the
  compiled module's (and the hand-built one's): shapes by forward hooks on every layer,
  MACs by torch's FlopCounterMode ÷ 2.

archspec is stricter than torch in one place by design, and the reference says so: `add`
and a residual's body must give exactly equal shapes, where torch would broadcast (a
1-channel output onto a C-channel input, say) — that is a spec bug, not a feature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import archspec
from archspec.ir.graph import IR

Layer = dict[str, Any]
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")


# ---- random networks, as plain descriptions ---------------------------------------------------
@st.composite
def pairs(draw: st.DrawFn, lo: int, hi: int) -> tuple[int, int]:
    """Square, one-sided (1×n and n×1: Inception-v3's factorised kernels and their paddings) or free."""
    a, b = draw(st.integers(lo, hi)), draw(st.integers(lo, hi))
    form = draw(st.sampled_from(["square", "row", "column", "free"]))
    return {"square": (a, a), "row": (lo, a), "column": (a, lo), "free": (a, b)}[form]


@st.composite
def conv(draw: st.DrawFn, c: int, keep_shape: bool) -> tuple[Layer, int]:
    """`keep_shape` draws mostly shape-preserving convs, so residuals and concats often fit."""
    k = draw(pairs(1, 7))
    if keep_shape and draw(st.integers(0, 3)):
        half = ((k[0] - 1) // 2, (k[1] - 1) // 2)  # keeps the size for odd kernels only
        layer = {"kind": "conv", "out": draw(st.sampled_from([c, c, 1, 2])), "k": k, "stride": (1, 1),
                 "padding": draw(st.sampled_from(["same", half])), "dilation": (1, 1), "groups": 1}
    else:
        groups = draw(st.sampled_from([2, 3])) if draw(st.integers(0, 5)) == 0 else 1
        layer = {"kind": "conv", "out": groups * draw(st.integers(1, 4)), "k": k,
                 "stride": draw(st.one_of(st.just((1, 1)), pairs(1, 3))),
                 "padding": draw(st.one_of(st.sampled_from(["valid", "same"]), pairs(0, 3))),
                 "dilation": draw(st.sampled_from([(1, 1), (1, 1), (2, 2), (1, 2)])), "groups": groups}
    layer.update(bias=draw(st.booleans()), norm=draw(st.booleans()))
    return layer, layer["out"]


@st.composite
def pool(draw: st.DrawFn, c: int) -> tuple[Layer, int]:
    k = draw(pairs(1, 4))
    within_half = st.tuples(st.integers(0, k[0] // 2), st.integers(0, k[1] // 2))  # what torch allows
    return {"kind": draw(st.sampled_from(["maxpool", "avgpool"])), "k": k,
            "stride": draw(st.one_of(st.none(), st.just((1, 1)), pairs(1, 3))),
            "padding": draw(st.one_of(within_half, within_half, within_half, pairs(0, 2))),
            "ceil_mode": draw(st.booleans()), "count_include_pad": draw(st.booleans())}, c


@st.composite
def layer(draw: st.DrawFn, c: int, depth: int, keep_shape: bool = False) -> tuple[Layer, int]:
    kinds = ["conv", "conv", "pool", "act"] + (["concat", "residual"] if depth < 2 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "conv":
        return draw(conv(c, keep_shape))
    if kind == "pool":
        return draw(pool(c))
    if kind == "act":
        return {"kind": "act"}, c
    if kind == "concat":
        branches, outs = [], 0
        keep = draw(st.booleans())
        for _ in range(draw(st.integers(2, 3))):
            body, bc = draw(chain(c, depth + 1, 1, 2, keep))
            branches.append(body)
            outs += bc
        return {"kind": "concat", "branches": branches}, outs
    body, _ = draw(chain(c, depth + 1, 1, 2, keep_shape=True))
    return {"kind": "residual", "body": body}, c


@st.composite
def chain(draw: st.DrawFn, c: int, depth: int, lo: int, hi: int, keep_shape: bool = False) -> tuple[list[Layer], int]:
    out: list[Layer] = []
    channels: list[int] = []
    for _ in range(draw(st.integers(lo, hi))):
        if out and draw(st.integers(0, 4)) == 0:
            item, c = draw(merge(channels))
        else:
            item, c = draw(layer(c, depth, keep_shape))
        out.append(item)
        channels.append(c)
    return out, c


@st.composite
def merge(draw: st.DrawFn, channels: list[int]) -> tuple[Layer, int]:
    """`add` or `concat` over earlier items of the same chain, by name — the same one twice included."""
    refs = draw(st.lists(st.integers(0, len(channels) - 1), min_size=2, max_size=3))
    op = draw(st.sampled_from(["add", "concat"]))
    return {"kind": "merge", "op": op, "refs": refs}, (channels[refs[0]] if op == "add" else
                                                       sum(channels[i] for i in refs))


@dataclass
class Net:
    input: tuple[int, int, int]
    layers: list[Layer]
    tail: list[Layer] = field(default_factory=list)


@st.composite
def nets(draw: st.DrawFn) -> Net:
    c = draw(st.integers(1, 4))
    size = st.one_of(st.integers(1, 8), st.integers(9, 48))
    shape = (c, draw(size), draw(size))
    layers, _ = draw(chain(c, 0, 1, 3))
    tail = draw(st.sampled_from([[], [{"kind": "gap"}, {"kind": "flatten"}], [{"kind": "flatten"}]]))
    if tail and draw(st.booleans()):
        tail = tail + [{"kind": "linear", "out": draw(st.integers(1, 5))}]
    return Net(shape, layers, tail)


# ---- the same description, as spec text ------------------------------------------------------
def _pair(v: tuple[int, int]) -> int | list[int]:
    return v[0] if v[0] == v[1] else list(v)


def spec_text(net: Net) -> str:
    counter = iter(range(10_000))

    def items(layers: list[Layer]) -> list[dict[str, Any]]:
        names = [f"n{next(counter)}" for _ in layers]
        return [{name: args(lay, names)} for name, lay in zip(names, layers)]

    def args(lay: Layer, names: list[str]) -> Any:
        kind = lay["kind"]
        if kind == "merge":
            return {"op": lay["op"], "inputs": [names[i] for i in lay["refs"]]}
        if kind == "conv":
            return {"op": "conv", "out": lay["out"], "k": _pair(lay["k"]), "stride": _pair(lay["stride"]),
                    "padding": lay["padding"] if isinstance(lay["padding"], str) else _pair(lay["padding"]),
                    "dilation": _pair(lay["dilation"]), "groups": lay["groups"], "bias": lay["bias"],
                    "norm": "batchnorm" if lay["norm"] else "none"}
        if kind in ("maxpool", "avgpool"):
            a = {"op": kind, "k": _pair(lay["k"]), "padding": _pair(lay["padding"]), "ceil_mode": lay["ceil_mode"]}
            if lay["stride"] is not None:
                a["stride"] = _pair(lay["stride"])
            if kind == "avgpool":
                a["count_include_pad"] = lay["count_include_pad"]
            return a
        if kind == "concat":
            return {"op": "concat", "branches": {f"b{i}": items(b) for i, b in enumerate(lay["branches"])}}
        if kind == "residual":
            return {"op": "residual", "scale": 0.5, "body": items(lay["body"])}
        if kind == "linear":
            return {"op": "linear", "out": lay["out"]}
        return {"act": {"op": "act", "fn": "relu"}}.get(kind, kind)

    spec = {"archspec": 1, "name": "differential", "input": list(net.input),
            "network": items(net.layers + net.tail)}
    return yaml.safe_dump(spec, sort_keys=False)


# ---- and built by hand in torch --------------------------------------------------------------
class Concat(nn.Module):
    def __init__(self, branches: list[nn.Module]) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([b(x) for b in self.branches], 1)


class Chain(nn.Module):
    """Layers in order; a merge takes earlier layers' outputs by position instead of the last."""

    def __init__(self, layers: list[tuple[nn.Module, list[int] | None]]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(m for m, _ in layers)
        self.refs = [refs for _, refs in layers]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs: list[torch.Tensor] = []
        for m, refs in zip(self.layers, self.refs):
            x = m(*[outs[i] for i in refs]) if refs else m(x)
            outs.append(x)
        return x


class Merge(nn.Module):
    """Channel concat, or a sum of identical shapes (no broadcasting: see the module docstring)."""

    def __init__(self, op: str) -> None:
        super().__init__()
        self.op = op

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        if self.op == "concat":
            return torch.cat(xs, 1)
        if len({x.shape for x in xs}) != 1:
            raise RuntimeError(f"add of shapes {[tuple(x.shape) for x in xs]}")
        return torch.stack(xs).sum(0)


class StrictResidual(nn.Module):
    """x + 0.5·body(x), refusing to broadcast (see the module docstring)."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        if y.shape != x.shape:
            raise RuntimeError(f"residual body gives {tuple(y.shape)} for input {tuple(x.shape)}")
        return x + 0.5 * y


def reference(layers: list[Layer]) -> nn.Module:
    return Chain([(reference_layer(lay), lay.get("refs")) for lay in layers])


def reference_layer(lay: Layer) -> nn.Module:
    kind = lay["kind"]
    if kind == "merge":
        return Merge(lay["op"])
    if kind == "conv":
        m = nn.LazyConv2d(lay["out"], lay["k"], lay["stride"], lay["padding"], lay["dilation"], lay["groups"],
                          bias=lay["bias"])
        return nn.Sequential(m, nn.LazyBatchNorm2d()) if lay["norm"] else m
    if kind in ("maxpool", "avgpool"):
        stride = lay["stride"] or lay["k"]
        if kind == "maxpool":
            return nn.MaxPool2d(lay["k"], stride, lay["padding"], ceil_mode=lay["ceil_mode"])
        return nn.AvgPool2d(lay["k"], stride, lay["padding"], ceil_mode=lay["ceil_mode"],
                            count_include_pad=lay["count_include_pad"])
    if kind == "concat":
        return Concat([reference(b) for b in lay["branches"]])
    if kind == "residual":
        return StrictResidual(reference(lay["body"]))
    if kind == "linear":
        return nn.LazyLinear(lay["out"])
    return {"act": nn.ReLU, "gap": lambda: nn.AdaptiveAvgPool2d(1), "flatten": lambda: nn.Flatten(1)}[kind]()


def run_reference(net: Net) -> tuple[nn.Module | None, tuple[int, ...] | str]:
    """The hand-built module and its output shape, or None and torch's complaint."""
    try:
        model = reference(net.layers + net.tail).eval()
        with torch.no_grad():
            return model, tuple(model(torch.zeros(1, *net.input)).shape[1:])
    except (RuntimeError, ValueError) as e:
        return None, f"{type(e).__name__}: {str(e).splitlines()[0]}"


# ---- the oracle ----------------------------------------------------------------------------
def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def macs(model: nn.Module, shape: tuple[int, ...]) -> int:
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(1, *shape))
    return counter.get_total_flops() // 2


def layer_shapes(ir: IR, model: nn.Module) -> dict[str, tuple[int, ...]]:
    """Every compiled leaf's output shape, keyed by IR node id."""
    by_module = {".".join(d.scope + (d.name,)): nid for nid, d in ir.ops()}
    shapes: dict[str, tuple[int, ...]] = {}
    hooks = [m.register_forward_hook(lambda _m, _i, o, nid=by_module[q]: shapes.__setitem__(nid, tuple(o.shape[1:])))
             for q, m in model.named_modules() if q in by_module]
    with torch.no_grad():
        model(torch.zeros(1, *ir.input_shape))
    for h in hooks:
        h.remove()
    return shapes


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("differential") / "net.yaml"


@settings(max_examples=250, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(net=nets())
def test_static_shapes_params_and_macs_agree_with_torch(net: Net, spec_file: Path) -> None:
    text = spec_text(net)
    spec_file.write_text(text, encoding="utf-8")
    ir = archspec.analyze(spec_file)
    ref_model, ref = run_reference(net)
    if ir.error:
        event("rejected by both: " + re.split(r"[\d(]", ir.error.first.message, maxsplit=1)[0])
        assert ref_model is None, f"static check refused a spec torch runs (output {ref}):\n{ir.error}\n{text}"
        return
    assert ref_model is not None, f"static check passed a spec torch refuses ({ref}):\n{text}"
    event("accepted by both")
    out = ir[ir.output].shape
    assert out == ref, text
    model = archspec.build(ir).eval()
    shapes = layer_shapes(ir, model)
    assert shapes == {nid: d.shape for nid, d in ir.ops()}, text
    totals = ir.totals()
    assert count_params(model) == count_params(ref_model) == totals["params"], text
    assert macs(model, net.input) == macs(ref_model, net.input) == totals["macs"], text


def test_an_input_named_twice_counts_twice(write_spec):
    """Found by this test: the compiled module passed each input once, so `add [c, c]` gave c
    and `concat [c, c]` half the channels the static check promised."""
    path = write_spec("archspec: 1\nname: twice\ninput: [2, 4, 4]\nnetwork:\n  - c: identity\n"
                      "  - s: {op: add, inputs: [c, c]}\n  - cat: {op: concat, inputs: [s, c, s]}\n")
    ir = archspec.check(path)
    x = torch.ones(1, 2, 4, 4)
    y = archspec.build(ir)(x)
    assert ir["cat"].shape == (6, 4, 4) == tuple(y.shape[1:])
    assert y[0, :, 0, 0].tolist() == [2, 2, 1, 1, 2, 2]
