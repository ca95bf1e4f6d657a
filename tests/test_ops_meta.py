"""Every registered op kind, built from its own example, agrees with its static rules.

Each op with inputs declares an `example` (input shapes and arguments); the op's torch
builder makes the module on the meta device, which runs it on a batch of 2, and its output
shape, parameter and buffer counts, and MACs (torch's FlopCounterMode ÷ 2) must equal what
`infer` and `cost` say — so a new op needs no test of its own, and one without an example
fails here. An op with no inputs (arity "none", the network's input) builds nothing and has
nothing to run.
"""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from archspec.ops import REGISTRY
from conftest import runtime_buffers

BATCH = 2
WITH_INPUTS = [kind for kind, op in REGISTRY.items() if op.arity != "none"]


def test_an_op_has_an_example_exactly_when_it_has_inputs():
    assert [kind for kind, op in REGISTRY.items() if (op.example is None) != (op.arity == "none")] == []


@pytest.mark.parametrize("kind", WITH_INPUTS)
def test_example_built_on_meta_agrees_with_the_static_rules(kind: str) -> None:
    op = REGISTRY[kind]
    example = op.example
    assert example is not None, f"{kind} declares no example"
    assert len(example.ins) == 1 if op.arity == "one" else len(example.ins) >= 2
    a = op.Args.model_validate(dict(example.args))
    ins = list(example.ins)
    out = op.infer(a, ins)
    cost = op.cost(a, ins, out)
    with torch.device("meta"):
        module = op.build(a, ins, out)
        xs = [torch.empty(BATCH, *s) for s in ins]
    with FlopCounterMode(display=False) as counter:
        y = module(*xs)
    assert y.device.type == "meta"  # nothing was computed: the builder made no CPU tensors
    assert (tuple(y.shape), sum(p.numel() for p in module.parameters()), runtime_buffers(module),
            counter.get_total_flops()) == ((BATCH, *out), cost.params, cost.buffers, 2 * BATCH * cost.macs)

