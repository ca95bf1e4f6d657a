"""`archspec diff` and `render --diff` on hand-made variant pairs, each delta worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import archspec
from archspec.cli import main
from archspec.ir.compare import Change, Diff, diff
from archspec.render import Options, Overlay, dot_source
from conftest import ROOT

PAIRS = """\
extends: {parent}
variants:
  five_17x17:
    insert:
      - after: network.Mixed_6e
        items: [Mixed_6f: {{op: inception_c, channels_7x7: 192}}]
  wide_pool:
    set: {{network.Mixed_5b.pool_features: 64}}
"""
INCEPTION_C_192 = 768 * 192 * 4 + 192 * 192 * 7 * 6 + 10 * 2 * 192
INCEPTION_C_192_MACS = (768 * 192 * 4 + 192 * 192 * 7 * 6) * 17 * 17


@pytest.fixture
def v3(tmp_path: Path) -> Path:
    p = tmp_path / "v3.yaml"
    p.write_text(PAIRS.format(parent="inception_v3"), encoding="utf-8")
    return p


def compare(a: str, b: str, sets: list[str] | None = None, level: str = "block") -> Diff:
    return diff(archspec.check(a), archspec.check(b, sets), level)


def delta(d: Diff) -> tuple[int, int]:
    a, b = d.totals
    return b.params - a.params, b.macs - a.macs


def test_insert_a_block(v3: Path) -> None:
    d = compare(str(v3), f"{v3}#five_17x17")
    assert [(n.status, n.path, n.what) for n in d.nodes] == [
        ("added", "Mixed_6f", "inception_c"),
        ("changed", "Mixed_7a", "inception_d"),
    ]
    assert d.nodes[1].changes == (Change("inputs", ["Mixed_6e"], ["Mixed_6f"]),)
    assert delta(d) == (INCEPTION_C_192, INCEPTION_C_192_MACS)  # +2,141,952 params, +617.9 M MACs
    row = {c.name: c for c in d.costs}["Mixed_6f"]
    assert row.params == (None, INCEPTION_C_192) and row.shape == (None, (768, 17, 17))
    # nothing before the insertion point shifts: every other block costs what it cost
    assert all(c.params[0] == c.params[1] and c.macs[0] == c.macs[1] for c in d.costs if c.name != "Mixed_6f")


def test_widen_a_branch(v3: Path) -> None:
    d = compare(str(v3), f"{v3}#wide_pool")
    n, after = d.nodes
    assert (n.path, n.changes[0]) == ("Mixed_5b", Change("pool_features", 32, 64))
    # Mixed_5c's own fields are the same, but it reads 32 more channels: changed, and why
    assert (after.path, after.status, after.changes) == ("Mixed_5c", "changed",
                                                         (Change("input", "256×35×35", "288×35×35"),))
    rows = {c.name: c for c in d.costs}
    # Mixed_5b: 32 more 1x1 filters over 192 channels (+BN); Mixed_5c: its first convs (64+48+64+64
    # filters) see 32 more channels; the shape at 35x35 is where both costs scale
    assert rows["Mixed_5b"].params[1] - rows["Mixed_5b"].params[0] == 32 * 192 + 2 * 32
    assert rows["Mixed_5c"].params[1] - rows["Mixed_5c"].params[0] == 32 * 240
    assert rows["Mixed_5b"].shape == ((256, 35, 35), (288, 35, 35))
    assert delta(d) == (32 * 192 + 64 + 32 * 240, (32 * 192 + 32 * 240) * 35 * 35)


def test_change_the_input() -> None:
    tiny = str(ROOT / "tests" / "data" / "tiny.yaml")
    d = compare(tiny, tiny, ["input=[3,64,64]"])
    # every block reads a twice-as-large map; the head's fc reads gap's 28 values either way
    assert [(n.path, n.changes) for n in d.nodes] == [
        ("input", (Change("shape", [3, 32, 32], [3, 64, 64]),)),
        ("conv1", (Change("input", "3×32×32", "3×64×64"),)),
        ("mix", (Change("input", "16×16×16", "16×32×32"),)),
        ("res", (Change("input", "28×16×16", "28×32×32"),)),
        ("aux", (Change("input", "28×16×16", "28×32×32"),)),
        ("gap", (Change("input", "28×16×16", "28×32×32"),)),
    ]
    a, b = d.totals
    fc = 28 * 10  # the classifier after global pooling costs the same at any resolution
    assert b.params == a.params and b.macs - fc == 4 * (a.macs - fc)


def test_remove_a_pool() -> None:
    d = compare("cifar10_cnn", "cifar10_cnn", ["network.max_pooling2d_1={op: identity}"], level="op")
    assert [(n.status, n.path) for n in d.nodes] == [("changed", "max_pooling2d_1"), ("changed", "dropout_1"),
                                                      ("changed", "flatten"), ("changed", "dense")]
    assert d.nodes[0].changes[0] == Change("op", "maxpool", "identity")
    assert [n.changes for n in d.nodes[1:]] == [(Change("input", "64×6×6", "64×13×13"),)] * 2 + [
        (Change("input", "2304", "10816"),)]
    # the flatten grows from 64x6x6 to 64x13x13, and so does dense's fan-in
    assert delta(d) == ((64 * 13 * 13 - 64 * 6 * 6) * 512, (64 * 13 * 13 - 64 * 6 * 6) * 512)


def test_remove_and_rename_are_by_name(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("extends: cifar10_cnn\nvariants:\n  no_pool: {remove: [network.max_pooling2d_1]}\n"
                 "  renamed:\n    remove: [network.dropout_2]\n"
                 "    insert: [{after: network.relu_4, items: [drop: {op: dropout, p: 0.5}]}]\n")
    d = compare(str(p), f"{p}#no_pool", level="op")
    assert [(n.status, n.path) for n in d.nodes] == [("removed", "max_pooling2d_1"), ("changed", "dropout_1"),
                                                      ("changed", "flatten"), ("changed", "dense")]
    assert d.nodes[1].changes == (Change("inputs", ["max_pooling2d_1"], ["relu_3"]),
                                  Change("input", "64×6×6", "64×13×13"))
    d = compare(str(p), f"{p}#renamed", level="op")
    assert [(n.status, n.path) for n in d.nodes] == [("removed", "dropout_2"), ("added", "drop"),
                                                      ("changed", "dense_1")]
    assert delta(d) == (0, 0)


def test_a_free_hyperparameter() -> None:
    d = compare("cifar10_cnn", "cifar10_cnn", ["network.dropout.p=0.5"])
    assert [(n.path, n.changes) for n in d.nodes] == [("dropout", (Change("p", 0.25, 0.5),))]
    assert delta(d) == (0, 0) and d.totals[0] == d.totals[1]


def test_identical_specs_have_no_changes() -> None:
    d = compare("inception_v3", "inception_v3")
    assert d.identical and d.nodes == ()


def test_cli_text_json_markdown(v3: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(v3), "#five_17x17"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == ("params 23,834,568 → 25,976,520 (+2,141,952) (+9.0%), MACs 5,713,216,096 → 6,331,130,464 "
                       "(+617,914,368) (+10.8%); with aux heads 27,161,264 → 29,303,216")
    assert any(line.split() == ["added", "Mixed_6f", "inception_c"] for line in out)
    assert main(["diff", str(v3), "#five_17x17", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["nodes"][0] == {"path": "Mixed_6f", "status": "added", "what": "inception_c", "changes": []}
    assert main(["diff", str(v3), "#five_17x17", "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "| added | `Mixed_6f` | inception_c |" in md


def test_render_marks_the_difference(v3: Path, tmp_path: Path) -> None:
    b = archspec.check(f"{v3}#five_17x17")
    overlay = Overlay.of(diff(archspec.check(v3), b, "op"))
    # Mixed_7a's three branches read Mixed_6f now; Mixed_6f's 10 convs, its pool and its concat are new
    assert overlay.changed == {"Mixed_7a/branch3x3/branch3x3_1", "Mixed_7a/branch7x7x3/branch7x7x3_1",
                               "Mixed_7a/branch_pool"}
    assert len(overlay.added) == 12 and all(n.split("/")[0] == "Mixed_6f" for n in overlay.added)
    src = dot_source(b, Options(), overlay)
    assert "Mixed_6f [label=" in src
    line = next(s for s in src.splitlines() if s.strip().startswith("Mixed_6f "))
    assert "color=\"#38761d\"" in line and "penwidth=4" in line
    assert f"added against {v3}" in src
    out = tmp_path / "d.gv"
    assert main(["render", f"{v3}#five_17x17", "--diff", str(v3), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").strip() == src.strip()


def test_an_added_block_does_not_fold_into_a_run(tmp_path: Path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text("""\
archspec: 1
name: stack
input: [8, 16, 16]
blocks:
  unit: {body: [c: {op: conv, out: 8, k: 3, padding: 1}]}
