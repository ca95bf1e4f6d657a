"""The torch backend: every shipped spec compiles to a module whose runtime facts equal the static ones.

Built and run on the meta device: parameter and buffer counts and every module's output shape
are the same as on a CPU, without the arithmetic (test_reference_equivalence checks values).
"""

from __future__ import annotations

import torch
import pytest

import archspec
from archspec.ir.graph import IR
from conftest import SPECS, runtime_buffers, shipped_refs

def leaf_shapes(model: torch.nn.Module, x: torch.Tensor) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    hooks = []
    for qname, mod in model.named_modules():
        if qname and not isinstance(mod, archspec_scope_types()):
            hooks.append(mod.register_forward_hook(
                lambda m, i, o, q=qname: shapes.__setitem__(q, tuple(o.shape[1:]))))
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return shapes


def archspec_scope_types() -> tuple[type, ...]:
    from archspec.torch_backend.build import SpecModule

    return (SpecModule,)


def qualified(ir: IR, nid: str) -> str:
    d = ir[nid]
    return ".".join(d.scope + (d.name,))


@pytest.mark.parametrize("ref", shipped_refs())
def test_runtime_equals_static(ref):
    ir = archspec.check(SPECS / ref)
    with torch.device("meta"):
        model = archspec.build(ir)
        t = ir.totals()
        assert sum(p.numel() for p in model.parameters()) == t["params"]
        assert runtime_buffers(model) == t["buffers"]
        model.train()  # heads run in training mode, so every node's shape is observed
        shapes = leaf_shapes(model, torch.empty(2, *ir.input_shape))
        for nid, d in ir.ops():
            assert shapes[qualified(ir, nid)] == d.shape, nid
        model.eval()
        with torch.no_grad():
            out = model(torch.empty(1, *ir.input_shape))
    assert tuple(out.shape[1:]) == ir[ir.output].shape
