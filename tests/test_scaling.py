"""Width, depth and resolution multipliers: only what the spec declares as a count scales."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspec
from archspec.cli import main
from archspec.errors import ArchspecError
from archspec.ir.graph import IR
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


def test_the_verdict_names_the_multipliers_applied(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "inception_v3", "--width", "0.5"]) == 0
    assert capsys.readouterr().out.rstrip().endswith(
        "inception_v3.yaml (width 0.5) — 132 ops, input 3×299×299 → output 1000, 7,505,088 params "
        "(6,480,216 without aux heads), 1.43G MACs")
    assert main(["check", "mobilenet_v2", "--width", "0.5", "--resolution", "160"]) == 0
    assert capsys.readouterr().out.rstrip().endswith(
        "mobilenet_v2.yaml (width 0.5, resolution 160) — 66 ops, input 3×160×160 → output 1000, 1,968,680 params, "
        "50.18M MACs")
    assert main(["check", "inception_v3", "--width", "1"]) == 0  # the identity names nothing
    assert capsys.readouterr().out.rstrip().endswith("inception_v3.yaml — 132 ops, input 3×299×299 → output 1000, "
                                                     "27,161,264 params (23,834,568 without aux heads), 5.71G MACs")


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
        archspec.check("inception_v4", ["scale.width=0.5"])  # its counts are literal: none declared
    p = info.value.first
    assert (str(p.loc), p.message) == ("--set scale.width", "scale.width is 0.5, but this spec declares no channels "
                                                            "count, so nothing would scale")
    assert p.hint.startswith("declare block params `type: channels`, or write ${channels(N)}")
    assert "scale.channel_args" in p.hint
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


def conv_bn(cin: int, cout: int, kh: int, kw: int | None = None) -> int:
    """A bias-free conv and its BatchNorm's weight and bias, counted by hand."""
    return cin * cout * kh * (kw or kh) + 2 * cout


def mixed_5b(c: int, w: float) -> tuple[int, int]:
    """(params, channels out) of Inception-v3's first 35×35 module (torchvision InceptionA,
    pool_features 32) on c input channels, every filter count times w."""
    n = {f: int(f * w) for f in (32, 48, 64, 96)}  # the counts at 0.5 and 1.5 are multiples of 8 already
    params = (conv_bn(c, n[64], 1)                                                   # branch1x1
              + conv_bn(c, n[48], 1) + conv_bn(n[48], n[64], 5)                        # branch5x5
              + conv_bn(c, n[64], 1) + conv_bn(n[64], n[96], 3) + conv_bn(n[96], n[96], 3)  # branch3x3dbl
              + conv_bn(c, n[32], 1))                                                  # branch_pool
    return params, n[64] + n[64] + n[96] + n[32]


def item_params(ir: IR, item: str) -> int:
    return sum(ir[n].params for n in ir.top_level()[item])


@pytest.mark.parametrize("width", [0.5, 1.0, 1.5])
def test_inception_v3_declares_its_conv_outs_as_channel_counts(width: float) -> None:
    # scale.channel_args: [conv.out] scales literal counts (64, 96) and computed ones
    # (${pool_features}) alike; kernel sizes and the class count stay
    ir = archspec.check("inception_v3", [f"scale.width={width}"])
    c_in = int(192 * width)  # Conv2d_4a_3x3's 192 filters
    assert ir["Conv2d_4a_3x3"].shape[0] == c_in
    params, c_out = mixed_5b(c_in, width)
    assert (item_params(ir, "Mixed_5b"), ir["Mixed_5b"].shape) == (params, (c_out, 35, 35))
    assert ir["Mixed_5b/branch5x5/branch5x5_2"].args.k == 5
    assert ir["fc"].params == int(2048 * width) * 1000 + 1000 and ir[ir.output].shape == (1000,)


