"""The summary's MACs equal what torch's own FLOP counter measures on the compiled module (÷ 2).

Every shipped spec and variant is built on the meta device — shapes and FLOP formulas without
arithmetic — so even Inception-ResNet-v2 at 299×299 is counted in seconds on a CPU.
Eval mode is compared with the inference total, training mode (aux heads running) with the
total that includes the heads.
"""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import archspec
from archspec.ir.graph import IR
from conftest import SPECS, shipped_refs

TOLERANCE = 0.005  # the issue asks for 0.5%; conv and linear FLOPs are counted identically, so it is exact


def counted_macs(model: torch.nn.Module, shape: tuple[int, ...], training: bool) -> float:
    model.train(training)
    with torch.device("meta"):
        x = torch.empty(2, *shape)
    with FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops() / 2 / 2  # FLOPs → MACs, per sample


@pytest.mark.parametrize("ref", shipped_refs())
def test_summary_macs_agree_with_flop_counter(ref):
    assert_macs_agree(archspec.check(SPECS / ref))


@pytest.mark.parametrize("ref, width", [("inception_v3.yaml", 0.5), ("inception_v3.yaml", 1.5),
                                        ("mobilenet_v3_large.yaml", 0.75)])
def test_scaled_macs_agree_with_flop_counter(ref: str, width: float) -> None:
    # the width tables of docs/tutorial.md and docs/models.md, counted by torch
    assert_macs_agree(archspec.check(SPECS / ref, [f"scale.width={width}"]))


def assert_macs_agree(ir: IR) -> None:
    with torch.device("meta"):
        model = archspec.build(ir)
    for training, total in ((False, ir.totals(include_heads=False)["macs"]), (True, ir.totals()["macs"])):
        measured = counted_macs(model, ir.input_shape, training)
        assert abs(measured - total) <= TOLERANCE * total, (training, measured, total)
