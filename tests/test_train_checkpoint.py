"""Checkpoints are written atomically, read back against one schema, and refused with one clear error."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import pytest
import torch

import archspec
from archspec import fileio
from archspec.errors import ArchspecError
from archspec.train import checkpoint
from archspec.train.architecture import architecture, first_difference, fingerprint

SPEC = """
archspec: 1
name: a
input: [3, 8, 8]
network:
  - conv: {op: conv, out: 4, k: 3, padding: 1, act: relu}
  - pool: gap
  - flat: flatten
  - fc: {op: linear, out: 2}
"""


def payload(value: float) -> dict[str, Any]:
    arch = {"input": [3, 8, 8], "output": "fc", "nodes": {}, "heads": []}
    return {"format": checkpoint.FORMAT, "version": checkpoint.VERSION, "epoch": 1, "spec_ref": "a.yaml",
            "spec_name": "a", "spec_yaml": "archspec: 1\n", "architecture": arch, "fingerprint": fingerprint(arch),
            "recipe": {}, "data": "synthetic", "rng": [{"cpu": torch.get_rng_state(), "cuda": None}],
            "history": [], "best": {"epoch": 1, "val_top1": 0.5}, "world_size": 1, "step": 3,
            "model": {"fc.weight": torch.full((2, 3), value)}, "optimizer": {"state": {}, "param_groups": []},
            "scheduler": {}, "ema": None}


def test_save_then_load_with_weights_only(tmp_path: Path) -> None:
    path = tmp_path / "last.pt"
    checkpoint.save(payload(1.0), path)
    assert torch.equal(torch.load(path, weights_only=True)["model"]["fc.weight"], torch.ones(2, 3))
    ckpt = checkpoint.load(path)
    assert ckpt.epoch == 1 and ckpt.step == 3 and torch.equal(ckpt.model["fc.weight"], torch.ones(2, 3))
    assert os.listdir(tmp_path) == ["last.pt"]


def test_a_full_disk_while_writing_leaves_the_previous_checkpoint(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """torch.save turns the failed write into its own RuntimeError; the error still says: no space."""
    path = tmp_path / "last.pt"
    checkpoint.save(payload(1.0), path)
    calls = []

    def full_after_a_while(f: IO[bytes], data: Any) -> int:
        calls.append(len(data))
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return f.write(data)

    monkeypatch.setattr(fileio, "write_chunk", full_after_a_while)
    with pytest.raises(ArchspecError) as e:
        checkpoint.save(payload(2.0), path)
    assert len(calls) == 3
    assert str(e.value).startswith(f"error: cannot write checkpoint {path}: no space left on the device")
    assert "inline_container" not in str(e.value) and e.value.first.hint
    assert torch.equal(checkpoint.load(path).model["fc.weight"], torch.ones(2, 3))
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
    assert Path(renames[0][0]).name == f".last.pt.{os.getpid()}.tmp"


def test_unreadable_or_foreign_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ArchspecError, match="checkpoint not found"):
        checkpoint.load(tmp_path / "none.pt")
    text = tmp_path / "text.pt"
    text.write_text("hello\n")
    with pytest.raises(ArchspecError) as e:
        checkpoint.load(text)
    assert str(e.value).startswith(f"error: cannot read checkpoint {text}: it is not a checkpoint file")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"PK\x03\x04garbage" * 10)
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
    old = tmp_path / "old.pt"
    torch.save({**payload(1.0), "version": 1}, old)
    with pytest.raises(ArchspecError, match="is a version 1 checkpoint; this archspec reads version 2"):
        checkpoint.load(old)


@pytest.mark.parametrize("key, value, says", [
    ("model", None, "entry 'model' is missing"),
    ("epoch", "1", "entry 'epoch' is wrong"),
    ("epoch", 0, "entry 'epoch' is wrong"),
    ("rng", [], "entry 'rng' is wrong"),
    ("rng", [{"cpu": "state"}], "entry 'rng.0.cpu' is wrong"),
    ("best", {"epoch": 1}, "entry 'best.val_top1' is missing"),
    ("history", {"epoch": 1}, "entry 'history' is wrong"),
    ("model", {"fc.weight": [1.0, 2.0]}, "entry 'model.fc.weight' is wrong"),
    ("optimizer", {"state": {}}, "entry 'optimizer.param_groups' is missing"),
    ("step", 2.5, "entry 'step' is wrong"),
    ("extra", 1, "entry 'extra' is wrong"),
])
def test_missing_or_mistyped_entries_name_the_file_and_the_entry(tmp_path: Path, key: str, value: Any,
                                                                 says: str) -> None:
    raw = payload(1.0)
    if value is None:
        del raw[key]
    else:
        raw[key] = value
    path = tmp_path / "last.pt"
    torch.save(raw, path)
    with pytest.raises(ArchspecError) as e:
        checkpoint.load(path)
    assert str(e.value).startswith(f"error: {path} is a damaged archspec checkpoint: {says}"), str(e.value)
    assert e.value.first.hint


def test_weights_of_another_shape_are_refused(tmp_path: Path) -> None:
    model = torch.nn.Sequential()
    model.add_module("fc", torch.nn.Linear(3, 4, bias=False))
    with pytest.raises(ArchspecError) as e:
        checkpoint.check_fits(payload(1.0)["model"], model, "b.yaml", tmp_path / "last.pt")
    text = str(e.value)
    assert f"the weights in {tmp_path / 'last.pt'} do not fit the network of b.yaml" in text
    assert "fc.weight (2, 3) vs (4, 3)" in text


@pytest.mark.parametrize("edit, difference", [
    (("act: relu}", "act: gelu}"), "conv: args.act: relu → gelu"),
    (("  - pool: gap", "  - drop: {op: dropout, p: 0.5}\n  - pool: gap"),
     "drop: a dropout where the checkpoint has a gap (pool)"),
    (("[3, 8, 8]", "[3, 9, 9]"), "input shape: [3, 8, 8] → [3, 9, 9]"),
    (("padding: 1", "padding: 1, dilation: 1, stride: 2"), "conv: args.stride: 1 → 2"),
])
def test_the_architecture_record_names_the_first_difference(write_spec: Any, edit: tuple[str, str],
                                                            difference: str) -> None:
    base = architecture(archspec.check(write_spec(SPEC, "a.yaml")))
    other = architecture(archspec.check(write_spec(SPEC.replace(*edit), "b.yaml")))
    assert first_difference(base, other) == difference
    assert fingerprint(base) != fingerprint(other)


def test_name_description_comments_and_weightless_node_names_do_not_change_the_architecture(
        write_spec: Any) -> None:
    base = architecture(archspec.check(write_spec(SPEC, "a.yaml")))
    renamed = SPEC.replace("name: a", "name: b\ndescription: another text  # and a comment").replace("pool", "avg")
    same = architecture(archspec.check(write_spec(renamed, "b.yaml")))
    assert first_difference(base, same) is None and fingerprint(base) == fingerprint(same)


def test_stale_temporary_files_of_dead_writers_are_removed(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    stale = tmp_path / f".last.pt.{int(dead.stdout)}.tmp"
    mine = tmp_path / f".metrics.csv.{os.getpid()}.tmp"
    live = tmp_path / f".best.pt.{os.getppid()}.tmp"
    other = tmp_path / ".notes.tmp"
    for p in (stale, mine, live, other):
        p.write_bytes(b"half")
    assert sorted(fileio.remove_stale_temps(tmp_path)) == sorted([stale, mine])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])
