"""The Inception family's shipped specs: the exact figures of issue 3's table and the structure each claims.

Static figures only (no torch): parameters with and without aux heads, inference MACs at the
spec's input size, and the stage layout (block counts, residual scales, grid sizes) that the
header comments state. Equality with the reference implementations' outputs is tested in
test_reference_equivalence.py, agreement with torch's FLOP counter in test_flops.py.
"""

from __future__ import annotations

import pytest

import archspec
from archspec.ir.graph import IR
from conftest import SPECS

# ref: (parameters without aux heads, with them, inference MACs)
FIGURES = {
    "googlenet.yaml#torchvision": (6_624_904, 13_004_888, 1_498_376_192),
    "inception_v3.yaml": (23_834_568, 27_161_264, 5_713_216_096),
    "inception_v3.yaml#paper": (26_043_720, 30_447_280, 6_441_695_840),
    "inception_v3.yaml#lowres79": (23_834_568, 27_161_264, 5_361_703_520),
    "inception_v3.yaml#lowres151": (23_834_568, 27_161_264, 5_713_216_096),
    "inception_v4.yaml": (42_679_816, 42_679_816, 12_253_974_624),
    "inception_resnet_v1.yaml": (24_357_096, 24_357_096, 6_308_597_856),
    "inception_resnet_v1.yaml#backbone": (22_564_096, 22_564_096, 6_306_805_856),
    "inception_resnet_v2.yaml": (55_843_464, 55_843_464, 13_155_794_016),
}


def checked(ref: str) -> IR:
    return archspec.check(SPECS / ref)


@pytest.mark.parametrize("ref", list(FIGURES))
def test_parameters_and_macs(ref):
    ir = checked(ref)
    params, params_aux, macs = FIGURES[ref]
    inference = ir.totals(include_heads=False)
    assert (inference["params"], ir.totals()["params"], inference["macs"]) == (params, params_aux, macs)


def repeats(ir: IR, stack: str) -> list[tuple[str, float, str]]:
    """(instance, residual scale, activation after the add) of each block in a `repeat` stack."""
    out = []
    for module, scope in ir.scopes.items():
        if len(module) == 2 and module[0] == stack:
            a = ir[scope.path].args
            out.append((module[1], a.scale, a.act))
    return out


def stack_of(ir: IR, stack: str) -> tuple[int, set[float], set[str]]:
    rs = repeats(ir, stack)
    return len(rs), {s for _, s, _ in rs}, {a for _, _, a in rs}


def test_inception_v3_default_is_the_tf_slim_layout():
    ir = checked("inception_v3.yaml")
    blocks = {n: ir.scopes[(n,)].block for n in ("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b",
                                                  "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c")}
    assert list(blocks.values()) == ["inception_a"] * 3 + ["inception_b"] + ["inception_c"] * 4 + \
        ["inception_d"] + ["inception_e"] * 2
    assert [ir[n].shape for n in ("maxpool2", "Mixed_5d", "Mixed_6e", "Mixed_7c")] == \
        [(192, 35, 35), (288, 35, 35), (768, 17, 17), (2048, 8, 8)]
    (head,) = ir.heads
    assert (head.name, head.source, head.loss_weight) == ("AuxLogits", "Mixed_6e", 0.4)


def test_inception_v3_torchvision_parameter_names():
    ir = checked("inception_v3.yaml")
    names = {".".join(d.scope + (d.name,)) for _, d in ir.ops()}
    assert {"Conv2d_1a_3x3", "Mixed_5b.branch5x5_1", "Mixed_5b.branch_pool", "Mixed_6a.branch3x3dbl_3",
            "Mixed_7b.branch3x3_2a", "Mixed_7c.branch3x3dbl_3b", "AuxLogits.conv1", "AuxLogits.fc", "fc"} <= names


