"""Feature taps: a backbone returning {node: tensor}, pruned after the last tap, its channels and
strides known statically, its outputs equal to the same nodes of the full network."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import archspec
from archspec.api import backbone
from archspec.errors import ArchspecError
from archspec.export import export
from archspec.export.to_python import load_network
from archspec.ir.features import feature_info
from conftest import ROOT, SPECS

V3 = str(SPECS / "inception_v3.yaml")
IRV2 = str(SPECS / "inception_resnet_v2.yaml")
V3_TAPS = ["Mixed_5d", "Mixed_6e", "Mixed_7c"]
IRV2_TAPS = ["mixed_5b", "repeat/block35_9", "mixed_6a", "repeat_1/block17_19", "mixed_7a", "conv2d_7b"]


def test_feature_info_is_static():
    info = feature_info(backbone(V3, V3_TAPS))
    assert [(f.name, f.channels, f.reduction, f.shape) for f in info] == [
        ("Mixed_5d", 288, 8, (288, 35, 35)), ("Mixed_6e", 768, 16, (768, 17, 17)), ("Mixed_7c", 2048, 32, (2048, 8, 8))]
    info = feature_info(backbone(IRV2, IRV2_TAPS + ["flatten"]))
    assert [(f.channels, f.reduction) for f in info] == [(320, 8), (320, 8), (1088, 16), (1088, 16), (2080, 32),
                                                         (1536, 32), (1536, None)]


def test_tapping_drops_everything_after_the_last_tap_and_the_aux_head():
    ir = backbone(V3, ["Mixed_5d", "Mixed_6e"])
    model = archspec.build(V3, features=["Mixed_5d", "Mixed_6e"])
    names = {n for n, _ in model.named_children()}
    assert "Mixed_6e" in names and not names & {"Mixed_7a", "Mixed_7b", "Mixed_7c", "fc", "AuxLogits"}
    assert not ir.heads and ir.output == "Mixed_6e"
    # 8,965,856 of the network's 23,834,568 parameters (without the aux head) compute these taps
    assert sum(p.numel() for p in model.parameters()) == ir.totals()["params"] == 8_965_856


def full_outputs(ref: str, taps: list[str], x: torch.Tensor) -> tuple[torch.nn.Module, dict[str, torch.Tensor]]:
    """The full network's values at `taps`, captured with forward hooks (block outputs are
    their scope module's output, a leaf's its module's)."""
    full = archspec.build(ref).eval()
    got: dict[str, torch.Tensor] = {}
    for t in taps:
        full.get_submodule(t.replace("/", ".")).register_forward_hook(
            lambda m, i, o, t=t: got.__setitem__(t, o))
    with torch.no_grad():
        full(x)
    return full, got


@pytest.mark.parametrize("ref,overrides,taps", [
    (f"{V3}#lowres79", None, V3_TAPS),
    pytest.param(IRV2, ["input=[3,107,107]"], IRV2_TAPS, marks=pytest.mark.slow)])  # 1.2 G MACs, not 13
def test_tapped_outputs_equal_the_full_network(ref, overrides, taps):
    spec = archspec.load(ref, overrides)
    torch.manual_seed(0)
    x = torch.randn(1, *spec.spec.input)
    full, want = full_outputs(spec, taps, x)
    with torch.device("meta"):  # no second initialisation: the full network's weights are assigned
        model = archspec.build(spec, features=taps).eval()
    model.load_state_dict({k: v for k, v in full.state_dict().items() if k in model.state_dict()},
                          strict=True, assign=True)
    with torch.no_grad():
        out = model(x)
    assert list(out) == taps
    for f in model.feature_info:
        assert tuple(out[f.name].shape[1:]) == f.shape
        assert torch.equal(out[f.name], want[f.name])


def test_unknown_tap_names_the_closest(write_spec):
    with pytest.raises(ArchspecError) as e:
        archspec.build(V3, features=["Mixed_5x"])
    assert e.value.first.message == "unknown feature tap 'Mixed_5x'" and "'Mixed_5d'" in e.value.first.hint
    with pytest.raises(ArchspecError) as e:
        backbone(V3, ["AuxLogits/fc"])
    assert "inside the auxiliary head 'AuxLogits'" in e.value.first.message
    spec = write_spec("""
        archspec: 1
        name: t
        input: [3, 8, 8]
        network:
          - c1: {op: conv, out: 4, k: 3}
          - c2: {op: conv, out: 4, k: 3}
        features: [c1, c3]
    """)
    with pytest.raises(ArchspecError) as e:
        archspec.check(spec)  # check honours `features:` as build does
    p = e.value.first
    assert (p.loc.line, p.loc.col, p.message) == (7, 16, "unknown feature tap 'c3'") and "'c1'" in p.hint


def test_spec_features_key_and_summary(write_spec):
    spec = write_spec("""
        archspec: 1
        name: t
        input: [3, 16, 16]
        network:
          - c1: {op: conv, out: 4, k: 3, stride: 2, padding: 1}
          - c2: {op: conv, out: 6, k: 3, stride: 2, padding: 1}
          - flat: flatten
          - head: {op: linear, out: 3}
        features: [c1, c2]
    """)
    model = archspec.build(spec)
    out = model(torch.randn(2, 3, 16, 16))
    assert {k: tuple(v.shape) for k, v in out.items()} == {"c1": (2, 4, 8, 8), "c2": (2, 6, 4, 4)}
    r = subprocess.run([sys.executable, "-m", "archspec", "summary", V3, "--features", "Mixed_5d,Mixed_6e"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "  Mixed_5d: 288 channels, 288×35×35, reduction 8" in r.stdout
    assert "  Mixed_6e: 768 channels, 768×17×17, reduction 16" in r.stdout
    assert "Mixed_7a" not in r.stdout and "AuxLogits" not in r.stdout


def test_export_with_features(tmp_path):
    ref = str(SPECS / "cifar10_cnn.yaml")
    taps = ["relu_1", "relu_3"]
    full = archspec.build(ref)
    torch.save(full.state_dict(), tmp_path / "full.pt")  # the whole network's weights fit its backbone
    r = export(ref, "python", tmp_path / "bb.py", features=taps, weights=tmp_path / "full.pt")
    assert [f.name for f in r.features] == taps and r.max_diff == 0.0
    model = archspec.build(ref, features=taps).eval()
    model.load_state_dict({k: v for k, v in full.state_dict().items() if k in model.state_dict()})
    net = load_network(r.path)().eval()
    net.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        got, want = net(x), model(x)
    assert list(got) == taps and all(torch.equal(got[t], want[t]) for t in taps)
    assert "dense" not in r.path.read_text()


@pytest.mark.slow
def test_onnx_export_with_features_names_its_outputs(tmp_path):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    r = export(f"{V3}#lowres79", "onnx", tmp_path / "bb.onnx", features=V3_TAPS)
    assert [o.name for o in onnx.load(str(r.path)).graph.output] == V3_TAPS
    outs = ort.InferenceSession(str(r.path), providers=["CPUExecutionProvider"]).run(
        None, {"input": torch.randn(1, 3, 79, 79).numpy()})
    assert [o.shape[1:] for o in outs] == [(288, 36, 36), (768, 17, 17), (2048, 8, 8)]
