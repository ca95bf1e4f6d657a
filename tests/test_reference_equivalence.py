"""Each Inception spec, given a reference implementation's weights, computes what the reference computes.

A randomly initialised reference model (its BatchNorm statistics and affine parameters
randomised too, so a misplaced BN tensor cannot hide behind the identity) is imported with
`archspec.load_reference_weights`, and both run on the same random input: eval-mode outputs
must agree within 1e-5 (max abs), and the train-mode aux-head outputs too where the
reference has heads. The reference libraries are not dependencies of archspec: these tests
skip where they do not import; scripts/refenv.sh builds an environment where they do, and
scripts/test.sh runs them there with ARCHSPEC_REQUIRE_REFERENCE=1, which turns a reference that
fails to import into a failure instead of a silent skip.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Callable

import pytest
import torch
from torch import nn

import archspec
from archspec.torch_backend.weights import WeightMapping
from conftest import SPECS

TOL = 1e-5


def reference_library(module: str) -> ModuleType:
    """The reference library, or a skip where it is not installed (a failure when it is required)."""
    if os.environ.get("ARCHSPEC_REQUIRE_REFERENCE"):
        return importlib.import_module(module)
    return pytest.importorskip(module)


def randomize_norms(model: nn.Module, seed: int = 0) -> None:
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
                m.weight.copy_(torch.rand(n, generator=g) + 0.5)
                m.bias.copy_(torch.randn(n, generator=g) * 0.1)


def imported(spec: str, reference: nn.Module, keep: Callable[[str], bool] = lambda name: True,
             overrides: list[str] | None = None) -> tuple[nn.Module, WeightMapping]:
    """The compiled spec with the reference's weights (those whose names `keep` accepts)."""
    randomize_norms(reference)
    model = archspec.build(SPECS / spec, overrides)
    state = {k: v for k, v in reference.state_dict().items() if keep(k)}
    return model, archspec.load_reference_weights(model, state)


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape
    return (a - b).abs().max().item()


def eval_diff(model: nn.Module, reference: nn.Module, x: torch.Tensor,
              features: Callable[[nn.Module, torch.Tensor], torch.Tensor] | None = None) -> float:
    model.eval()
    reference.eval()
    with torch.no_grad():
        ref = features(reference, x) if features else reference(x)
        return max_diff(model(x), ref)


