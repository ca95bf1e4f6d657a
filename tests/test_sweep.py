"""`archspec sweep`: a grid of static checks, its failures with reasons, the Pareto front, write-back."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

import archspec
from archspec.cli import main
from archspec.errors import ArchspecError
from archspec.report.sweep import parse_axis, sweep

SPEC = """\
# a comment that must survive --save-variant
archspec: 1
name: scaled
input: [3, 32, 32]
blocks:
  stage:
    params: {out: channels, n: repeats}
    body:
      - first: {op: conv, out: "${out}", k: 3, padding: 1, stride: 2}
      - rest: {op: repeat, block: unit, times: "${n}", with: {out: "${out}"}}
  unit:
    params: {out: int}
    body: [c: {op: conv, out: "${out}", k: 3, padding: 1}]
network:
  - stem: {op: conv, out: 16, k: 3, padding: 1}   # stays 16: not declared as channels
  - s1: {op: stage, out: 32, n: 2}
  - pool: {op: maxpool, k: 8}
  - flat: flatten
  - fc: {op: linear, out: 10}
variants:
  keep: {description: an existing variant}
"""


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(SPEC, encoding="utf-8")
    return p


def conv_params(cin: int, cout: int) -> int:
    return cin * cout * 9 + cout  # 3x3 with bias


def test_every_combination_with_its_cost(spec: Path) -> None:
    rows = sweep(str(spec), [parse_axis("width=0.5,1"), parse_axis("depth=1,1.5"), parse_axis("resolution=16,32")])
    assert [r.setting for r in rows][:3] == [{"width": 0.5, "depth": 1, "resolution": 16},
                                            {"width": 0.5, "depth": 1, "resolution": 32},
                                            {"width": 0.5, "depth": 1.5, "resolution": 16}]
    by = {tuple(r.setting.values()): r for r in rows}
    # width 0.5: the stage has 16 channels; depth 1.5: ceil(2 * 1.5) = 3 units; the stem never scales
    r = by[(0.5, 1.5, 32)]
    assert r.cost is not None and r.cost.params == conv_params(3, 16) + conv_params(16, 16) * 4 + 16 * 2 * 2 * 10 + 10
    # resolution 16: the 8x8 pool after the stride-2 stage meets 8x8, so the classifier sees 16 channels
    assert by[(0.5, 1, 16)].cost.params == conv_params(3, 16) + conv_params(16, 16) * 3 + 16 * 10 + 10
    full = by[(1, 1, 32)]
    assert full.cost.params == archspec.check(spec).totals()["params"]
    assert full.cost.macs == archspec.check(spec).totals()["macs"]
    # fp32 bytes of the input and every op's output: stem, the stage's three convs, pool, flatten, fc
    assert full.cost.activation_bytes == 4 * (3 * 32 * 32 + 16 * 32 * 32 + 3 * 32 * 16 * 16 + 32 * 2 * 2 * 2 + 10)


def test_failures_carry_their_reason(spec: Path) -> None:
    rows = sweep(str(spec), [parse_axis("resolution=8,32")])
    assert rows[1].cost is not None and rows[0].cost is None
    assert rows[0].error == (f"{spec}:17:5: pool: maxpool kernel 8 (effective 8) is larger than its padded input "
                             "height 4 (input 32×4×4)")


def test_pareto_front(spec: Path) -> None:
    rows = sweep(str(spec), [parse_axis("width=0.5,1"), parse_axis("resolution=16,32")])
    front = {tuple(r.setting.values()) for r in rows if r.pareto}
    # at width 0.5, resolution 16 is cheaper on both counts than anything else
    assert front == {(0.5, 16)}


def test_any_set_path_is_an_axis(spec: Path) -> None:
    rows = sweep(str(spec), [parse_axis("network.s1.out=8,64")])
    assert [r.cost.params for r in rows if r.cost] == [archspec.check(spec, [f"network.s1.out={c}"]).totals()["params"]
                                        for c in (8, 64)]


def test_cli_formats_and_plot(spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", str(spec), "--grid", "width=0.5,1", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["setting"] for d in data] == [{"width": 0.5}, {"width": 1}]
    assert main(["sweep", str(spec), "--grid", "width=0.5,1", "--format", "csv"]) == 0
    table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert table[0] == ["width", "params", "macs", "activation_bytes", "pareto", "error"] and len(table) == 3
    out = tmp_path / "front.png"
    assert main(["sweep", str(spec), "--grid", "width=0.5,1", "depth=1,2", "--plot", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"
    text = capsys.readouterr().out
    assert "4 of 4 combinations pass the static check" in text


@pytest.mark.parametrize("name", ["front.png", "front.svg", "front.pdf", "FRONT.SVG"])
def test_plot_format_from_the_suffix(spec: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    assert main(["sweep", str(spec), "--grid", "width=0.5,1", "--plot", str(out)]) == 0
    data = out.read_bytes()
    suffix = out.suffix.lower()
    if suffix == ".png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    elif suffix == ".pdf":
        assert data[:5] == b"%PDF-"
    else:
        assert ElementTree.fromstring(data).tag == "{http://www.w3.org/2000/svg}svg"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["s.yaml", name])  # no temporary file left


@pytest.mark.parametrize("name", ["front.txt", "front"])
def test_plot_suffix_refused_before_the_sweep(spec: Path, tmp_path: Path, name: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / name
    assert main(["sweep", str(spec), "--grid", "width=0.5,1", "--plot", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no table: the sweep did not run
    assert captured.err == (f"error: --plot {out}: the suffix must be .png, .svg or .pdf (the plot's format is "
                            f"taken from it)\n    hint: for example --plot {tmp_path / 'front.svg'}\n")
    assert not out.exists()


def test_plot_never_overwrites_unasked(spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "front.svg"
    out.write_text("mine", encoding="utf-8")
    assert main(["sweep", str(spec), "--grid", "width=0.5,1", "--plot", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"error: --plot {out} exists; archspec does not overwrite a file unasked\n"
                            "    hint: pass --force to replace it, or name another file\n")
    assert out.read_text(encoding="utf-8") == "mine"
    assert main(["sweep", str(spec), "--grid", "width=0.5,1", "--plot", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"error: --plot {tmp_path} is a directory\n"
                                       "    hint: give a file name, e.g. --plot front.svg\n")
    assert main(["sweep", str(spec), "--grid", "width=0.5,1", "--plot", str(out), "--force"]) == 0
    assert ElementTree.fromstring(out.read_bytes()).tag == "{http://www.w3.org/2000/svg}svg"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["front.svg", "s.yaml"]  # no temporary file left


@pytest.mark.parametrize(("axis", "problem"), [
    ("widht=0.5,1", "--set widht: error: unknown key 'widht' in the spec\n    hint: did you mean 'width'?"),
    ("scale.widht=0.5,1", "--set scale.widht: error: unknown key 'widht' in the spec (at scale)\n"
                          "    hint: did you mean 'width'?"),
    ("network.s1.ouy=8,16", "--set network.s1.ouy: error: s1: block 'stage' has no param 'ouy'\n"
                            "    hint: did you mean 'out'?"),
    ("network.s2.out=8", "--set network.s2.out: error: no item named 's2' in network\n"
                         "    hint: did you mean 's1'?"),
])
def test_unknown_axis_key_refused_before_the_sweep(spec: Path, axis: str, problem: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    key = axis.partition("=")[0]
    assert main(["sweep", str(spec), "--grid", "depth=1,2", axis]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"{problem}\n--grid {key}: the key fails every combination, so nothing was swept\n"
    assert main(["check", str(spec), "--set", f"{key}=8"]) == 2
    # the same located message as `check --set`; a misspelt shorthand is offered the shorthand
    assert capsys.readouterr().err.splitlines()[0] == problem.splitlines()[0]


def test_a_values_own_failures_stay_per_row(spec: Path) -> None:
    # 'abc' and resolution 8 are the values' faults, not the keys': the grid is checked
    rows = sweep(str(spec), [parse_axis("width=abc,1"), parse_axis("resolution=8,32")])
    assert [r.cost is not None for r in rows] == [False, False, False, True]
    assert rows[0].error == "invalid value 'abc' for scale.width: expected a valid number"


def test_bad_grids(spec: Path) -> None:
    with pytest.raises(ArchspecError, match=r"--grid expects KEY=V1,V2,\.\.\., got 'width'"):
        parse_axis("width")
    with pytest.raises(ArchspecError, match=r"the grid has 10,201 combinations, more than 10,000"):
        sweep(str(spec), [parse_axis("width=" + ",".join(["1"] * 101)), parse_axis("depth=" + ",".join(["1"] * 101))])


def test_save_variant_keeps_the_file(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", str(spec), "--grid", "width=0.5", "depth=1.5", "--save-variant", "small"]) == 0
    text = spec.read_text(encoding="utf-8")
    assert text == SPEC + ('  small:\n    description: "saved by archspec sweep: width=0.5, depth=1.5"\n'
                           "    set: {scale.width: 0.5, scale.depth: 1.5}\n")  # every other byte as it was
    assert archspec.check(f"{spec}#small").totals() == archspec.check(spec, ["scale.width=0.5",
                                                                              "scale.depth=1.5"]).totals()
    capsys.readouterr()
    # both refused before the grid runs: no table is printed
    assert main(["sweep", str(spec), "--grid", "width=0.5", "--save-variant", "small"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and f"error: {spec} already has a variant 'small'" in captured.err
    assert main(["sweep", str(spec), "--grid", "width=0.5,1", "--save-variant", "other"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "needs a grid of one combination; this one has 2" in captured.err
    assert spec.read_text(encoding="utf-8") == text


def test_save_variant_splices_into_the_variants_block(tmp_path: Path) -> None:
    from archspec.spec.write_variant import with_variant

    text = SPEC.replace("variants:\n  keep: {description: an existing variant}\n",
                        "variants:\n  keep: {description: an existing variant}\n\n# the recipe\ntrain: {epochs: 1}\n")
    new = with_variant(text, "s.yaml", "v", {"scale.width": 0.5}, "d")
    assert new == text.replace("  keep: {description: an existing variant}\n",
                               '  keep: {description: an existing variant}\n  v:\n    description: "d"\n'
                               "    set: {scale.width: 0.5}\n")
    bare = SPEC.split("variants:")[0]
    assert with_variant(bare, "s.yaml", "v", {"scale.depth": 2}, "d") == (
        bare + 'variants:\n  v:\n    description: "d"\n    set: {scale.depth: 2}\n')