network:
  - u1: unit
  - u2: unit
  - f: flatten
variants:
  three: {insert: [{after: network.u2, items: [u3: unit]}]}
""")
    b = archspec.check(f"{p}#three")
    assert "u1 … u3" in dot_source(b)  # without an overlay the three identical blocks fold
    src = dot_source(b, Options(), Overlay.of(diff(archspec.check(p), b, "op")))
    assert "u1 … u2" in src and "u1 … u3" not in src and "\tu3 [label=" in src


def test_a_delta_too_small_for_a_tenth_of_a_percent_keeps_its_sign(capsys: pytest.CaptureFixture[str]) -> None:
    # one pool filter fewer in Mixed_5b: -(192 + 2) params there and -240 in Mixed_5c, of 23.8 M
    assert main(["diff", "inception_v3", "inception_v3", "--set", "network.Mixed_5b.pool_features=31"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "params 23,834,568 → 23,834,134 (-434) (-<0.1%), MACs 5,713,216,096 → 5,712,686,896 (-529,200) (-<0.1%); "
        "with aux heads 27,161,264 → 27,160,830")


def test_a_block_that_reads_a_wider_input_is_listed_with_why(v3: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(v3), "#wide_pool"]) == 0
    assert capsys.readouterr().out.splitlines()[3:6] == [
        "         node      change",
        "changed  Mixed_5b  pool_features: 32 → 64, ops inside: 1 added, removed or changed (--level op lists them)",
        "changed  Mixed_5c  input: 256×35×35 → 288×35×35",
    ]


def test_level_op_costs_every_op(capsys: pytest.CaptureFixture[str]) -> None:
    tiny = str(ROOT / "tests" / "data" / "tiny.yaml")
    assert main(["diff", tiny, tiny, "--set", "network.conv1.out=24", "--level", "op"]) == 0
    out = capsys.readouterr().out.splitlines()
    at = out.index("op               output A  output B  params A  params B  Δ params     MACs A     MACs B    Δ MACs")
    # 8 more stem filters: 8 × 27 weights + 2 × 8 BatchNorm; each 1x1 conv reading the stem sees 8 more channels
    assert out[at + 1:at + 3] == [
        "conv1            16×16×16  24×16×16       464       696      +232    110,592    165,888   +55,296",
        "mix/b1           16×16×16  16×16×16       288       416      +128     65,536     98,304   +32,768",
    ]
    assert out[at + 20] == "total            3×32×32   3×32×32      6,058     6,482      +424  1,429,784  1,534,232  +104,448"
    assert main(["diff", tiny, tiny, "--set", "network.conv1.out=24", "--level", "op", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["level"], len(data["costs"])) == ("op", 19)
    assert data["costs"][1] == {"name": "mix/b1", "shape": [[16, 16, 16], [16, 16, 16]], "params": [288, 416],
                                "macs": [65536, 98304]}
    assert main(["diff", tiny, tiny, "--format", "markdown"]) == 0
    assert "| block | output A |" in capsys.readouterr().out
