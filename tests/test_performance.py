"""The performance features: in-place activations decided from the IR, meta-device builds,
BatchNorm folding, graph-break-free forward, and `archspec profile`'s per-block figures."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch
from torch import nn

import archspec
from archspec.cli import main
from archspec.ops.layers import ConvNormAct
from archspec.report.summary import rows
from archspec.torch_backend.profile import profile_model

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _benchmark(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))  # a benchmark imports its siblings by name
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SMALL_NET = ("googlenet#torchvision", ["input=[3,64,64]"])
"""Aux heads, branches and concats, BN; small enough for CPU tests."""
SMALL = ("archspec: 1\nname: small\ninput: [3, 16, 16]\nnetwork:\n"
         "  - c1: {op: conv, out: 8, k: 3, padding: same, norm: batchnorm, act: relu}\n"
         "  - c2: {op: conv, out: 8, k: 3, padding: same}\n"
         "  - a: {op: act, fn: relu}\n"                  # c2 is read by s too: not in place
         "  - s: {op: add, inputs: [c2, a]}\n"
         "  - r3: {op: act, fn: relu}\n"                 # sole reader of a fresh sum: in place
         "  - r4: {op: act, fn: relu}\n"                 # relu saved r3's output for its backward
         "  - pool: gap\n  - flat: flatten\n  - fc: {op: linear, out: 5}\n")


def test_activations_run_in_place_only_where_nothing_else_reads_their_input(write_spec):
    model = archspec.build(write_spec(SMALL))
    assert model.c1.act.inplace
    assert [model.a.inplace, model.r3.inplace, model.r4.inplace] == [False, True, False]
    x = torch.randn(2, 3, 16, 16, requires_grad=True)
    y = model(x)
    c2 = model.c2(model.c1(x))
    ref = model.fc(torch.flatten(torch.relu(c2 + torch.relu(c2)).mean((2, 3)), 1))
    assert torch.allclose(y, ref, atol=1e-6)
    y.sum().backward()  # autograd refuses a tensor it saved that was overwritten
    assert x.grad is not None


def test_conv_unit_relus_are_in_place_like_torchvision():
    model = archspec.build(*SMALL_NET)
    acts = [m.act for m in model.modules() if isinstance(m, ConvNormAct)]
    assert len(acts) == 59 and all(a.inplace for a in acts)  # torchvision: 57 BasicConv2d + 1 per aux head


def test_keras_cnn_standalone_relus_after_batchnorm_run_in_place():
    model = archspec.build("cifar10_cnn")
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    assert len(relus) == 5 and all(r.inplace for r in relus)
    model.train()
    model(torch.randn(2, 3, 32, 32)).sum().backward()


def test_meta_build_has_the_static_parameter_count_and_no_storage():
    ir = archspec.check("inception_resnet_v2")
    model = archspec.build(ir, device="meta")
    params = list(model.parameters())
    assert all(p.is_meta for p in params)
    assert sum(p.numel() for p in params) == ir.totals()["params"]


def test_batchnorm_folding_keeps_outputs_within_1e5():
    torch.manual_seed(0)
    model = archspec.build(*SMALL_NET)
    with torch.no_grad():  # non-trivial statistics, as after training
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    model.eval()
    fast = archspec.optimize_for_inference(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fast.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())  # the original is untouched
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ref, out = model(x), fast(x)
    assert out.shape == ref.shape == (2, 1000)
    assert torch.allclose(out, ref, atol=1e-5, rtol=1e-5), (out - ref).abs().max()


@pytest.mark.parametrize("training", [pytest.param(False, marks=pytest.mark.slow), True])
def test_forward_has_no_graph_break(training):
    """Eager dynamo tracing (no inductor): archspec's step program must be one graph."""
    model = archspec.build(*SMALL_NET).train(training)
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(model)(torch.randn(2, 3, 64, 64))
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1


