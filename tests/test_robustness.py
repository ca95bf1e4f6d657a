"""Whatever `check` accepts, build honours: nested aux heads, blocks that read later nodes,
the limits of expansion and nesting, strict values, and the messages of common slips."""

from __future__ import annotations

import pytest
import torch

import archspec
from archspec.errors import ArchspecError
from archspec.ir import lower as lowering

HEAD = "archspec: 1\nname: demo\ninput: [3, 16, 16]\n"


def first_error(write_spec, text: str, ref: str = ""):
    with pytest.raises(ArchspecError) as info:
        archspec.check(f"{write_spec(text)}{ref}")
    return info.value.first


# ---- item 1: aux heads at any depth ------------------------------------------------------------

NESTED_AUX = HEAD + """network:
  - s: {op: seq, body: [c1: {op: conv, out: 4, k: 3, padding: 1},
                        a: {op: aux, from: c1, loss_weight: 0.3, body: [g: gap, f: flatten, l: {op: linear, out: 10}]},
                        c2: {op: conv, out: 4, k: 3, padding: 1}]}
  - g: gap
  - f: flatten
  - fc: {op: linear, out: 5}
"""


def test_a_head_inside_a_seq_trains_and_is_skipped_in_eval(write_spec):
    ir = archspec.check(write_spec(NESTED_AUX))
    assert [(h.name, h.source, h.output, h.loss_weight) for h in ir.heads] == [("a", "s/c1", "s/a/l", 0.3)]
    model = archspec.build(ir)
    assert model.head_names == ("a",) and model.head_weights == (0.3,)
    assert sum(p.numel() for p in model.parameters()) == ir.totals()["params"] == 4 * 27 + 4 + 4 * 36 + 4 + 50 + 25
    model.train()
    out, aux = model(torch.randn(2, 3, 16, 16))
    assert out.shape == (2, 5) and aux.shape == (2, 10)
    (out.sum() + aux.sum()).backward()
    assert model.s.a.l.weight.grad is not None and model.s.a.l.weight.grad.abs().sum() > 0  # the head trains
    calls = []
    model.s.a.register_forward_hook(lambda *_: calls.append(1))
    model.eval()
    with torch.no_grad():
        y = model(torch.randn(1, 3, 16, 16))
    assert isinstance(y, torch.Tensor) and y.shape == (1, 5) and calls == []  # eval mode skips the head


def test_a_nested_head_traces_as_straight_line_code(write_spec):
    model = archspec.build(archspec.check(write_spec(NESTED_AUX))).train()
    x = torch.randn(2, 3, 16, 16)
    traced = torch.fx.symbolic_trace(model)
    for got, want in zip(traced(x), model(x)):
        torch.testing.assert_close(got, want)


def test_heads_at_several_depths_come_out_in_spec_order(write_spec):
    text = HEAD + """blocks:
  stage:
    body:
      - c: {op: conv, out: 4, k: 3, padding: 1}
      - deep: {op: aux, from: c, body: [g: gap, f: flatten, l: {op: linear, out: 7}]}
      - d: {op: conv, out: 4, k: 1}
network:
  - c0: {op: conv, out: 4, k: 1}
  - top: {op: aux, from: c0, body: [g: gap, f: flatten, l: {op: linear, out: 3}]}
  - b1: {op: stage}
  - inner: {op: seq, body: [b2: {op: stage}]}
  - g: gap
  - f: flatten
  - fc: {op: linear, out: 5}
"""
    ir = archspec.check(write_spec(text))
    assert [h.output for h in ir.heads] == ["top/l", "b1/deep/l", "inner/b2/deep/l"]
    model = archspec.build(ir).train()
    outs = model(torch.randn(2, 3, 16, 16))
    assert [tuple(o.shape) for o in outs] == [(2, 5), (2, 3), (2, 7), (2, 7)]
    assert isinstance(model.eval()(torch.randn(1, 3, 16, 16)), torch.Tensor)


def test_the_network_may_not_read_a_head(write_spec):
    p = first_error(write_spec, HEAD + "network:\n  - c: {op: conv, out: 3, k: 1}\n"
                    "  - a: {op: aux, from: c, body: [g: {op: conv, out: 3, k: 1}]}\n  - s: {op: add, inputs: [c, a]}\n")
    assert (p.loc.line, p.loc.col) == (7, 30)
    assert p.message == "'a' is part of aux head 'a', which runs only in training"


