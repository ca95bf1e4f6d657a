"""The torch backend: every shipped spec compiles to a module whose runtime facts equal the static ones.

Built and run on the meta device: parameter and buffer counts and every module's output shape
are the same as on a CPU, without the arithmetic (test_reference_equivalence checks values).
"""

from __future__ import annotations

import torch
import pytest

import archspec
from archspec.ir.graph import IR
from conftest import ROOT, SPECS, runtime_buffers, shipped_refs

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


TINY = ROOT / "tests" / "data" / "tiny.yaml"


@pytest.mark.parametrize("device, message, hint", [
    ("cuda", "device 'cuda': no CUDA device is available to this PyTorch build",
     "build on the CPU and move the model later, or install a CUDA build of PyTorch"),
    ("nonsense", "device 'nonsense' is not a torch device", "pass 'cpu', 'cuda', 'cuda:1', 'mps' or 'meta'"),
])
def test_a_device_torch_cannot_use_is_refused_with_a_remedy(device, message, hint, monkeypatch):
    from archspec.errors import ArchspecError

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ArchspecError) as e:
        archspec.build(TINY, device=device)
    assert (e.value.first.message, e.value.first.hint) == (message, hint)


def test_indexing_an_ir_by_a_missing_id_says_what_the_id_is():
    ir = archspec.check("inception_v3#se")
    with pytest.raises(KeyError) as e:
        ir["SE_5b"]
    assert e.value.args[0] == "'SE_5b' is a block scope, not a node; its last op is 'SE_5b/gate'"
    with pytest.raises(KeyError) as e:
        ir["mixed_5b"]
    assert e.value.args[0].startswith("no node 'mixed_5b' in inception_v3; did you mean 'Mixed_5b'")
