"""Weight import without the reference libraries: foreign state_dicts made by renaming a compiled model's.

The reference-library round trips are in test_reference_equivalence.py; here the mapping rules
themselves are pinned down — by name, by structure, all or nothing, errors naming both sides —
and the `archspec weights import` command.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

import archspec
from archspec.cli import main
from archspec.torch_backend.weights import read_state_dict
from conftest import SPECS

SPEC = SPECS / "googlenet.yaml#torchvision"


@pytest.fixture(scope="module")
def donor() -> nn.Module:
    """A compiled googlenet with random weights and non-trivial BN statistics."""
    torch.manual_seed(0)
    model = archspec.build(SPEC).eval()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return model


def sequential_names(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The same tensors under nn.Sequential-style names (`features.7.weight`): no name agrees."""
    modules: dict[str, int] = {}
    out = {}
    for k, v in sd.items():
        mod, _, leaf = k.rpartition(".")
        out[f"features.{modules.setdefault(mod, len(modules))}.{leaf}"] = v
    return out


def fresh() -> nn.Module:
    torch.manual_seed(1)
    return archspec.build(SPEC).eval()


def same_state(a: nn.Module, b: nn.Module) -> bool:
    sb = b.state_dict()
    return all(torch.equal(v, sb[k]) for k, v in a.state_dict().items())


def test_import_by_structure_reproduces_the_model(donor):
    model = fresh()
    mapping = archspec.load_reference_weights(model, sequential_names(donor.state_dict()))
    assert (mapping.count("name"), mapping.count("structure")) == (0, 364)
    assert same_state(model, donor)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(model(x), donor(x))


def test_import_by_name_and_report(donor):
    model = fresh()
    mapping = archspec.load_reference_weights(model, donor.state_dict())
    assert (mapping.count("name"), mapping.count("structure")) == (364, 0)
    report = str(mapping).splitlines()
    assert report[0] == "364 tensors mapped: 364 by name, 0 by structure"
    assert report[2].split() == ["conv1.conv.weight", "conv1.conv.weight", "64×3×7×7", "name"]


def test_missing_step_counters_are_kept(donor):
    sd = {k: v for k, v in donor.state_dict().items() if not k.endswith("num_batches_tracked")}
    model = fresh()
    mapping = archspec.load_reference_weights(model, sequential_names(sd))
    assert (mapping.count("structure"), mapping.count("kept")) == (364 - 59, 59)  # 59 BatchNorms: 3 stem, 9 × 6 in the modules, 2 aux
    assert same_state(model, donor)


def rejected(sd: dict[str, torch.Tensor], match: str, spec: str | Path = SPEC) -> None:
    """The import fails with `match` in its message and leaves the model untouched."""
    model = archspec.build(spec)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(archspec.ArchspecError, match=match):
        archspec.load_reference_weights(model, sd)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_same_name_different_tensors_names_both_modules(donor):
    # the paper's GoogLeNet has biased convs and no BN where torchvision's has BasicConv2d
    rejected(donor.state_dict(), r"spec module conv1\.conv \[weight 64×3×7×7, bias 64\] does not match "
                                 r"reference module conv1\.conv \[weight 64×3×7×7\]", SPECS / "googlenet.yaml")


def test_structure_mismatch_names_both_modules(donor):
    sd = sequential_names(donor.state_dict())
    sd["features.1.weight"] = torch.zeros(63)
    rejected(sd, r"spec module conv1\.bn \[weight 64, .*\] does not match reference module features\.1 "
                 r"\[weight 63, ")


class GammaFirst(nn.Module):
    """torchvision ConvNeXt's CNBlock in small: its own γ registered ahead of its layers, applied after them."""

    def __init__(self) -> None:
        super().__init__()
        self.layer_scale = nn.Parameter(torch.randn(4, 1, 1))
        self.block = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x) * self.layer_scale + x


def test_a_modules_own_tensors_pair_after_its_submodules_when_order_fails(write_spec):
    spec = write_spec("archspec: 1\nname: g\ninput: [4, 6, 6]\nnetwork:\n  - stage:\n      op: seq\n      body:\n"
                      "        - b: {op: residual, body: [c: {op: conv, out: 4, k: 3, padding: 1, norm: batchnorm},\n"
                      "                                   ls: {op: layer_scale}]}\n")
    torch.manual_seed(0)
    ref = nn.Sequential(GammaFirst()).eval()
    ref[0].block[1].running_mean.normal_()
    model = archspec.build(spec).eval()
    assert list(ref.state_dict())[0] == "0.layer_scale"  # ahead of the conv it follows in forward
    mapping = archspec.load_reference_weights(model, ref.state_dict())
    assert [(p.target, p.source) for p in mapping.pairs if p.source in ("0.layer_scale", "0.block.0.weight")] == [
        ("stage.c.conv.weight", "0.block.0.weight"), ("stage.ls.layer_scale", "0.layer_scale")]
    x = torch.randn(2, 4, 6, 6)
    with torch.no_grad():
        assert torch.equal(model(x), ref(x))


def test_shape_mismatch_by_name(donor):
    sd = dict(donor.state_dict())
    sd["fc.weight"] = torch.zeros(10, 1024)
    sd["fc.bias"] = torch.zeros(10)
    rejected(sd, r"spec module fc \[weight 1000×1024, bias 1000\] does not match reference module fc "
                 r"\[weight 10×1024, bias 10\]")


def test_leftover_reference_tensors_are_an_error(donor):
    sd = dict(sequential_names(donor.state_dict()), **{"head.weight": torch.zeros(5, 5)})
    rejected(sd, r"the spec has no place for reference tensors head\.weight \(5×5\)")