def test_profile_rows_cover_every_top_level_block_with_the_static_costs():
    ir = archspec.check(*SMALL_NET)
    model = archspec.build(ir)
    prof = profile_model(model, ir, batch=2, device=torch.device("cpu"), train=True, runs=1, warmup=0)
    static = {r.name: r for r in rows(ir, "block")}
    assert [b.name for b in prof.blocks] == [n for n, _ in model.named_children()] == list(static)
    for b in prof.blocks:
        assert (b.macs, b.params) == (static[b.name].macs, static[b.name].params)
        assert len(b.forward_s) == 1 and len(b.backward_s) == 1, b.name
        assert b.params == sum(p.numel() for p in getattr(model, b.name).parameters())
    assert sum(b.macs for b in prof.blocks) == ir.totals()["macs"]
    pytest.importorskip("matplotlib", reason="the chart needs matplotlib, which the reference venv lacks")
    from archspec.report.profile_plot import plot_profile

    assert len(plot_profile(prof).axes[0].patches) == 2 * len(prof.blocks)  # a forward and a backward bar each


def test_profile_command_json_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the chart needs matplotlib, which the reference venv lacks")
    plot = tmp_path / "p.svg"
    rc = main(["profile", "cifar10_cnn", "--batch", "2", "--runs", "1", "--format", "json", "--plot", str(plot)])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    ir = archspec.check("cifar10_cnn")
    static = {r.name: r.macs for r in rows(ir, "block")}
    assert {b["block"]: b["macs"] for b in out["blocks"]} == static
    assert plot.read_text().startswith("<?xml")
    assert main(["profile", "cifar10_cnn", "--plot", str(plot)]) == 2  # never overwritten unasked
    assert "exists" in capsys.readouterr().err
    for name, magic in (("p.png", b"\x89PNG"), ("p.pdf", b"%PDF")):  # the content is what the suffix says
        assert main(["profile", "cifar10_cnn", "--batch", "2", "--runs", "1", "--plot", str(tmp_path / name)]) == 0
        assert (tmp_path / name).read_bytes()[:4] == magic
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.pdf", "p.png", "p.svg"]


@pytest.mark.parametrize("train", [False, True])
def test_googlenet_dispatches_the_same_aten_ops_as_torchvision(train):
    """Timing-free parity: the same ops, in place where torchvision's are (reference env only)."""
    tv = pytest.importorskip("torchvision.models")
    count = _benchmark("op_counts").count
    torch.manual_seed(0)
    ref = tv.googlenet(weights=None, aux_logits=True, init_weights=False)
    model = archspec.build("googlenet#torchvision")
    x = torch.randn(2, 3, 64, 64)
    ours, theirs = count(model, x, train), count(ref, x, train)
    assert ours == theirs
    assert ours["aten.relu_"] == (61 if train else 57)  # 57 BasicConv2d ReLUs; each aux head adds a conv's and fc1's


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(p.stem for p in (BENCHMARKS.parent / "specs").glob("*.yaml")))
def test_every_shipped_spec_traces_as_one_graph(name):
    model = archspec.build(name).train()
    ir = archspec.check(name)
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(model)(torch.randn(2, *ir.input_shape))
    assert (explanation.graph_break_count, explanation.graph_count) == (0, 1), explanation.break_reasons


def test_a_plot_suffix_that_names_no_chart_format_is_refused_before_measuring(tmp_path, capsys, monkeypatch):
    import archspec.torch_backend.profile as profile

    monkeypatch.setattr(profile, "profile_model", lambda *a, **kw: pytest.fail("measured before refusing"))
    plot = tmp_path / "prof.jpg"
    assert main(["profile", "cifar10_cnn", "--plot", str(plot)]) == 2
    assert capsys.readouterr().err == (f"error: --plot {plot}: the suffix must be .png, .svg or .pdf (the plot's "
                                       f"format is taken from it)\n    hint: for example --plot {tmp_path / 'prof.svg'}\n")
    assert not plot.exists()