def test_a_head_inside_a_head_is_refused(write_spec):
    p = first_error(write_spec, HEAD + "network:\n  - c: {op: conv, out: 3, k: 1}\n"
                    "  - a: {op: aux, from: c, body: [g: gap, b: {op: aux, from: g, body: [f: flatten]}]}\n")
    assert (p.loc.line, p.loc.col) == (6, 50) and p.message == "an aux head cannot hold another aux head (inside 'a')"


# ---- item 8: a block may read a node defined after it ------------------------------------------

LATER = HEAD + """blocks:
  reader:
    body: [c: {op: conv, out: 4, k: 1}, m: {op: add, inputs: [c, late]}]
network:
  - c1: {op: conv, out: 4, k: 1}
  - b: {op: reader}
  - late: {op: conv, out: 4, k: 1, inputs: [c1]}
  - s: {op: add, inputs: [b, late]}
"""


def test_a_block_reading_a_later_node_builds_and_computes_it(write_spec):
    ir = archspec.check(write_spec(LATER))
    model = archspec.build(ir).eval()
    x = torch.randn(1, 3, 16, 16)
    with torch.no_grad():
        c1 = model.c1(x)
        late = model.late(c1)
        expected = model.b.c(c1) + late + late
        assert torch.allclose(model(x), expected)
    assert [n for n, _ in model.named_children()] == ["c1", "b", "late", "s"]  # spec order kept


def test_a_block_reading_a_node_computed_from_its_own_output_is_refused_with_the_reason(write_spec):
    p = first_error(write_spec, LATER.replace("inputs: [c1]}", "inputs: [b/c]}"))
    assert (p.loc.line, p.loc.col) == (6, 66)
    assert p.message == "block 'b' reads 'late', which is itself computed from the output of 'b'"
    assert "runs as one module" in p.hint and "own input" not in p.message


# ---- item 4: exponential blocks; item 7: deep nesting -----------------------------------------

def doubling(n: int, bad: bool = False) -> str:
    """b_i uses b_(i-1) twice: b_n is 2**n convs."""
    lines = ["blocks:", "  b0:", "    body: [c: {op: conv, out: 4, k: 3, padding: 1%s}]" % (", bias: 3" if bad else "")]
    for i in range(1, n + 1):
        lines += [f"  b{i}:", f"    body: [x: {{op: b{i - 1}}}, y: {{op: b{i - 1}}}]"]
    return HEAD + "\n".join(lines) + f"\nnetwork:\n  - top: {{op: b{n}}}\n"


def chain(n: int) -> str:
    lines = ["blocks:", "  b0:", "    body: [c: {op: conv, out: 4, k: 3, padding: 1}]"]
    for i in range(1, n + 1):
        lines += [f"  b{i}:", f"    body: [x: {{op: b{i - 1}}}]"]
    return HEAD + "\n".join(lines) + f"\nnetwork:\n  - top: {{op: b{n}}}\n"


@pytest.fixture
def expansions(monkeypatch) -> list[int]:
    """Counts the items lowering expands."""
    counted: list[int] = []
    real = lowering._Lowerer.item
    monkeypatch.setattr(lowering._Lowerer, "item", lambda self, *a, **k: counted.append(1) or real(self, *a, **k))
    return counted


def test_doubling_blocks_stop_at_the_op_limit(write_spec, expansions):
    p = first_error(write_spec, doubling(25))
    assert (p.loc.line, p.loc.col) == (6, 12) and p.message == "the network expands to more than 20,000 ops"
    # it stops at the 20,001st conv: 2 items per conv (instance, conv) plus the instances above, not 2**26
    assert 2 * lowering.MAX_OPS < len(expansions) < 3.5 * lowering.MAX_OPS


