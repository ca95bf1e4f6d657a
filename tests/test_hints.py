"""Every error a user can cause says what to do: a non-empty hint, for each kind of error we can reach.

The spec kinds are the error table's (tests/test_error_table.py); the rest are the training,
checkpoint, file-output and weight-import kinds, each provoked for real.
"""

from __future__ import annotations

import errno
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pytest
import torch

import archspec
from archspec import fileio
from archspec.errors import ArchspecError
from archspec.train import checkpoint
from archspec.train.recipe import Data
from archspec.train.resolve import resolve_run
from archspec.train.sources import open_source
from test_error_table import CASES

NET = "archspec: 1\nname: s\ninput: [3, 8, 8]\nnetwork: [{flat: flatten}, {fc: {op: linear, out: 10}}]\n"


def assert_hinted(err: ArchspecError) -> None:
    for problem in err.problems:
        assert (problem.hint or "").strip(), f"no hint for: {problem}"


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in CASES])
def test_spec_errors_have_a_hint(case: Any, write_spec: Callable[..., Path]) -> None:
    path = write_spec(case[1])
    with pytest.raises(ArchspecError) as info:
        archspec.check(f"{path}{'#v' if 'variants:' in case[1] else ''}")
    assert_hinted(info.value)


def _recipe(tmp: Path, section: str) -> None:
    (tmp / "s.yaml").write_text(NET + f"train: {section}\n")
    resolve_run(str(tmp / "s.yaml"), [])


def _checkpoint(tmp: Path, content: Any) -> None:
    path = tmp / "last.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save(content, path)
    checkpoint.load(path)


def _cifar(tmp: Path, labels: Any) -> None:
    root = tmp / "cifar"
    root.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with (root / name).open("wb") as f:
            pickle.dump({b"data": np.zeros((2, 3072), np.uint8), b"labels": labels}, f)
    open_source(f"cifar10:{root}", Data(), (3, 32, 32), 10)


def _full_disk(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(f: IO[bytes], data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fileio, "write_chunk", full)
    checkpoint.save({"x": torch.zeros(2)}, tmp / "last.pt")


def _weights(tmp: Path, state: dict[str, Any]) -> None:
    archspec.load_reference_weights(archspec.build(archspec.load(str(tmp / "s.yaml"))), state)


KINDS: list[tuple[str, Callable[[Path, pytest.MonkeyPatch], None]]] = [
    ("recipe_unknown_key", lambda t, m: _recipe(t, "{epocs: 3}")),
    ("recipe_unknown_kind", lambda t, m: _recipe(t, "{optimizer: {kind: lion}}")),
    ("recipe_out_of_range", lambda t, m: _recipe(t, "{optimizer: {kind: sgd, lr: 1.0e+300}}")),
    ("recipe_not_finite", lambda t, m: _recipe(t, "{clip_grad_norm: .nan}")),
    ("recipe_file_missing", lambda t, m: _recipe(t, "{recipe: none.yaml}")),
    ("recipe_file_not_a_mapping", lambda t, m: ((t / "r.yaml").write_text("[1, 2]\n"), _recipe(t, "{recipe: r.yaml}"))),
    ("checkpoint_missing", lambda t, m: checkpoint.load(t / "none.pt")),
    ("checkpoint_text", lambda t, m: _checkpoint(t, b"hello\n")),
    ("checkpoint_bad_zip", lambda t, m: _checkpoint(t, b"PK\x03\x04" + b"x" * 64)),
    ("checkpoint_foreign", lambda t, m: _checkpoint(t, {"state_dict": {}})),
    ("checkpoint_old_version", lambda t, m: _checkpoint(t, {"format": checkpoint.FORMAT, "version": 1})),
    ("checkpoint_damaged", lambda t, m: _checkpoint(t, {"format": checkpoint.FORMAT, "version": 2})),
    ("write_full_disk", _full_disk),
    ("write_under_a_file", lambda t, m: fileio.write_text(t / "s.yaml" / "x.json", "x")),
    ("write_a_folder", lambda t, m: fileio.write_text(t, "x")),
    ("write_in_proc", lambda t, m: fileio.write_text(Path("/proc/archspec-test.json"), "x")),
    ("cifar_missing", lambda t, m: open_source(f"cifar10:{t / 'none'}", Data(), (3, 32, 32), 10)),
    ("cifar_string_label", lambda t, m: _cifar(t, ["1", 2])),
    ("cifar_label_range", lambda t, m: _cifar(t, [1, 12])),
    ("data_source_unknown", lambda t, m: open_source("bogus", Data(), (3, 8, 8), 10)),
    ("data_source_no_path", lambda t, m: open_source("cifar10:", Data(), (3, 8, 8), 10)),
    ("data_synthetic_path", lambda t, m: open_source("synthetic:x", Data(), (3, 8, 8), 10)),
    ("data_classes", lambda t, m: open_source("synthetic", Data(), (3, 8, 8), 7)),
    ("data_mean_channels", lambda t, m: open_source("synthetic", Data(mean=[0.5, 0.5]), (3, 8, 8), 10)),
    ("weights_not_tensors", lambda t, m: _weights(t, {"fc.weight": 1})),
    ("weights_sparse", lambda t, m: _weights(t, {"fc.weight": torch.zeros(10, 192).to_sparse()})),
    ("weights_left_over", lambda t, m: _weights(t, {"fc.weight": torch.zeros(10, 192), "fc.bias": torch.zeros(10),
                                                    "x.weight": torch.zeros(1)})),
    ("weights_missing", lambda t, m: _weights(t, {"fc.weight": torch.zeros(10, 192)})),
    ("weights_shape", lambda t, m: _weights(t, {"fc.weight": torch.zeros(10, 19), "fc.bias": torch.zeros(10)})),
]


@pytest.mark.parametrize("provoke", [k[1] for k in KINDS], ids=[k[0] for k in KINDS])
def test_training_output_and_weight_errors_have_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      provoke: Callable[[Path, pytest.MonkeyPatch], None]) -> None:
    (tmp_path / "s.yaml").write_text(NET)
    with pytest.raises(ArchspecError) as info:
        provoke(tmp_path, monkeypatch)
    assert_hinted(info.value)
