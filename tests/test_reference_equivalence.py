"""Each Inception spec, given a reference implementation's weights, computes what the reference computes.

A randomly initialised reference model (its BatchNorm statistics and affine parameters
randomised too, so a misplaced BN tensor cannot hide behind the identity) is imported with
`archspec.load_reference_weights`, and both run on the same random input: eval-mode outputs
must agree within 1e-5 (max abs), and the train-mode aux-head outputs too where the
reference has heads. The reference libraries are not dependencies of archspec: these tests
skip where they do not import; ../shared/tools/refenv.sh builds an environment where they do.
"""

from __future__ import annotations

from typing import Callable

import pytest
import torch
from torch import nn

import archspec
from archspec.torch_backend.weights import WeightMapping
from conftest import SPECS

TOL = 1e-5


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


def imported(spec: str, reference: nn.Module, keep: Callable[[str], bool] = lambda name: True
             ) -> tuple[nn.Module, WeightMapping]:
    """The compiled spec with the reference's weights (those whose names `keep` accepts)."""
    randomize_norms(reference)
    model = archspec.build(SPECS / spec)
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
    models = pytest.importorskip("torchvision.models")
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
    models = pytest.importorskip("torchvision.models")
    torch.manual_seed(0)
    ref = models.inception_v3(weights=None, aux_logits=True, init_weights=False)
    model, mapping = imported("inception_v3.yaml", ref)
    assert (mapping.count("name"), mapping.count("structure")) == (580, 0)  # every name is torchvision's
    x = torch.randn(2, 3, 299, 299)
    assert eval_diff(model, ref, x) <= TOL
    logits, aux = train_outputs(model, x)
    ref_logits, ref_aux = train_outputs(ref, x)
    assert max(max_diff(logits, ref_logits), max_diff(aux, ref_aux)) <= TOL


def test_inception_v4_timm():
    timm = pytest.importorskip("timm")
    torch.manual_seed(0)
    ref = timm.create_model("inception_v4", pretrained=False)
    model, mapping = imported("inception_v4.yaml", ref)
    assert (mapping.count("name"), mapping.count("structure")) == (2, 894)  # timm's features.N ↔ spec names; last_linear by name
    assert eval_diff(model, ref, torch.randn(1, 3, 299, 299)) <= TOL


def test_inception_resnet_v2_timm():
    timm = pytest.importorskip("timm")
    torch.manual_seed(0)
    ref = timm.create_model("inception_resnet_v2", pretrained=False)
    model, mapping = imported("inception_resnet_v2.yaml", ref)
    assert (mapping.count("name"), mapping.count("structure")) == (58, 1248)  # repeat.0 ↔ repeat.block35_0
    assert eval_diff(model, ref, torch.randn(1, 3, 299, 299)) <= TOL


def test_inception_resnet_v1_facenet_backbone():
    facenet = pytest.importorskip("facenet_pytorch")
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
    facenet = pytest.importorskip("facenet_pytorch")
    ref = facenet.InceptionResnetV1()
    model = archspec.build(SPECS / "inception_resnet_v1.yaml#backbone")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(archspec.ArchspecError, match=r"no place for reference tensors last_linear\.weight"):
        archspec.load_reference_weights(model, ref.state_dict())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # nothing half-loaded