def test_doubling_blocks_that_all_fail_stop_at_the_expansion_limit(write_spec, expansions):
    with pytest.raises(ArchspecError) as info:
        archspec.check(write_spec(doubling(25, bad=True)))
    assert len(expansions) == lowering.MAX_EXPANSIONS + 1
    bias, limit = info.value.problems
    assert (bias.loc.line, bias.loc.col) == (6, 58)
    assert bias.message.startswith("invalid value 3 for bias: expected a valid boolean (and in ")  # once, not 40,000 times
    assert (limit.loc.line, limit.message) == (8, "the network expands to more than 80,000 items")


def test_doubling_forty_levels_is_refused_at_once(write_spec, expansions):
    """The issue's n=40 (2**40 convs) took minutes and ended in SystemError."""
    p = first_error(write_spec, doubling(40))
    assert p.message == "scopes are nested more than 32 levels deep" and (p.loc.line, p.loc.col) == (24, 12)
    assert len(expansions) == 33  # straight down the first branch


def test_deep_block_chains_are_refused_at_the_level_that_is_too_deep(write_spec):
    for n in (500, 31):
        p = first_error(write_spec, chain(n))
        assert p.message == "scopes are nested more than 32 levels deep"
        assert p.path.count("/") == 32
    assert (p.loc.line, p.loc.col) == (6, 12)  # n=31: b0's conv is the 33rd level


def test_thirty_levels_build_and_run_forward(write_spec):
    ir = archspec.check(write_spec(chain(30)))
    model = archspec.build(ir)
    with torch.no_grad():
        assert model(torch.randn(1, 3, 16, 16)).shape == (1, 4, 16, 16)


# ---- item 12: build time linear in the number of scopes ----------------------------------------

class CountedNodes(dict):
    """An IR's node table that counts the records read from it: the exact measure of the
    builder's work (benchmarks/build_scaling.py times it, up to 16k blocks)."""

    reads = 0

    def __getitem__(self, nid):
        self.reads += 1
        return super().__getitem__(nid)

    def __iter__(self):
        self.reads += len(self)
        return super().__iter__()

    def items(self):
        self.reads += len(self)
        return super().items()

    def values(self):
        self.reads += len(self)
        return super().values()


def test_build_reads_each_node_a_bounded_number_of_times(write_spec):
    """8x the blocks is 8x the node reads; the quadratic builder (every scope filtered the whole
    graph) read 64x."""
    spec = HEAD + "blocks:\n  u:\n    body: [c: {op: conv, out: 3, k: 1}]\nnetwork:\n  - r: {op: repeat, block: u, times: %d}\n"
    reads = {}
    for n in (200, 1600):
        ir = archspec.check(write_spec(spec % n, f"s{n}.yaml"))
        ir.nodes = counted = CountedNodes(ir.nodes)
        model = archspec.build(ir, device="meta")
        assert len(list(model.r.children())) == n
        reads[n] = counted.reads
    assert 7.9 < reads[1600] / reads[200] <= 8


# ---- item 15: strict values --------------------------------------------------------------------

@pytest.mark.parametrize("item, col, message", [
    ("c1: {op: conv, out: 4, k: 3, bias: 'no'}", 40, "invalid value 'no' for bias: expected a valid boolean"),
    ("c1: {op: conv, out: 4, k: 3, norm: {kind: batchnorm, affine: 'false'}}", 66,
     "invalid value 'false' for norm.affine: expected a valid boolean"),
    ("p: {op: maxpool, k: 2, ceil_mode: 'True'}", 39, "invalid value 'True' for ceil_mode: expected a valid boolean"),
    ("b: {op: batchnorm, eps: true}", 29, "invalid value True for eps: expected a valid number"),
    ("b: {op: batchnorm, eps: .inf}", 29, "invalid value inf for eps: expected a finite number"),
    ("r: {op: residual, scale: .inf, body: [i: identity]}", 30, "invalid value inf for scale: expected a finite number"),
    ("l: {op: lrn, size: 5, alpha: .nan}", 34, "invalid value nan for alpha: expected a finite number"),
    ("c1: {op: conv, out: 4.0, k: 3}", 25, "invalid value 4.0 for out"),
])
def test_values_are_not_coerced(write_spec, item, col, message):
    with pytest.raises(ArchspecError) as info:
        archspec.check(write_spec(HEAD + f"network:\n  - {item}\n"))
    p = next(p for p in info.value.problems if message in p.message)
    assert (p.loc.line, p.loc.col) == (5, col)


