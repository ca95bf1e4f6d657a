"""The zoo's static figures: parameters, buffers and MACs of each spec equal the reference
implementation's (torchvision / timm, measured there; tests/test_reference_equivalence.py
checks the outputs)."""

from __future__ import annotations

import pytest

import archspec

ZOO = {
    # spec: (params, buffers (BatchNorm running means and variances), MACs at the spec's input size)
    "resnet50": (25_557_032, 53_120, 4_089_184_256),
    "mobilenet_v2": (3_504_872, 34_112, 300_774_272),
    "mobilenet_v3_large": (5_483_032, 24_400, 216_589_760),
    "efficientnet_b0": (5_288_548, 42_016, 385_814_752),
    "convnext_tiny": (28_589_128, 0, 4_455_531_264),
    "seresnet50": (28_088_024, 53_120, 4_091_699_200),
    "xception": (22_855_952, 54_528, 8_357_403_496),
}


@pytest.mark.parametrize("name", ZOO)
def test_zoo_figures(name):
    t = archspec.check(name).totals()
    assert (t["params"], t["buffers"], t["macs"]) == ZOO[name]
