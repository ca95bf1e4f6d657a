"""specs/googlenet.yaml against Table 1 of the GoogLeNet paper (seed 001_02c4c94278000d43.txt).

The table's "ops" column is in millions of multiply-adds per row; a "convolution" row with
depth 2 (the 3×3 with its 1×1 reduce) covers conv2 and conv3. No torch needed: the figures
come from the static IR.
"""

from __future__ import annotations

import pytest

import archspec
from archspec.ir.graph import IR
from conftest import SPECS

# Table 1, "ops" column (M): rows of the spec's network → the paper's figure
TABLE1_OPS = {
    ("conv1",): 34,
    ("conv2", "conv3"): 360,
    ("inception3a",): 128,
    ("inception3b",): 304,
    ("inception4a",): 73,
    ("inception4b",): 88,
    ("inception4c",): 100,
    ("inception4d",): 119,
    ("inception4e",): 170,
    ("inception5a",): 54,
    ("inception5b",): 71,
    ("fc",): 1,
}
# The paper's figures that its own architecture does not produce (see the spec's header)
INCONSISTENT = {("conv1",), ("inception5a",)}
# What the architecture does produce, exactly
ROW_MACS = {
    ("conv1",): 118_013_952,
    ("conv2", "conv3"): 12_845_056 + 346_816_512,
    ("inception3a",): 128_049_152,
    ("inception3b",): 304_267_264,
    ("inception4a",): 73_608_192,
    ("inception4b",): 87_908_352,
    ("inception4c",): 99_850_240,
    ("inception4d",): 118_515_712,
    ("inception4e",): 169_996_288,
    ("inception5a",): 51_079_168,
    ("inception5b",): 70_697_984,
    ("fc",): 1_024_000,
}


@pytest.fixture(scope="module")
def ir() -> IR:
    return archspec.check(SPECS / "googlenet.yaml")


def row_macs(ir: IR, names: tuple[str, ...]) -> int:
    """MACs of the main network's top-level items `names` (a block counts with everything inside)."""
    return sum(d.macs for _, d in ir.ops()
               if not d.head and (d.scope[0] if d.scope else d.name) in names)


@pytest.mark.parametrize("row", list(TABLE1_OPS), ids=lambda r: "+".join(r))
def test_row_macs_exact(ir, row):
    assert row_macs(ir, row) == ROW_MACS[row]


@pytest.mark.parametrize("row", [r for r in TABLE1_OPS if r not in INCONSISTENT and r != ("fc",)],
                         ids=lambda r: "+".join(r))
def test_row_macs_match_table1_within_1_percent(ir, row):
    paper = TABLE1_OPS[row] * 1e6
    assert abs(row_macs(ir, row) - paper) <= 0.01 * paper


def test_linear_row_matches_table1_to_its_precision(ir):
    # "1M" is printed to one significant digit: 1024 × 1000 = 1,024,000 rounds to it
    assert round(row_macs(ir, ("fc",)) / 1e6) == TABLE1_OPS[("fc",)]


@pytest.mark.parametrize("row", sorted(INCONSISTENT), ids=lambda r: "+".join(r))
def test_inconsistent_rows_are_off_by_more_than_1_percent(ir, row):
    paper = TABLE1_OPS[row] * 1e6
    assert abs(row_macs(ir, row) - paper) > 0.01 * paper


def test_conv1_is_the_7x7_convolution_the_table_describes(ir):
    d = ir["conv1"]
    assert d.shape == (64, 112, 112)
    assert d.params == 7 * 7 * 3 * 64 + 64  # the table's 2.7K does not fit a 7×7×3 kernel
    assert d.macs == 7 * 7 * 3 * 64 * 112 * 112


def test_total_is_the_papers_1_5_G_plus_the_two_inconsistent_rows(ir):
    total = ir.totals(include_heads=False)["macs"]
    assert total == 1_582_671_872
    table_total = sum(TABLE1_OPS.values()) * 1e6  # 1502 M: the paper's "1.5 billion multiply-adds"
    correction = sum(ROW_MACS[r] - TABLE1_OPS[r] * 1e6 for r in INCONSISTENT)
    assert abs(total - (table_total + correction)) <= 0.01 * table_total
    assert 1.5e9 <= total < 1.6e9


def test_grid_sizes_follow_table1(ir):
    shapes = {n: ir[n].shape for n in ("maxpool1", "conv3", "inception3b", "inception4e", "inception5b", "fc")}
    assert shapes == {"maxpool1": (64, 56, 56), "conv3": (192, 56, 56), "inception3b": (480, 28, 28),
                      "inception4e": (832, 14, 14), "inception5b": (1024, 7, 7), "fc": (1000,)}


def test_parameters_and_aux_heads(ir):
    assert ir.totals(include_heads=False)["params"] == 6_998_552
    assert ir.totals()["params"] == 13_378_280
    heads = [(h.name, h.source, h.loss_weight, ir[h.output].shape) for h in ir.heads]
    assert heads == [("aux1", "inception4a", 0.3, (1000,)), ("aux2", "inception4d", 0.3, (1000,))]
    assert ir["aux1/pool"].shape == (512, 4, 4) and ir["aux2/pool"].shape == (528, 4, 4)
    assert ir["aux1/dropout"].args.p == 0.7 and ir["dropout"].args.p == 0.4


def test_paper_conventions(ir):
    assert ir["lrn1"].op == "lrn" and ir["lrn2"].op == "lrn"
    conv = ir["inception3a/branch3/branch3_1"].args
    assert (conv.k, conv.bias, conv.norm, conv.act) == (5, True, "none", "relu")
    assert ir["maxpool1"].args.ceil_mode


def test_aux_heads_written_once_as_a_block(ir):
    for head in ("aux1", "aux2"):
        scope = ir.scopes[(head,)]
        assert (scope.kind, scope.block) == ("aux", "aux_head")
        # the block's items are the head's own children: aux1.conv, aux1.fc1 as in torchvision
        assert [ir[n].name for n in ir.graph if n.startswith(head + "/")] == \
            ["pool", "conv", "flatten", "fc1", "dropout", "fc2"]


@pytest.mark.parametrize("aux, message", [
    ("{op: aux, from: c1, block: head, body: [g: gap]}", "aux takes `body:` or `block:`, not both"),
    ("{op: aux, from: c1, block: haed}", "aux names unknown block 'haed'"),
    ("{op: aux, from: c1, block: head, with: {n: 3}}", "block 'head' has no param 'n'"),
])
def test_aux_block_errors(write_spec, aux, message):
    path = write_spec(f"""
        archspec: 1
        name: t
        input: [3, 8, 8]
        blocks:
          head: {{body: [g: gap, f: flatten, fc: {{op: linear, out: 2}}]}}
        network:
          - c1: {{op: conv, out: 4, k: 3}}
          - aux: {aux}
          - g: gap
        """)
    with pytest.raises(archspec.ArchspecError, match=message.replace("(", r"\(")) as e:
        archspec.check(path)
    assert e.value.first.loc.line == 8  # the aux item