def test_the_version_is_the_number_one_not_true(write_spec):
    p = first_error(write_spec, "archspec: true\nname: d\ninput: [3, 16, 16]\nnetwork:\n  - g: gap\n")
    assert (p.loc.line, p.loc.col) == (1, 11) and p.message == "invalid value True for archspec: expected 1, got the boolean true"


def test_an_integer_is_still_a_float(write_spec):
    ir = archspec.check(write_spec(HEAD + "network:\n  - b: {op: batchnorm, eps: 1}\n  - r: {op: residual, scale: 2, body: [i: identity]}\n"))
    assert ir["b"].args.eps == 1.0 and ir["r"].args.scale == 2.0


# ---- item 17: messages that tell -------------------------------------------------------------

def test_two_residuals_with_mapping_bodies_in_one_scope(write_spec):
    text = HEAD + "network:\n  - a: {op: residual, body: {op: conv, out: 3, k: 1}}\n  - b: {op: residual, body: {op: conv, out: 3, k: 1}}\n"
    ir = archspec.check(write_spec(text))
    model = archspec.build(ir)
    assert sorted(k for k in model.state_dict()) == ["a_body.bias", "a_body.weight", "b_body.bias", "b_body.weight"]


def test_a_name_defined_in_another_block_is_explained_not_suggested(write_spec):
    text = HEAD + ("blocks:\n  unit:\n    body: [mix: {op: conv, out: 4, k: 1}, o: {op: conv, out: 4, k: 1}]\n"
                   "network:\n  - u: {op: unit}\n  - s: {op: add, inputs: [u, mix]}\n")
    p = first_error(write_spec, text)
    assert (p.loc.line, p.loc.col) == (9, 30)
    assert p.message == "unknown reference 'mix': it is defined inside 'u', which this reference cannot see"
    assert "did you mean 'mix'" not in str(p) and "(block/name)" in p.hint
    assert archspec.check(write_spec(text.replace("[u, mix]", "[u, u/mix]"))).ok


def test_a_reference_to_a_failed_item_reports_only_the_item(write_spec):
    with pytest.raises(ArchspecError) as info:
        archspec.check(write_spec(HEAD + "network:\n  - mix: {op: conv, out: 4, k: 1, bias: 3}\n  - s: {op: add, inputs: [mix, mix]}\n"))
    assert [(p.loc.line, p.message) for p in info.value.problems] == [(5, "invalid value 3 for bias: expected a valid boolean")]


@pytest.mark.parametrize("override, line, col, message", [
    ("{set: {network.c1.k: 40}}", 8, 13, "conv kernel 40 (effective 40) is larger than its padded input height 16"),
    ("{set: {network.c1: {op: conv, out: 4, k: 40}}}", 8, 13, "conv kernel 40 (effective 40)"),
    ("{set: {network.c1.out: -1}}", 8, 13, "invalid value -1 for out"),
])
def test_override_errors_are_placed_at_the_override(write_spec, override, line, col, message):
    text = HEAD + "network:\n  - c1: {op: conv, out: 4, k: 3}\n  - c2: {op: conv, out: 4, k: 3}\nvariants:\n  v: " + override + "\n"
    p = first_error(write_spec, text, "#v")
    assert (p.loc.line, p.loc.col) == (line, col) and message in p.message


def test_a_cli_set_owns_the_item_it_changes(write_spec):
    path = write_spec(HEAD + "network:\n  - c1: {op: conv, out: 4, k: 3}\n")
    with pytest.raises(ArchspecError) as info:
        archspec.check(path, ["network.c1.k=40"])
    assert info.value.first.loc.file == "--set network.c1.k"


def test_an_unclosed_bracket_names_the_line_it_opened(write_spec):
    text = HEAD + "network: [\n  c1: {op: conv, out: 4, k: 3},\n  c2: identity\n\nvariants:\n  v: {}\n"
    p = first_error(write_spec, text)
    assert (p.loc.line, p.loc.col) == (8, 9)
    assert p.message == ("YAML syntax error: while parsing a flow sequence that starts at line 4, column 10, "
                         "did not find expected ',' or ']'")
    assert p.hint == "is the '[' at line 4 closed? Check the brackets between the two lines"
