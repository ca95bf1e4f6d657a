"""The gate, norm and padding ops and the language around them: `mul` broadcasting, `layernorm`,
`layer_scale`, `drop_path`, `hardsigmoid`, `padding: tf_same`, `${input.c}` and a block's own
`input` — figures computed by hand, errors at their line and column."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import archspec
from archspec.errors import ArchspecError

HEAD = "archspec: 1\nname: t\ninput: [8, 14, 14]\n"

SE = HEAD + """\
blocks:
  se:
    params: {reduction: {type: int, default: 4}}
    body:
      - pool: gap
      - fc1: {op: conv, out: "${input.c // reduction}", k: 1, act: relu}
      - fc2: {op: conv, out: "${input.c * reduction}", k: 1, act: hardsigmoid}
      - gate: {op: mul, inputs: [input, fc2]}
  mb:
    params: {t: {type: int, default: 2}}
    body:
      op: residual
      body:
        - expand: {op: conv, out: "${input.c * t}", k: 1, act: relu}
        - dw: {op: conv, out: "${input.c}", groups: "${input.c}", k: 3, padding: 1}
        - se: se
        - project: {op: conv, out: 8, k: 1}
network:
  - m1: mb
  - ln: {op: layernorm, eps: 1.0e-6}
  - ls: {op: layer_scale, init: 0.5}
  - dp: {op: drop_path, p: 0.5}
"""


def test_se_inside_a_block_reads_the_input_shape(write_spec):
    ir = archspec.check(write_spec(SE))
    # expand 8→16 (128+16), dw 16 groups (16·9+16), SE 16→4→16 (64+4, 64+16), project 16→8 (128+8)
    assert ir["m1/dw"].args.groups == 16
    assert ir["m1/se/fc1"].shape == (4, 1, 1)
    assert ir["m1/se/gate"].shape == (16, 14, 14)
    assert ir["m1/se/gate"].inputs == ["m1/dw", "m1/se/fc2"]
    assert ir["ln"].params == 16 and ir["ls"].params == 8
    assert ir.totals()["params"] == 144 + 160 + 68 + 80 + 136 + 16 + 8


def test_compiled_ops_compute_what_they_say(write_spec):
    model = archspec.build(write_spec(SE)).eval()
    x = torch.randn(3, 8, 14, 14)
    with torch.no_grad():
        y = model(x)
        h = model.m1(x)
        ln = F.layer_norm(h.permute(0, 2, 3, 1), (8,), model.ln.weight, model.ln.bias, 1e-6).permute(0, 3, 1, 2)
    assert torch.allclose(y, ln * 0.5, atol=1e-6)  # drop_path is the identity in eval mode
    model.train()
    torch.manual_seed(3)
    a = model.dp(torch.ones(64, 8, 2, 2))
    torch.manual_seed(3)
    b = model.dp(torch.ones(64, 8, 2, 2))
    assert torch.equal(a, b)  # seeded like dropout
    per_sample = a.flatten(1)
    assert set(per_sample.unique().tolist()) == {0.0, 2.0}  # whole samples dropped, the rest scaled by 1/(1-p)
    assert all(len(set(r.tolist())) == 1 for r in per_sample)


@pytest.mark.parametrize("size, pads", [(7, (1, 1)), (8, (0, 1)), (224, (0, 1))])
def test_tf_same_pads_as_tensorflow(write_spec, size, pads):
    """TF: out = ceil(n/2); total = (out-1)·2 + 3 - n, the odd pixel at the bottom/right."""
    spec = write_spec(f"archspec: 1\nname: t\ninput: [2, {size}, {size}]\nnetwork:\n"
                      "  - c: {op: conv, out: 4, k: 3, stride: 2, padding: tf_same}\n"
                      "  - p: {op: maxpool, k: 3, stride: 2, padding: tf_same}\n")
    ir = archspec.check(spec)
    out = -(-size // 2)
    assert ir["c"].shape == (4, out, out) and ir["p"].shape == (4, -(-out // 2), -(-out // 2))
    model = archspec.build(spec).eval()
    x = torch.randn(1, 2, size, size)
    with torch.no_grad():
        want = F.conv2d(F.pad(x, (pads[0], pads[1], pads[0], pads[1])), model.c.weight, model.c.bias, stride=2)
        assert torch.equal(model.c(x), want)


def test_mul_that_does_not_broadcast_is_located(write_spec):
    spec = write_spec(HEAD + "network:\n  - a: {op: conv, out: 4, k: 1}\n  - g: gap\n"
                             "  - m: {op: mul, inputs: [input, g]}\n")
    with pytest.raises(ArchspecError) as e:
        archspec.check(spec)
    p = e.value.first
    assert "mul inputs do not broadcast: 8×14×14, 4×1×1" in p.message and p.loc.line == 7 and p.hint


def test_input_shape_error_is_located(write_spec):
    spec = write_spec(HEAD + "network:\n  - a: {op: conv, out: \"${input.z}\", k: 1}\n")
    with pytest.raises(ArchspecError) as e:
        archspec.check(spec)
    p = e.value.first
    assert "unknown input dimension input.z" in p.message and (p.loc.line, p.path) == (5, "a")
    assert "input.c" in p.hint
    spec = write_spec(HEAD + "network:\n  - a: {op: conv, out: \"${input.c - 8}\", k: 1}\n")
    with pytest.raises(ArchspecError) as e:
        archspec.check(spec)
    assert e.value.first.loc.line == 5 and e.value.first.path == "a"


def test_tf_same_avgpool_is_refused_with_a_hint(write_spec):
    spec = write_spec(HEAD + "network:\n  - p: {op: avgpool, k: 3, stride: 2, padding: tf_same}\n")
    with pytest.raises(ArchspecError) as e:
        archspec.check(spec)
    assert "tf_same" in e.value.first.message and e.value.first.loc.line == 5 and e.value.first.hint


def se_params(c: int) -> int:
    """An SE block on c channels, reduction 16: 1×1 conv c→c/16 and back, each with bias."""
    return 2 * c * (c // 16) + c // 16 + c


def test_inception_v3_se_adds_one_se_block_per_inception_module():
    base = archspec.check("inception_v3").totals(include_heads=False)
    se = archspec.check("inception_v3#se")
    # the output channels of Mixed_5b..5d, 6a..6e, 7a..7c (torchvision's InceptionA..E)
    channels = [256, 288, 288, 768, 768, 768, 768, 768, 1280, 2048, 2048]
    assert se.totals(include_heads=False)["params"] - base["params"] == sum(map(se_params, channels)) == 1_661_620
    assert se["SE_6e/gate"].shape == (768, 17, 17) and se.heads[0].source == "SE_6e/gate"
    assert se.totals(include_heads=False)["macs"] == base["macs"] + sum(2 * c * (c // 16) for c in channels)


def test_inception_resnet_v2_se_gates_every_residual_branch():
    base = archspec.check("inception_resnet_v2").totals()
    se = archspec.check("inception_resnet_v2#se")
    # after mixed_5b, 6a, 7a; inside the 10 block35 (320), 20 block17 (1088) and 10 block8 (2080)
    delta = se_params(320) * 11 + se_params(1088) * 21 + se_params(2080) * 11
    assert se.totals()["params"] - base["params"] == delta == 9_249_254
    assert se["repeat/block35_3/se/gate"].inputs[0] == "repeat/block35_3/conv2d"


# reduction 5: the squeeze of 16 channels is 3, and 3 × 5 = 15 would not give 16 back
BLOCK_INPUT = (SE.replace('out: "${input.c * reduction}"', 'out: "${block_input.c}"')
               .replace("default: 4}", "default: 5}")
               + '  - top: {op: conv, out: "${block_input.c * 2}", k: 1}\n')


def test_block_input_reads_what_input_names_where_the_op_is(write_spec):
    """Inside se, block_input is se's input (the 16-channel depthwise output); at the top level,
    the network's input (8 channels)."""
    ir = archspec.check(write_spec(BLOCK_INPUT))
    assert [ir[n].shape[0] for n in ("m1/se/fc1", "m1/se/fc2", "m1/se/gate", "top")] == [3, 16, 16, 16]
    assert ir["m1/se/fc2"].params == 3 * 16 + 16
    model = archspec.build(ir).eval()
    assert model(torch.randn(1, 8, 14, 14)).shape == (1, 16, 14, 14)


