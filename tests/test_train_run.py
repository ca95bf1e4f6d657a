"""End to end on a tiny spec and tiny synthetic data: the run directory, eval, resume after a kill,
a NaN stop, user errors, CPU code paths of the CUDA recipe (bf16, channels_last, compile), DDP."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from archspec.api import build
from archspec.cli import main
from archspec.spec.resolve import resolve
from archspec.train.distributed import digest
from archspec.train.progress import Progress
from archspec.train.resolve import resolve_run
from archspec.train.rundir import COLUMNS

TINY = """
archspec: 1
name: tiny
input: [3, 8, 8]
params: {classes: 10}
network:
  - conv: {op: conv, out: 4, k: 3, padding: 1, norm: batchnorm, act: relu}
  - drop: {op: dropout, p: 0.2}
  - pool: gap
  - flat: flatten
  - fc: {op: linear, out: "${classes}"}
  - aux: {op: aux, from: conv, loss_weight: 0.3, body: [{p: gap}, {f: flatten}, {fc: {op: linear, out: "${classes}"}}]}
train:
  epochs: 2
  batch_size: 16
  optimizer: {kind: sgd, lr: 0.05, momentum: 0.9}
  schedule: {kind: exponential, gamma: 0.5, every: 1}
  loss: {label_smoothing: 0.1}
  clip_grad_norm: 5.0
  ema: {decay: 0.99}
  data: {synthetic: {train: 96, val: 48}}