def inception_v3_params(w: float) -> tuple[int, int]:
    """(params, params of the aux head) of torchvision's Inception3 with every filter count
    times w, counted by hand from its module list — an independent count of the whole network."""
    def f(n: int) -> int:
        return int(n * w)  # every count of the network times 0.5 or 1.5 is a multiple of 8: no rounding

    def a(c: int, pool: int) -> tuple[int, int]:
        return mixed_5b(c, w)[0] - conv_bn(c, f(32), 1) + conv_bn(c, f(pool), 1), f(64) + f(64) + f(96) + f(pool)

    def b(c: int) -> tuple[int, int]:
        return (conv_bn(c, f(384), 3) + conv_bn(c, f(64), 1) + conv_bn(f(64), f(96), 3) + conv_bn(f(96), f(96), 3),
                f(384) + f(96) + c)

    def c_(c: int, c7: int) -> tuple[int, int]:
        seven = conv_bn(c7, c7, 1, 7)
        return (conv_bn(c, f(192), 1) + conv_bn(c, c7, 1) + seven + conv_bn(c7, f(192), 7, 1)
                + conv_bn(c, c7, 1) + 3 * seven + conv_bn(c7, f(192), 1, 7) + conv_bn(c, f(192), 1), 4 * f(192))

    def d(c: int) -> tuple[int, int]:
        return (conv_bn(c, f(192), 1) + conv_bn(f(192), f(320), 3) + conv_bn(c, f(192), 1)
                + 2 * conv_bn(f(192), f(192), 1, 7) + conv_bn(f(192), f(192), 3), f(320) + f(192) + c)

    def e(c: int) -> tuple[int, int]:
        pair = 2 * conv_bn(f(384), f(384), 1, 3)
        return (conv_bn(c, f(320), 1) + conv_bn(c, f(384), 1) + pair + conv_bn(c, f(448), 1)
                + conv_bn(f(448), f(384), 3) + pair + conv_bn(c, f(192), 1), f(320) + 4 * f(384) + f(192))

    total = (conv_bn(3, f(32), 3) + conv_bn(f(32), f(32), 3) + conv_bn(f(32), f(64), 3)
             + conv_bn(f(64), f(80), 1) + conv_bn(f(80), f(192), 3))
    c = f(192)
    aux = 0
    for module, arg in [(a, 32), (a, 64), (a, 64), (b, None), (c_, f(128)), (c_, f(160)), (c_, f(160)),
                        (c_, f(192)), (d, None), (e, None), (e, None)]:
        if module is d:
            aux = conv_bn(c, f(128), 1) + conv_bn(f(128), f(768), 5) + f(768) * 1000 + 1000
        params, c = module(c) if arg is None else module(c, arg)  # type: ignore[operator]
        total += params
    return total + c * 1000 + 1000, aux


@pytest.mark.parametrize("width", [0.5, 1.0, 1.5])
def test_inception_v3_width_figures(width: float) -> None:
    # the table of docs/tutorial.md, section 12: parameters counted by hand for the whole
    # network, multiply-adds for Mixed_5b (each conv's weights once per 35×35 output pixel)
    ir = archspec.check("inception_v3", [f"scale.width={width}"])
    params, aux = inception_v3_params(width)
    assert (ir.totals(include_heads=False)["params"], ir.totals()["params"]) == (params, params + aux)
    convs_5b = [n for n in ir.top_level()["Mixed_5b"] if ir[n].op == "conv"]
    weights = sum(ir[n].params - 2 * ir[n].shape[0] for n in convs_5b)  # less the BatchNorm affine
    assert sum(ir[n].macs for n in convs_5b) == weights * 35 * 35


def test_channel_args_leave_counts_read_from_the_input_shape() -> None:
    # #se squeezes ${input.c // reduction}: the input is already scaled, so it is not scaled again
    ir = archspec.check("inception_v3#se", ["scale.width=0.5"])
    assert ir["SE_5b/fc1"].shape[0] == ir["Mixed_5b"].shape[0] // 16 == 8


