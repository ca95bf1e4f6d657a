"""Width, depth and resolution multipliers: only what the spec declares as a count scales."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspec
from archspec.cli import main
from archspec.errors import ArchspecError
from archspec.spec.scaling import Scaling

SPEC = """\
archspec: 1
name: scaled
input: [3, 32, 32]
params: {classes: 10}
blocks:
  stage:
    params: {out: channels, n: repeats, k: {type: int, default: 3}}
    body:
      - first: {op: conv, out: "${out}", k: "${k}", padding: 1, stride: 2}
      - rest: {op: repeat, block: unit, times: "${n}", with: {out: "${out}"}}
  unit:
    params: {out: int}
    body: [c: {op: conv, out: "${out}", k: 3, padding: 1}]
network:
  - stem: {op: conv, out: "${channels(16)}", k: 3, padding: 1}
  - s1: {op: stage, out: 24, n: 2}
  - head: {op: conv, out: "${divisible(1280 * max(1, width))}", k: 1}
  - gap: gap
  - flat: flatten
  - fc: {op: linear, out: "${classes}"}
"""


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    p = tmp_path / "scaled.yaml"
    p.write_text(SPEC, encoding="utf-8")
    return p


def convs(ir: archspec.IR) -> dict[str, int]:  # type: ignore[name-defined]
    return {nid: d.shape[0] for nid, d in ir.ops() if d.op == "conv"}


@pytest.mark.parametrize("value, width, expected", [
    (32, 0.5, 16), (24, 0.75, 24), (1280, 0.5, 640), (96, 0.35, 32), (16, 0.25, 8), (40, 1.1, 48), (320, 1.1, 352),
])
def test_channels_round_as_mobilenet_and_efficientnet_do(value: int, width: float, expected: int) -> None:
    # torchvision's _make_divisible / timm's round_channels: nearest multiple of 8, at least 8,
    # never more than 10% below the unrounded value (24 x 0.75 = 18 would round to 16: 24)
    assert Scaling(width=width).channels(value) == expected


def test_identity_at_one(spec: Path) -> None:
    ir = archspec.check(spec)
    assert convs(ir) == {"stem": 16, "s1/first": 24, "s1/rest/unit_1/c": 24, "s1/rest/unit_2/c": 24, "head": 1280}
    assert Scaling().channels(36) == 36 and Scaling().repeats(3) == 3


def test_width_scales_declared_channels_only(spec: Path) -> None:
    ir = archspec.check(spec, ["scale.width=0.5"])
    assert convs(ir) == {"stem": 8, "s1/first": 16, "s1/rest/unit_1/c": 16, "s1/rest/unit_2/c": 16, "head": 1280}
    assert ir[ir.output].shape == (10,)  # the class count and the kernel size are never scaled
    assert ir["s1/first"].args.k == 3
    wide = archspec.check(spec, ["scale.width=1.5"])
    assert convs(wide)["head"] == 1920 and convs(wide)["stem"] == 24


def test_depth_scales_repeats_up(spec: Path) -> None:
    ir = archspec.check(spec, ["scale.depth=1.2"])  # ceil(2 x 1.2) = 3
    assert [n for n in convs(ir) if n.startswith("s1/rest/")] == [f"s1/rest/unit_{i}/c" for i in (1, 2, 3)]


def test_resolution_sets_the_input(spec: Path) -> None:
    ir = archspec.check(spec, ["scale.resolution=64"])
    assert ir.input_shape == (3, 64, 64) and ir["s1/first"].shape == (24, 32, 32)
    assert archspec.load(spec, ["scale.resolution=64"]).spec.input == (3, 64, 64)


def test_flags_are_the_same_as_set(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(spec), "--width", "0.5", "--depth", "1.2", "--resolution", "64"]) == 0
    flags = capsys.readouterr().out
    assert main(["check", str(spec), "--set", "scale.width=0.5", "--set", "scale.depth=1.2",
                 "--set", "scale.resolution=64"]) == 0
    assert capsys.readouterr().out == flags
    assert "input 3×64×64" in flags


def test_a_variant_scales(spec: Path) -> None:
    spec.write_text(SPEC + "variants:\n  small: {set: {scale.width: 0.5, scale.resolution: 16}}\n")
    ir = archspec.check(f"{spec}#small")
    assert ir.input_shape == (3, 16, 16) and convs(ir)["stem"] == 8


@pytest.mark.parametrize("setting, value", [
    ("scale.width=0", "0"), ("scale.width=-1", "-1"), ("scale.depth=.inf", "inf"), ("scale.resolution=0.5", "0.5"),
    ("scale.divisor=0", "0"), ("scale.width=true", "True"),
])
def test_bad_multipliers_are_located(spec: Path, setting: str, value: str) -> None:
    with pytest.raises(ArchspecError) as info:
        archspec.check(spec, [setting])
    key = setting.partition("=")[0]
    p = info.value.first
    assert p.message.startswith(f"invalid value {value} for {key}: ") and p.loc.file == f"--set {key}"


def test_a_channels_param_must_be_an_integer(spec: Path) -> None:
    spec.write_text(SPEC.replace("out: 24, n: 2", "out: 24.5, n: 2"))
    with pytest.raises(ArchspecError) as info:
        archspec.check(spec)
    p = info.value.first
    assert p.message == "block 'stage' param 'out' expects channels, got 24.5" and p.loc.line == 16


def test_a_multiplier_that_scales_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ArchspecError) as info:
        archspec.check("inception_v3", ["scale.width=0.5"])  # its counts are literal: none declared
    p = info.value.first
    assert (str(p.loc), p.message) == ("--set scale.width", "scale.width is 0.5, but this spec declares no channels "
                                                            "count, so nothing would scale")
    assert p.hint.startswith("declare block params `type: channels`, or write ${channels(N)}")
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC + "scale: {depth: 2}\n")  # SPEC's stage declares repeats: fine
    assert archspec.check(spec).totals()["params"] > archspec.check(tmp_path / "s.yaml", ["scale.depth=1"]).totals()["params"]
    spec.write_text(SPEC.replace("n: repeats", "n: int") + "scale: {depth: 2}\n")
    with pytest.raises(ArchspecError) as info:
        archspec.check(spec)
    assert (info.value.first.loc.line, info.value.first.loc.col) == (21, 16)  # the `2` of `depth: 2`


@pytest.mark.parametrize("ref, params", [
    ("efficientnet_b0#b1", 7_794_184),     # timm efficientnet_b1: depth 1.1, 240×240
    ("efficientnet_b0#b2", 9_109_994),     # timm efficientnet_b2: width 1.1, depth 1.2, 260×260
    ("efficientnet_b0", 5_288_548),        # the multipliers at 1 change nothing
])
def test_efficientnet_compound_scaling_is_the_reference_family(ref: str, params: int) -> None:
    assert archspec.check(ref).totals()["params"] == params


def test_mobilenet_v2_width_half_is_torchvisions() -> None:
    ir = archspec.check("mobilenet_v2", ["scale.width=0.5"])  # torchvision mobilenet_v2(width_mult=0.5)
    assert ir.totals()["params"] == 1_968_680