"""
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny models run fastest, and identically, on one thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "tiny.yaml"
    path.write_text(textwrap.dedent(TINY).lstrip(), encoding="utf-8")
    return path


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def archspec_process(*argv: str) -> list[str]:
    return [sys.executable, "-m", "archspec", *argv]


def tensors_equal(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(tensors_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(tensors_equal(x, y) for x, y in zip(a, b))
    return a == b


def test_run_directory(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "train", str(spec), "--out", "run", "--device", "cpu")
    assert code == 0
    assert "data: synthetic (procedurally drawn shapes and textures, not a real data set)" in out
    assert "epoch 2/2" in out and "done: val top-1" in out and "on synthetic data" in out
    run = spec.parent / "run"
    assert {p.name for p in run.iterdir()} >= {"last.pt", "best.pt", "metrics.csv", "curves.png", "tb",
                                               "summary.json", "spec.yaml"}
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert tuple(rows[0]) == COLUMNS and [r["epoch"] for r in rows] == ["1", "2"]
    assert float(rows[1]["lr"]) == pytest.approx(0.025)
    assert (run / "curves.png").read_bytes().startswith(b"\x89PNG")
    assert any(p.name.startswith("events.out.tfevents") for p in (run / "tb").iterdir())
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["synthetic_data"] and summary["completed_epochs"] == 2
    assert summary["steps"] == 2 * (96 // 16) and summary["averaged_weights"]
    ckpt = torch.load(run / "last.pt", weights_only=True)
    assert ckpt["epoch"] == 2 and ckpt["recipe"]["optimizer"]["lr"] == 0.05
    assert ckpt["spec_yaml"] == (run / "spec.yaml").read_text()
    again = resolve_run(str(run / "spec.yaml"), [])
    assert again.recipe.model_dump() == resolve_run(str(spec), []).recipe.model_dump()
    assert resolve(str(run / "spec.yaml")).spec.name == "tiny"


def test_eval_uses_the_averaged_weights(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "train", str(spec), "--out", "run")[0] == 0
    summary = json.loads((spec.parent / "run" / "summary.json").read_text())
    code, out, _ = cli(capsys, "eval", str(spec), "--checkpoint", "run/last.pt", "--format", "json")
    result = json.loads(out)
    assert code == 0 and result["weights"] == "averaged" and result["images"] == 48
    assert result["top1"] == pytest.approx(summary["final"]["val_top1"])
    assert result["loss"] == pytest.approx(summary["final"]["val_loss"], rel=1e-5)
    code, out, _ = cli(capsys, "eval", str(spec), "--checkpoint", "run/best.pt", "--raw-weights")
    assert code == 0 and out.startswith("top-1 ") and "top-5" in out and "trained weights" in out


def test_resume_after_a_kill_is_bit_identical(spec: Path, tmp_path: Path) -> None:
    sets = ["--set", "train.epochs=3", "--set", "train.data.synthetic.train=320"]
    full = subprocess.run(archspec_process("train", str(spec), "--out", "full", *sets),
                          cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=300, check=False)
    assert full.returncode == 0, full.stderr
    proc = subprocess.Popen(archspec_process("train", str(spec), "--out", "killed", *sets),
                            cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("epoch 1/3"):
            proc.kill()
            break
    proc.wait(timeout=60)
    killed = tmp_path / "killed"
    assert not (killed / "summary.json").exists()
    assert torch.load(killed / "last.pt", weights_only=True)["epoch"] in (1, 2)
    resumed = subprocess.run(archspec_process("train", str(spec), "--resume", "killed"),
                             cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stdout and "epoch 3/3" in resumed.stdout
    a = torch.load(tmp_path / "full" / "last.pt", weights_only=True)
    b = torch.load(killed / "last.pt", weights_only=True)
    for key in ("model", "optimizer", "scheduler", "ema", "step", "rng", "epoch"):
        assert tensors_equal(a[key], b[key]), key
    rows = list(csv.DictReader((killed / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]


def test_resume_can_extend_a_finished_run(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=1")[0] == 0
    code, out, _ = cli(capsys, "train", str(spec), "--resume", "run", "--set", "train.epochs=2",
                       "--set", "train.optimizer.lr=0.5")
    assert code == 0 and "continuing after epoch 1" in out and "epoch 2/2" in out
    ckpt = torch.load(spec.parent / "run" / "last.pt", weights_only=True)
    assert ckpt["epoch"] == 2 and ckpt["recipe"]["optimizer"]["lr"] == 0.5
    rows = list(csv.DictReader((spec.parent / "run" / "metrics.csv").open()))
    assert [float(r["lr"]) for r in rows] == pytest.approx([0.05, 0.25])


def test_nan_loss_stops_naming_the_step_and_keeps_the_last_checkpoint(
        spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    no_bn = spec.read_text().replace("norm: batchnorm, ", "").replace("clip_grad_norm: 5.0", "clip_grad_norm: null")
    spec.write_text(no_bn.replace("gamma: 0.5", "gamma: 1.0e+12"))
    code, _, err = cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=3")
    assert code == 2
    assert "training stopped: the loss became nan at step" in err and "(epoch 2, batch" in err
    assert "the last good checkpoint is run/last.pt (epoch 1)" in err and "Traceback" not in err
    assert torch.load(spec.parent / "run" / "last.pt", weights_only=True)["epoch"] == 1
    assert torch.load(spec.parent / "run" / "best.pt", weights_only=True)["epoch"] == 1
    summary = json.loads((spec.parent / "run" / "summary.json").read_text())
    assert summary["status"] == "stopped" and summary["completed_epochs"] == 1


@pytest.mark.parametrize("argv, message", [
    (["--resume", "nowhere"], "--resume nowhere: no such run directory"),
    (["--resume", "empty"], "--resume empty: the run directory holds no checkpoint (last.pt)"),
    (["--set", "train.optimizer.momentum=2"], "--set train.optimizer.momentum: error: invalid value 2"),
    (["--set", "train.batch_size=1000"], "fewer than one batch of 1000"),
    (["--data", "cifar10:nowhere"], "CIFAR-10 directory not found: nowhere"),
    (["--device", "cuda"] if not torch.cuda.is_available() else ["--data", "bogus"], "error:"),
])
def test_user_errors_are_one_message_and_exit_2(spec: Path, capsys: pytest.CaptureFixture[str],
                                                 argv: list[str], message: str) -> None:
    (spec.parent / "empty").mkdir()
    code, _, err = cli(capsys, "train", str(spec), *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_resume_or_eval_with_another_spec_is_refused(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=1")[0] == 0
    code, _, err = cli(capsys, "train", str(spec), "--resume", "run", "--set", "params.classes=12")
    assert code == 2 and "checkpoint run/last.pt was made from spec" in err and "fc.weight (10, 4) vs (12, 4)" in err
    code, _, err = cli(capsys, "eval", str(spec), "--checkpoint", "run/last.pt", "--set", "network.conv.out=6")
    assert code == 2 and "whose network differs" in err
    code, _, err = cli(capsys, "train", str(spec), "--out", "run")
    assert code == 2 and "run already holds a run" in err and "--resume run" in err


def test_bf16_autocast_and_channels_last_on_cpu(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=1",
                       "--set", "train.precision=bf16", "--set", "train.channels_last=true")
    assert code == 0 and "on cpu, bf16 autocast, channels_last" in out
    ckpt = torch.load(spec.parent / "run" / "last.pt", weights_only=True)
    weights = ckpt["model"]["conv.conv.weight"]
    assert weights.dtype == torch.float32 and torch.isfinite(weights).all()
    assert weights.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torch_compile_on_cpu(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=1",
                       "--set", "train.compile=true")
    assert code == 0 and "epoch 1/1" in out
    ckpt = torch.load(spec.parent / "run" / "last.pt", weights_only=True)
    assert not any(k.startswith("_orig_mod") for k in ckpt["model"])


def test_two_process_ddp_on_gloo(spec: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "archspec", "train", str(spec), "--out", str(runs / "ddp"), "--set", "train.epochs=1",
           "--device", "cpu"]
    done = subprocess.run(cmd, cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("x 2 processes") == 1 and done.stdout.count("epoch 1/1") == 1
    assert [p.name for p in runs.iterdir()] == ["ddp"]
    summary = json.loads((runs / "ddp" / "summary.json").read_text())
    digests = summary["replica_digests"]
    assert summary["world_size"] == 2 and len(digests) == 2 and summary["replicas_identical"]
    ckpt = torch.load(runs / "ddp" / "last.pt", weights_only=True)
    built = build(str(spec))
    built.load_state_dict(ckpt["model"])
    assert digest(built) == digests[0]
    assert ckpt["step"] == (96 // 2) // 16
    assert len(ckpt["rng"]) == 2


def test_progress_bar_on_a_terminal_and_log_lines_otherwise() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    bar = Progress(True, log_every=2, stream=term)
    bar.start_epoch(1, 3, 4)
    for i in range(1, 5):
        bar.step(i, 32 * i, lambda: (1.5, 0.25), 0.01)
    bar.end_epoch()
    assert "epoch 1/3" in term.getvalue() and "loss 1.5000 top-1 25.0% lr 0.01" in term.getvalue()
    log = io.StringIO()
    lines = Progress(True, log_every=2, stream=log)
    lines.start_epoch(1, 3, 5)
    for i in range(1, 6):
        lines.step(i, 32 * i, lambda: (1.5, 0.25), 0.01)
    assert [line.split(" loss")[0] for line in log.getvalue().splitlines()] == [
        "epoch 1/3 step 2/5", "epoch 1/3 step 4/5"]
    quiet = io.StringIO()
    Progress(False, 1, stream=quiet).line("rank 1 says nothing")
    assert quiet.getvalue() == ""