@pytest.mark.parametrize("width", [0.75, 1.25])
def test_se_variants_gate_any_width(width: float) -> None:
    """At 0.75 Mixed_5c gives 216 channels, not a multiple of 16: the expansion reads the block's
    input (${block_input.c}), so SE gives back 216, not 13 × 16 = 208."""
    ir = archspec.check("inception_v3#se", [f"scale.width={width}"])
    for name in ("SE_5b", "SE_5c", "SE_6a", "SE_7c"):
        c = ir[name.replace("SE", "Mixed") if name != "SE_6a" else "Mixed_6a"].shape[0]
        assert ir[f"{name}/fc1"].shape[0] == c // 16 and ir[f"{name}/fc2"].shape[0] == c
    assert ir["SE_5c/fc2"].shape[0] == (216 if width == 0.75 else 360)


CHANNEL_ARGS = """\
archspec: 1
name: literal
input: [3, 32, 32]
scale: {channel_args: [conv.out]}
blocks:
  unit:
    params: {out: channels}
    body: [c: {op: conv, out: "${out}", k: 3}]
network:
  - stem: {op: conv, out: 16, k: 3}
  - gap: gap
  - flat: flatten
  - fc: {op: linear, out: 10}
"""


@pytest.mark.parametrize("entry, message, hint", [
    ("conv.outs", "scale.channel_args: op 'conv' has no argument 'outs'", "did you mean 'out' or 'groups'?"),
    ("cnv.out", "scale.channel_args names unknown op kind 'cnv'", "did you mean 'conv'?"),
])
def test_channel_args_are_checked(tmp_path: Path, entry: str, message: str, hint: str) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(CHANNEL_ARGS.replace("[conv.out]", f"[{entry}]"))
    with pytest.raises(ArchspecError) as info:
        archspec.check(spec)
    p = info.value.first
    assert (p.message, p.hint, p.loc.line, p.loc.col) == (message, hint, 4, 24)


def test_channel_args_and_channels_params_do_not_mix(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(CHANNEL_ARGS.replace("  - fc:", "  - u: {op: unit, out: 32}\n  - fc:"))
    with pytest.raises(ArchspecError) as info:
        archspec.check(spec)
    p = info.value.first
    assert p.message == ("scale.channel_args scales every value of conv.out, so a `channels` param or "
                         "${channels(N)} would be scaled twice")
    assert (p.loc.line, p.loc.col) == (4, 23)
    spec.write_text(CHANNEL_ARGS)
    ir = archspec.check(spec, ["scale.width=0.5"])  # linear.out is not named: the classes stay
    assert (ir["stem"].shape[0], ir["fc"].shape) == (8, (10,))


def test_mobilenet_v3_large_width_is_timms() -> None:
    # timm's mobilenetv3_large_075 (the count is checked against timm itself in
    # test_reference_equivalence.py); the figures below by hand from timm's arch_def
    ir = archspec.check("mobilenet_v3_large", ["scale.width=0.75"])
    assert ir.totals()["params"] == 3_993_528
    # b9 (ir_k3_e2.3_c80): in = out = divisible(80 × 0.75 = 60) = 64; expanded divisible(64 × 2.3 = 147.2) = 144
    assert [ir[f"b9/residual_body/{n}"].shape[0] for n in ("expand", "dw", "project")] == [144, 144, 64]
    assert item_params(ir, "b9") == conv_bn(64, 144, 1) + 144 * 9 + 2 * 144 + conv_bn(144, 64, 1)
    # b12 (ir_k3_e6_c112_se0.25): 112 × 0.75 = 84 → 88; 88 × 6 = 528; the squeeze divisible(528 / 4 = 132) = 136
    assert ir["b12/residual_body/se/fc1"].shape[0] == 136
    assert ir["head"].shape[0] == 720 and ir["fc1"].shape == (1280,)  # 960 scales, timm's 1280 stays
