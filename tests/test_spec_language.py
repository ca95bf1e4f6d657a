"""The spec language: templates, combinators, variants, extends, overrides, expressions."""

from __future__ import annotations

import pytest
import torch

import archspec
from archspec.errors import ArchspecError
from archspec.spec.expr import ExprError, evaluate, substitute
from conftest import ROOT

TINY = ROOT / "tests" / "data" / "tiny.yaml"


def test_tiny_static_figures():
    ir = archspec.check(TINY)
    t = ir.totals()
    # stem 3*16*9 + BN 32; concat branches; 2 residual blocks; aux head 28*10+10; classifier 28*10+10
    assert ir["conv1"].shape == (16, 16, 16) and ir["conv1"].params == 3 * 16 * 9 + 2 * 16
    assert ir["mix"].shape == (16 + 8 + 4, 16, 16)
    assert ir["res/res_2"].op == "residual" and ir["res/res_2"].args.scale == 0.2
    assert [h.name for h in ir.heads] == ["aux"] and ir.heads[0].source == "mix" and ir.heads[0].loss_weight == 0.3
    assert t == {"params": 6348, "buffers": 128, "macs": 1_430_064}
    assert ir.totals(include_heads=False)["params"] == 6348 - 290


def test_module_names_follow_the_spec():
    model = archspec.build(TINY)
    names = {n for n, _ in model.named_parameters()}
    assert {"conv1.conv.weight", "mix.b3_2.conv.weight", "mix.pool_2.bn.bias", "res.res_1.r2.weight",
            "res.res_2.r1.conv.weight", "aux.fc.weight", "fc.bias"} <= names
    assert "(b3_1): ConvNormAct" in str(model)


def test_aux_heads_run_in_training_only():
    model = archspec.build(TINY)
    x = torch.randn(2, 3, 32, 32)
    model.train()
    out = model(x)
    assert isinstance(out, tuple) and [o.shape for o in out] == [torch.Size([2, 10])] * 2
    model.eval()
    calls = []
    hook = model.aux.register_forward_hook(lambda *a: calls.append(1))
    assert model(x).shape == (2, 10)
    assert calls == []
    hook.remove()


def test_variant_set_and_remove():
    ir = archspec.check(f"{TINY}#wide")
    assert ir["conv1"].shape[0] == 32
    assert ir["mix/b1"].shape[0] == 24
    assert not any(n.startswith("res/") for n in ir.graph)
    assert ir["gap"].inputs == ["mix"]


def test_variant_insert():
    ir = archspec.check(f"{TINY}#extra")
    assert ir["drop"].inputs == ["gap"] and ir["flat"].inputs == ["drop"]


def test_extends_with_overrides(write_spec, tmp_path):
    (tmp_path / "tiny.yaml").write_text(TINY.read_text())
    child = write_spec("""
        archspec: 1
        extends: tiny.yaml
        name: tiny_child
        params: {classes: 7}
        set:
          blocks.res.body.body.r1.out: 12
          network.res.times: 3
    """, "child.yaml")
    ir = archspec.check(child)
    assert ir.name == "tiny_child"
    assert ir["fc"].shape == (7,) and ir["aux/fc"].shape == (7,)
    assert ir["res/res_3/r1"].shape == (12, 16, 16)
    assert ir[ir.output].inputs == ["flat"]


def test_cli_style_overrides():
    ir = archspec.check(TINY, ["input=[3,64,64]", "params.classes=5"])
    assert ir["conv1"].shape == (16, 32, 32) and ir["fc"].shape == (5,)
    with pytest.raises(ArchspecError, match="--set expects KEY=VALUE"):
        archspec.check(TINY, ["input"])


def test_inputs_make_a_dag(write_spec):
    path = write_spec("""
        archspec: 1
        name: skip
        input: [4, 8, 8]
        network:
          - a: {op: conv, out: 4, k: 3, padding: same}
          - b: {op: conv, out: 4, k: 3, padding: same}
          - sum: {op: add, inputs: [a, b]}
          - cat: {op: concat, inputs: [sum, a]}
    """)
    ir = archspec.check(path)
    assert ir["cat"].shape == (8, 8, 8)
    assert list(ir.graph.predecessors("sum")) == ["a", "b"]
    model = archspec.build(ir)
    assert model(torch.randn(1, 4, 8, 8)).shape == (1, 8, 8, 8)


@pytest.mark.parametrize("expr,value", [
    ("c * 2", 64), ("c // 3", 10), ("-c + 1", -31), ("max(16, c // 4)", 16), ("min(c, 8) ** 2", 64),
    ("c / 4", 8.0), ("(c + 1) % 5", 3),
])
def test_expressions(expr, value):
    assert evaluate(expr, {"c": 32}) == value


@pytest.mark.parametrize("expr", [
    "__import__('os')", "c.real", "[x for x in range(3)]", "lambda: 1", "2 ** 1000", "c if c else 1",
    "open('f')", "10 ** 20",
])
def test_expressions_reject_everything_else(expr):
    with pytest.raises(ExprError):
        evaluate(expr, {"c": 32})


def test_substitute_splices_text():
    assert substitute("block_${i + 1}", {"i": 2}) == "block_3"
    assert substitute("${c}", {"c": 0.5}) == 0.5


def test_traceable_exportable_compilable():
    model = archspec.build(TINY).eval()
    x = torch.randn(2, 3, 32, 32)
    ref = model(x)
    gm = torch.fx.symbolic_trace(model)
    torch.testing.assert_close(gm(x), ref)
    ep = torch.export.export(model, (x,))
    torch.testing.assert_close(ep.module()(x), ref)
    compiled = torch.compile(model, backend="aot_eager")
    torch.testing.assert_close(compiled(x), ref)


@pytest.mark.slow
def test_inductor_compile():
    model = archspec.build(TINY).eval()
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(torch.compile(model)(x), model(x), rtol=1e-4, atol=1e-4)