def test_missing_reference_tensors_are_an_error(donor):
    sd = {k: v for k, v in donor.state_dict().items() if not k.startswith("fc.")}
    rejected(sd, r"the reference has nothing left for fc\.weight \(1000×1024\), fc\.bias \(1000\)")


def test_integer_tensor_cannot_feed_a_float(donor):
    sd = dict(donor.state_dict())
    sd["fc.bias"] = torch.zeros(1000, dtype=torch.long)
    rejected(sd, r"fc\.bias is torch\.float32 in the spec but fc\.bias is torch\.int64")


def test_not_a_state_dict():
    rejected({"epoch": 3}, r"not a state_dict")  # type: ignore[dict-item]


def test_read_state_dict_unwraps_checkpoints(tmp_path, donor):
    path = tmp_path / "ckpt.pth"
    torch.save({"epoch": 3, "state_dict": donor.state_dict()}, path)
    assert read_state_dict(path).keys() == donor.state_dict().keys()
    torch.save({"epoch": 3}, path)
    with pytest.raises(archspec.ArchspecError, match="holds no state_dict"):
        read_state_dict(path)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(archspec.ArchspecError) as e:
        read_state_dict(path)
    # archspec's words only: torch's own advice (weights_only=False) would run the file's code
    assert e.value.first.message == f"cannot read {path} as a PyTorch checkpoint (UnpicklingError)"


def test_cli_import(tmp_path, donor, capsys):
    src, out = tmp_path / "reference.pth", tmp_path / "spec.pth"
    torch.save(sequential_names(donor.state_dict()), src)
    assert main(["weights", "import", str(SPEC), "--from", str(src), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("364 tensors mapped: 0 by name, 364 by structure")
    assert "conv1.conv.weight" in printed and "features.0.weight" in printed and f"wrote {out}" in printed
    model = fresh()
    model.load_state_dict(torch.load(out, weights_only=True))
    assert same_state(model, donor)


def test_cli_import_never_replaces_a_file_unasked(tmp_path, donor, capsys):
    src, out = tmp_path / "reference.pth", tmp_path / "user.txt"
    torch.save(donor.state_dict(), src)
    out.write_text("mine")
    assert main(["weights", "import", str(SPEC), "--from", str(src), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (f"error: --out {out} exists; archspec does not overwrite a file unasked\n"
                                       "    hint: pass --force to replace it, or name another file\n")
    assert out.read_text() == "mine"
    assert main(["weights", "import", str(SPEC), "--from", str(src), "--out", str(out), "--force"]) == 0
    assert torch.load(out, weights_only=True).keys() == donor.state_dict().keys()


def test_cli_import_error(tmp_path, capsys):
    src = tmp_path / "reference.pth"
    torch.save({"x.weight": torch.zeros(3)}, src)
    assert main(["weights", "import", str(SPEC), "--from", str(src), "--out", str(tmp_path / "o.pth")]) == 2
    err = capsys.readouterr().err
    assert "error: weight import: spec module conv1.conv [weight 64×3×7×7] does not match reference module x" in err
    assert not (tmp_path / "o.pth").exists()


def test_a_reference_without_the_training_only_heads_imports_the_rest(donor):
    """torchvision's googlenet(aux_logits=False): no aux1/aux2. The heads keep their initial values."""
    sd = {k: v for k, v in donor.state_dict().items() if not k.startswith(("aux1.", "aux2."))}
    model = fresh()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    mapping = archspec.load_reference_weights(model, sd)
    assert mapping.summary() == ("364 tensors mapped: 344 by name, 0 by structure; the reference has no "
                                 "training-only heads aux1, aux2: their 20 tensors keep their initial values")
    now = model.state_dict()
    assert all(torch.equal(now[k], sd[k]) for k in sd)
    assert all(torch.equal(now[k], before[k]) for k in now if k.startswith(("aux1.", "aux2.")))
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(model(x), donor(x))


def test_a_reference_with_one_head_of_two_is_still_an_error(donor):
    sd = {k: v for k, v in donor.state_dict().items() if not k.startswith("aux2.")}
    rejected(sd, r"the reference has nothing left for aux2\.")


@pytest.mark.parametrize("make, kind", [
    (lambda t: t.to_sparse(), "sparse"),
    (lambda t: torch.empty_like(t, device="meta"), r"meta \(shape only, no values\)"),
])
def test_sparse_or_meta_tensors_are_refused_before_anything_is_loaded(donor, make, kind):
    sd = dict(donor.state_dict())
    sd["fc.weight"] = make(sd["fc.weight"])
    model = fresh()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(archspec.ArchspecError) as e:
        archspec.load_reference_weights(model, sd)
    import re

    assert re.match(rf"error: weight import: fc\.weight is a {kind} tensor; only dense tensors", str(e.value))
    assert e.value.first.hint and all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_a_huge_reference_gives_a_short_message():
    sd = {f"k{i}": torch.zeros(1) for i in range(100_000)}
    with pytest.raises(archspec.ArchspecError) as e:
        archspec.load_reference_weights(fresh(), sd)
    assert len(str(e.value)) < 400 and "and 99994 more" in str(e.value)
    with pytest.raises(archspec.ArchspecError) as e:
        archspec.load_reference_weights(fresh(), {f"k{i}": i for i in range(100_000)})  # type: ignore[misc]
    assert len(str(e.value)) < 400 and "and 99994 more are not tensors" in str(e.value)


def test_cli_import_onto_a_full_disk_keeps_no_partial_file(tmp_path, donor, capsys, monkeypatch):
    import errno

    from archspec import fileio

    src, out = tmp_path / "reference.pth", tmp_path / "spec.pth"
    torch.save(donor.state_dict(), src)

    def full(f, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fileio, "write_chunk", full)
    assert main(["weights", "import", str(SPEC), "--from", str(src), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write the weights {out}: no space left on the device")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reference.pth"]