def train_outputs(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Training-mode outputs with dropout off: BN uses batch statistics, aux heads run."""
    model.train()
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.eval()
    with torch.no_grad():
        return tuple(model(x))


def test_googlenet_torchvision():
    models = reference_library("torchvision.models")
    torch.manual_seed(0)
    ref = models.googlenet(weights=None, aux_logits=True, init_weights=False)
    model, mapping = imported("googlenet.yaml#torchvision", ref)
    # by structure: the 5 convs inside nn.Sequential branches (branch2.0 ↔ branch2_0) of 9 modules, 6 tensors each
    assert (mapping.count("name"), mapping.count("structure"), mapping.count("kept")) == (94, 270, 0)
    x = torch.randn(2, 3, 224, 224)
    assert eval_diff(model, ref, x) <= TOL
    logits, aux1, aux2 = train_outputs(model, x)
    ref_logits, ref_aux2, ref_aux1 = train_outputs(ref, x)  # torchvision returns (logits, aux2, aux1)
    assert max(max_diff(logits, ref_logits), max_diff(aux1, ref_aux1), max_diff(aux2, ref_aux2)) <= TOL


def test_inception_v3_torchvision():
    models = reference_library("torchvision.models")
    torch.manual_seed(0)
    ref = models.inception_v3(weights=None, aux_logits=True, init_weights=False)
    model, mapping = imported("inception_v3.yaml", ref)
    assert (mapping.count("name"), mapping.count("structure")) == (580, 0)  # every name is torchvision's
    x = torch.randn(2, 3, 299, 299)
    assert eval_diff(model, ref, x) <= TOL
    logits, aux = train_outputs(model, x)
    ref_logits, ref_aux = train_outputs(ref, x)
    assert max(max_diff(logits, ref_logits), max_diff(aux, ref_aux)) <= TOL


@pytest.mark.parametrize("spec, build, heads", [
    ("googlenet.yaml#torchvision", lambda tv, timm: tv.googlenet(weights=None, aux_logits=False, init_weights=False),
     "training-only heads aux1, aux2: their 20 tensors"),
    ("inception_v3.yaml", lambda tv, timm: tv.inception_v3(weights=None, aux_logits=False, init_weights=False),
     "training-only head AuxLogits: its 14 tensors"),
    ("inception_v3.yaml", lambda tv, timm: timm.create_model("inception_v3", pretrained=False),
     "training-only head AuxLogits: its 14 tensors"),
], ids=["googlenet_torchvision", "inception_v3_torchvision", "inception_v3_timm"])
def test_references_without_training_only_heads_import(spec, build, heads):
    """Built without aux heads (torchvision's aux_logits=False, timm's inception_v3): the rest
    imports, eval outputs agree, the heads keep their initial values and the report says so."""
    tv = pytest.importorskip("torchvision.models")
    timm = pytest.importorskip("timm")
    torch.manual_seed(0)
    ref = build(tv, timm)
    model, mapping = imported(spec, ref)
    assert f"the reference has no {heads} keep their initial values" in mapping.summary()
    side = 299 if "inception" in spec else 224
    assert eval_diff(model, ref, torch.randn(2, 3, side, side)) <= TOL


def test_inception_v4_timm():
    timm = reference_library("timm")
    torch.manual_seed(0)
    ref = timm.create_model("inception_v4", pretrained=False)
    model, mapping = imported("inception_v4.yaml", ref)
    assert (mapping.count("name"), mapping.count("structure")) == (2, 894)  # timm's features.N ↔ spec names; last_linear by name
    assert eval_diff(model, ref, torch.randn(1, 3, 299, 299)) <= TOL


def test_inception_resnet_v2_timm():
    timm = reference_library("timm")
    torch.manual_seed(0)
    ref = timm.create_model("inception_resnet_v2", pretrained=False)
    model, mapping = imported("inception_resnet_v2.yaml", ref)
    assert (mapping.count("name"), mapping.count("structure")) == (58, 1248)  # repeat.0 ↔ repeat.block35_0
    assert eval_diff(model, ref, torch.randn(1, 3, 299, 299)) <= TOL


def test_inception_resnet_v1_facenet_backbone():
    facenet = reference_library("facenet_pytorch")
    torch.manual_seed(0)
    ref = facenet.InceptionResnetV1()
    # facenet's face-embedding head (last_linear, last_bn) is not the paper's: the backbone is compared
    model, mapping = imported("inception_resnet_v1.yaml#backbone", ref,
                              lambda name: not name.startswith(("last_linear.", "last_bn.")))
    assert (mapping.count("name"), mapping.count("structure")) == (50, 658)  # stem, block8 by name

    def pooled(reference: nn.Module, x: torch.Tensor) -> torch.Tensor:
        out: list[torch.Tensor] = []
        hook = reference.avgpool_1a.register_forward_hook(lambda m, i, o: out.append(o.flatten(1)))
        reference(x)
        hook.remove()
        return out[0]

    assert eval_diff(model, ref, torch.randn(1, 3, 299, 299), pooled) <= TOL


def test_facenet_head_is_reported_not_dropped():
    facenet = reference_library("facenet_pytorch")
    ref = facenet.InceptionResnetV1()
    model = archspec.build(SPECS / "inception_resnet_v1.yaml#backbone")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(archspec.ArchspecError, match=r"no place for reference tensors last_linear\.weight"):
        archspec.load_reference_weights(model, ref.state_dict())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # nothing half-loaded


def reference_model(library: str, name: str, kwargs: dict[str, float]) -> nn.Module:
    if library == "timm":
        return reference_library("timm").create_model(name, pretrained=False, **kwargs)
    return getattr(reference_library("torchvision.models"), name)(weights=None, **kwargs)


# spec, overrides, the reference (library, constructor, its arguments), params, input (batch, size)
ZOO = [
    ("resnet50.yaml", [], ("torchvision", "resnet50", {}), 25_557_032, (2, 224)),
    ("mobilenet_v2.yaml", [], ("torchvision", "mobilenet_v2", {}), 3_504_872, (2, 224)),
    ("mobilenet_v2.yaml", ["scale.width=0.5"], ("torchvision", "mobilenet_v2", {"width_mult": 0.5}), 1_968_680,
     (2, 224)),
    ("efficientnet_b0.yaml", [], ("torchvision", "efficientnet_b0", {}), 5_288_548, (2, 224)),
    ("efficientnet_b0.yaml", [], ("timm", "efficientnet_b0", {}), 5_288_548, (2, 224)),
    # #b1 / #b2 are b0 with the spec's scale: multipliers, nothing written by hand
    ("efficientnet_b0.yaml#b1", [], ("timm", "efficientnet_b1", {}), 7_794_184, (1, 240)),
    ("efficientnet_b0.yaml#b2", [], ("timm", "efficientnet_b2", {}), 9_109_994, (1, 260)),
    ("seresnet50.yaml", [], ("timm", "seresnet50", {}), 28_088_024, (2, 224)),
    ("mobilenet_v3_large.yaml", [], ("torchvision", "mobilenet_v3_large", {}), 5_483_032, (2, 224)),
    # --width follows timm's scaling: the #timm layout imports its state_dict at 1.0 and 0.75
    ("mobilenet_v3_large.yaml#timm", [], ("timm", "mobilenetv3_large_100", {}), 5_483_032, (2, 224)),
    ("mobilenet_v3_large.yaml#timm", ["scale.width=0.75"], ("timm", "mobilenetv3_large_075", {}), 3_993_528,
     (2, 224)),
    ("xception.yaml", [], ("timm", "legacy_xception", {}), 22_855_952, (1, 299)),
]


@pytest.mark.parametrize("spec, overrides, reference, params, size", ZOO,
                         ids=[f"{z[0]}{''.join(' ' + o for o in z[1])}={z[2][0]}.{z[2][1]}" for z in ZOO])
def test_zoo_equals_its_reference(spec: str, overrides: list[str], reference: tuple[str, str, dict[str, float]],
                                  params: int, size: tuple[int, int]) -> None:
    torch.manual_seed(0)
    ref = reference_model(*reference)
    model, mapping = imported(spec, ref, overrides=overrides)
    assert len(mapping.pairs) == len(ref.state_dict())
    assert sum(p.numel() for p in model.parameters()) == params
    assert eval_diff(model, ref, torch.randn(size[0], 3, size[1], size[1])) <= TOL


@pytest.mark.parametrize("width", [0.6, 0.9, 1.25, 1.5])
def test_mobilenet_v3_large_width_is_timms_family(width: float) -> None:
    # widths timm registers no model for, built with its own generator: the same parameter count
    gen = reference_library("timm.models.mobilenetv3")._gen_mobilenet_v3
    ref = gen("mobilenetv3_large_100", width)
    ir = archspec.check(SPECS / "mobilenet_v3_large.yaml", [f"scale.width={width}"])
    assert ir.totals()["params"] == sum(p.numel() for p in ref.parameters())


def test_convnext_tiny_torchvision():
    models = reference_library("torchvision.models")
    torch.manual_seed(0)
    ref = models.convnext_tiny(weights=None)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():  # γ starts at 1e-6, which would hide the blocks, and the norms at 1 and 0
        for name, p in ref.named_parameters():
            if name.endswith("layer_scale"):
                p.copy_(torch.rand(p.shape, generator=g) + 0.5)
        for m in ref.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
    model = archspec.build(SPECS / "convnext_tiny.yaml")
    state = ref.state_dict()
    mapping = archspec.load_reference_weights(model, state)
    assert len(mapping.pairs) == len(state)
    assert sum(p.numel() for p in model.parameters()) == 28_589_128
    assert eval_diff(model, ref, torch.randn(2, 3, 224, 224)) <= TOL