def test_inception_v3_paper_follows_table1():
    ir = checked("inception_v3.yaml#paper")
    assert ir["Conv2d_4b_3x3"].shape == (288, 35, 35)  # Table 1: 3 modules on 35×35×288
    stages = [ir.scopes[(n,)].block for n in ir.order() if (n,) in ir.scopes and n.startswith("Mixed")]
    assert stages == ["paper_a"] * 3 + ["paper_reduction"] + ["paper_b"] * 5 + ["paper_reduction"] + ["paper_c"] * 2
    # the unpadded grid reductions give Table 1's 35 → 17 → 8 (Keras 'same' would give 18 and 9)
    assert [ir[n].shape for n in ("Mixed_5d", "Mixed_6a", "Mixed_6f", "Mixed_7a", "Mixed_7c")] == \
        [(288, 35, 35), (768, 17, 17), (768, 17, 17), (1280, 8, 8), (2048, 8, 8)]
    assert ir["Mixed_5b/branch_pool/pool"].op == "maxpool"
    (head,) = ir.heads
    assert head.source == "Mixed_6f" and ir["AuxLogits/conv1"].shape == (1024, 1, 1)
    assert ir["AuxLogits/conv1"].args.norm.kind == "batchnorm"
    assert ir["dropout"].args.p == 0.2


@pytest.mark.parametrize("ref, grids, first_stride", [
    ("inception_v3.yaml#lowres79", (36, 17, 8), 1),
    ("inception_v3.yaml#lowres151", (35, 17, 8), 1),
    ("inception_v3.yaml", (35, 17, 8), 2),
])
def test_inception_v3_low_resolution_variants(ref, grids, first_stride):
    ir = checked(ref)
    assert ir["Conv2d_1a_3x3"].args.stride == first_stride
    assert ("maxpool1" in ir.graph) == (ref != "inception_v3.yaml#lowres79")
    assert tuple(ir[n].shape[1] for n in ("Mixed_5d", "Mixed_6e", "Mixed_7c")) == grids


def test_inception_v4_stages():
    ir = checked("inception_v4.yaml")
    assert [len([m for m in ir.scopes if len(m) == 2 and m[0] == s]) for s in
            ("inception_a", "inception_b", "inception_c")] == [4, 7, 3]
    assert [ir[n].shape for n in ("Mixed_5a", "reduction_a", "reduction_b", "inception_c/block3")] == \
        [(384, 35, 35), (1024, 17, 17), (1536, 8, 8), (1536, 8, 8)]
    assert not ir["inception_a/block1/branch3/branch3_0"].args.count_include_pad


def test_inception_resnet_v1_is_the_papers():
    ir = checked("inception_resnet_v1.yaml")
    assert stack_of(ir, "repeat_1") == (5, {0.17}, {"relu"})
    assert stack_of(ir, "repeat_2") == (10, {0.10}, {"relu"})
    assert stack_of(ir, "repeat_3") == (5, {0.20}, {"relu"})
    last = ir["block8"].args
    assert (last.scale, last.act) == (1.0, "none")
    assert [ir[n].shape for n in ("conv2d_4b", "mixed_6a", "mixed_7a", "avgpool_1a")] == \
        [(256, 35, 35), (896, 17, 17), (1792, 8, 8), (1792, 1, 1)]
    assert ir["logits"].params == 1792 * 1000 + 1000
    assert checked("inception_resnet_v1.yaml#backbone")["flatten"].shape == (1792,)


def test_inception_resnet_v2_stages():
    ir = checked("inception_resnet_v2.yaml")
    assert stack_of(ir, "repeat") == (10, {0.17}, {"relu"})
    assert stack_of(ir, "repeat_1") == (20, {0.10}, {"relu"})
    assert stack_of(ir, "repeat_2") == (9, {0.20}, {"relu"})
    last = ir["block8"].args
    assert (last.scale, last.act) == (1.0, "none")
    assert [ir[n].shape for n in ("mixed_5b", "mixed_6a", "mixed_7a", "conv2d_7b")] == \
        [(320, 35, 35), (1088, 17, 17), (2080, 8, 8), (1536, 8, 8)]


@pytest.mark.parametrize("spec", ["googlenet.yaml", "inception_v3.yaml"])
def test_training_recipe_is_referenced_not_read(spec):
    rs = archspec.load(SPECS / spec)
    assert rs.spec.train is not None and rs.spec.train["recipe"].startswith("recipes/")