def test_block_input_in_a_block_param_is_refused_at_its_line(write_spec):
    spec = BLOCK_INPUT.replace("        - se: se\n", '        - se: {op: se, reduction: "${block_input.c}"}\n')
    with pytest.raises(ArchspecError) as e:
        archspec.check(write_spec(spec))
    p = e.value.first
    assert (p.loc.line, p.loc.col, p.path) == (19, 35, "m1/se")
    assert p.message == ("block 'se' param 'reduction' reads the input shape (${block_input.c}), which is known "
                         "only in an op's arguments")


def test_an_unknown_block_input_dimension_is_located(write_spec):
    spec = BLOCK_INPUT.replace('"${block_input.c}"', '"${block_input.d}"')
    with pytest.raises(ArchspecError) as e:
        archspec.check(write_spec(spec))
    p = e.value.first
    assert (p.loc.line, p.path) == (10, "m1/se/fc2")
    assert p.message == "unknown input dimension block_input.d in 'block_input.d'"
    assert p.hint == "this input has block_input.c, block_input.h, block_input.w"


def test_an_error_inside_nested_blocks_keeps_its_line_and_path(write_spec):
    """SE inside MBConv inside the network: the broken gate is reported at the gate's line, with
    the path through both blocks."""
    broken = SE.replace('out: "${input.c * reduction}"', 'out: "${input.c * reduction + 1}"')
    with pytest.raises(ArchspecError) as e:
        archspec.check(write_spec(broken))
    p = e.value.first
    assert (p.loc.line, p.loc.col, p.path) == (11, 9, "m1/se/gate")
    assert "mul inputs do not broadcast: 16×14×14, 17×1×1" in p.message


def test_input_at_the_top_level_is_the_network_input(write_spec):
    ir = archspec.check(write_spec(HEAD + "network:\n  - a: {op: conv, out: 8, k: 1}\n"
                                          "  - s: {op: add, inputs: [a, input]}\n"))
    assert ir["s"].inputs == ["a", "input"]
