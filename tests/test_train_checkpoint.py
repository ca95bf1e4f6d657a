"""Checkpoints are written atomically and read back safely, or refused with one clear error."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO

import pytest
import torch

from archspec.errors import ArchspecError
from archspec.train import checkpoint


def payload(value: float) -> dict[str, Any]:
    return {"format": checkpoint.FORMAT, "version": checkpoint.VERSION, "epoch": 1, "spec_ref": "a.yaml",
            "spec_name": "a", "model": {"fc.weight": torch.full((2, 3), value)}}


def test_save_then_load_with_weights_only(tmp_path: Path) -> None:
    path = tmp_path / "last.pt"
    checkpoint.save(payload(1.0), path)
    assert torch.equal(torch.load(path, weights_only=True)["model"]["fc.weight"], torch.ones(2, 3))
    assert checkpoint.load(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["last.pt"]


def test_a_crash_while_writing_leaves_the_previous_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "last.pt"
    checkpoint.save(payload(1.0), path)

    def dies_halfway(obj: Any, f: BinaryIO) -> None:
        f.write(b"PK\x03\x04 half a zip file")
        raise OSError("No space left on device")

    monkeypatch.setattr(torch, "save", dies_halfway)
    with pytest.raises(OSError, match="No space left"):
        checkpoint.save(payload(2.0), path)
    assert torch.equal(checkpoint.load(path)["model"]["fc.weight"], torch.ones(2, 3))
    assert os.listdir(tmp_path) == ["last.pt"]


def test_the_new_file_replaces_the_old_in_one_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "last.pt"
    checkpoint.save(payload(1.0), path)
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any) -> None:
        assert torch.equal(torch.load(src, weights_only=True)["model"]["fc.weight"], torch.full((2, 3), 2.0))
        assert torch.equal(torch.load(dst, weights_only=True)["model"]["fc.weight"], torch.ones(2, 3))
        renames.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    checkpoint.save(payload(2.0), path)
    assert len(renames) == 1 and Path(renames[0][0]).parent == tmp_path and renames[0][1] == str(path)


def test_unreadable_or_foreign_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ArchspecError, match="checkpoint not found"):
        checkpoint.load(tmp_path / "none.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(ArchspecError, match=f"cannot read checkpoint {junk}"):
        checkpoint.load(junk)
    good = tmp_path / "good.pt"
    checkpoint.save(payload(1.0), good)
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good.read_bytes()[:300])
    with pytest.raises(ArchspecError, match=f"cannot read checkpoint {cut}"):
        checkpoint.load(cut)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(ArchspecError, match="not an archspec checkpoint"):
        checkpoint.load(foreign)


def test_checkpoint_of_another_network_is_refused(tmp_path: Path) -> None:
    model = torch.nn.Sequential()
    model.add_module("fc", torch.nn.Linear(3, 4, bias=False))
    with pytest.raises(ArchspecError) as e:
        checkpoint.check_fits(payload(1.0), model, "b.yaml", tmp_path / "last.pt")
    text = str(e.value)
    assert "made from spec 'a.yaml' (a)" in text and "differs from b.yaml" in text and "fc.weight (2, 3) vs (4, 3)" in text
