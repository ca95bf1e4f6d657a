"""End to end on a tiny spec and tiny synthetic data: the run directory, eval, resume after a kill,
a NaN stop, user errors, CPU code paths of the CUDA recipe (bf16, channels_last, compile), DDP."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

import archspec
from archspec.api import build
from archspec.cli import main
from archspec.spec.resolve import resolve
from archspec.train.architecture import architecture, fingerprint
from archspec.train.distributed import digest
from archspec.train.progress import Progress
from archspec.train.resolve import resolve_run
from archspec.train.rundir import COLUMNS
from conftest import spec_in_cwd

pytestmark = pytest.mark.usefixtures("one_thread")

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


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return spec_in_cwd(tmp_path, monkeypatch, TINY)


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
    assert summary["architecture_fingerprint"] == fingerprint(architecture(archspec.check(str(spec))))
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


def test_resume_after_a_kill_is_bit_identical(spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An uninterrupted run (in this process) and a run killed after epoch 1 and resumed end identical."""
    sets = ["--set", "train.epochs=3", "--set", "train.data.synthetic.train=160",
            "--set", "train.data.synthetic.val=16"]
    assert cli(capsys, "train", str(spec), "--out", "full", *sets)[0] == 0
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
    code, out, err = cli(capsys, "train", str(spec), "--resume", "killed")
    assert code == 0, err
    assert "resuming" in out and "epoch 3/3" in out
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
    spec.write_text(no_bn)
    assert cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=1")[0] == 0
    code, _, err = cli(capsys, "train", str(spec), "--resume", "run", "--set", "train.epochs=3",
                       "--set", "train.optimizer.lr=100", "--set", "train.data.std=[0.001,0.001,0.001]")
    assert code == 2
    assert "training stopped: the loss became nan at step" in err and "(epoch 2, batch" in err
    assert "the last good checkpoint is run/last.pt (epoch 1)" in err and "Traceback" not in err
    assert torch.load(spec.parent / "run" / "last.pt", weights_only=True)["epoch"] == 1
    assert torch.load(spec.parent / "run" / "best.pt", weights_only=True)["epoch"] == 1
    summary = json.loads((spec.parent / "run" / "summary.json").read_text())
    assert summary["status"] == "stopped" and summary["completed_epochs"] == 1


def test_a_validation_loss_that_diverges_stops_the_run_without_saving_that_epoch(
        spec: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every step's loss finite (3.8e17 in the new-user trial), the validation loss inf: the run
    used to end 'completed', with a best.pt."""
    from archspec.train.loop import Trainer
    from archspec.train.metrics import Stats

    real = Trainer.validate
    calls: list[int] = []

    def validate(self: Trainer) -> Stats:
        calls.append(1)
        stats = real(self)
        return Stats(float("inf"), stats.top1, stats.top5, stats.images) if len(calls) == 2 else stats

    monkeypatch.setattr(Trainer, "validate", validate)
    code, _, err = cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=3")
    assert code == 2
    assert err.splitlines()[0] == ("error: training stopped: the validation loss became inf after epoch 2 (step 12), "
                                   "so its weights were not saved, and the last good checkpoint is run/last.pt "
                                   "(epoch 1)")
    assert torch.load(spec.parent / "run" / "last.pt", weights_only=True)["epoch"] == 1
    summary = json.loads((spec.parent / "run" / "summary.json").read_text())
    assert summary["status"] == "stopped" and summary["completed_epochs"] == 1


@pytest.mark.parametrize("argv, message", [
    (["--resume", "nowhere"], "--resume nowhere: no such run directory"),
    (["--resume", "empty"], "--resume empty: the run directory holds no checkpoint (last.pt)"),
    (["--set", "train.optimizer.momentum=2"], "--set train.optimizer.momentum: error: invalid value 2"),
    (["--set", "train.batch_size=1000"], "fewer than one batch of 1000"),
    (["--data", "cifar10:nowhere"], "CIFAR-10 directory not found: nowhere"),
    (["--data", "bogus"],
     "error: unknown data source 'bogus'\n    hint: use synthetic, cifar10, cifar100, cifar10:PATH, cifar100:PATH or imagefolder:PATH"),
    pytest.param(["--device", "cuda"], "error: --device cuda: no CUDA device is available to this PyTorch build\n"
                 "    hint: use --device cpu", marks=pytest.mark.skipif(torch.cuda.is_available(), reason="has CUDA")),
    (["--out", "mine"], "error: --out mine is a folder that already holds files (spec.yaml); a run would "
                        "overwrite its spec.yaml, metrics.csv and summary.json\n    hint: name a new folder"),
    (["--out", "tiny.yaml"], "error: --out tiny.yaml is a file, not a folder"),
    (["--out", "tiny.yaml/run"], "error: cannot write run directory tiny.yaml/run: tiny.yaml is a file, not a folder"),
    (["--out", "/proc/archspec-run"], "error: cannot write run directory /proc/archspec-run: "),
    (["--init-from", "nowhere.pt"], "error: checkpoint not found: nowhere.pt"),
    (["--resume", "empty", "--init-from", "x.pt"], "error: --resume and --init-from both name a checkpoint"),
])
def test_user_errors_are_one_message_and_exit_2(spec: Path, capsys: pytest.CaptureFixture[str],
                                                 argv: list[str], message: str) -> None:
    (spec.parent / "empty").mkdir()
    (spec.parent / "mine").mkdir()
    (spec.parent / "mine" / "spec.yaml").write_text("my own\n")
    code, out, err = cli(capsys, "train", str(spec), *argv)
    assert code == 2 and message in err and "Traceback" not in err, err
    if "invalid value" not in message:  # the spec validator's messages carry the expectation in the message
        lines = err.strip().splitlines()
        assert len(lines) == 2 and lines[1].startswith("    hint: ") and lines[1].split("hint: ")[1].strip(), err
    assert (spec.parent / "mine" / "spec.yaml").read_text() == "my own\n"
    assert sorted(p.name for p in spec.parent.iterdir()) == ["empty", "mine", "tiny.yaml"]


@pytest.mark.parametrize("edit, difference", [
    (("act: relu}", "act: gelu}"), "conv: args.act: relu → gelu"),
    (("  - pool: gap", "  - pool0: {op: maxpool, k: 2}\n  - pool: gap"),
     "pool0: a maxpool where the checkpoint has a gap (pool)"),
    (("p: 0.2", "p: 0.5"), "drop: args.p: 0.2 → 0.5"),
])
def test_resume_or_eval_in_another_architecture_is_refused(spec: Path, capsys: pytest.CaptureFixture[str],
                                                           edit: tuple[str, str], difference: str) -> None:
    """Same weight names and shapes, another computation: refused, naming the first difference."""
    assert cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=1")[0] == 0
    spec_yaml = (spec.parent / "run" / "spec.yaml").read_text()
    other = spec.parent / "other.yaml"
    other.write_text(spec.read_text().replace(*edit))
    code, _, err = cli(capsys, "train", str(other), "--resume", "run", "--set", "train.epochs=2")
    assert code == 2 and err.startswith(f"error: checkpoint run/last.pt was made from spec {str(spec)!r} (tiny), "
                                        f"whose architecture differs from {other}: {difference}\n"), err
    assert "--init-from run/last.pt" in err
    assert (spec.parent / "run" / "spec.yaml").read_text() == spec_yaml
    assert torch.load(spec.parent / "run" / "last.pt", weights_only=True)["epoch"] == 1
    code, _, err = cli(capsys, "eval", str(other), "--checkpoint", "run/last.pt")
    assert code == 2 and f"differs from {other}: {difference}" in err and "--weights-only" in err
    code, out, _ = cli(capsys, "eval", str(other), "--checkpoint", "run/last.pt", "--weights-only", "--format", "json")
    assert code == 0 and json.loads(out)["images"] == 48


def test_a_new_name_and_description_are_the_same_architecture(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=1")[0] == 0
    other = spec.parent / "renamed.yaml"
    other.write_text(spec.read_text().replace("name: tiny", "name: renamed\ndescription: same network"))
    code, out, _ = cli(capsys, "eval", str(other), "--checkpoint", "run/last.pt")
    assert code == 0 and "(48 images" in out


def test_init_from_starts_a_new_run_from_the_weights(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=1")[0] == 0
    other = spec.parent / "other.yaml"
    other.write_text(spec.read_text().replace("act: relu}", "act: gelu}"))
    code, out, _ = cli(capsys, "train", str(other), "--init-from", "run/last.pt", "--out", "new",
                       "--set", "train.epochs=1")
    assert code == 0 and "epoch 1/1" in out
    summary = json.loads((spec.parent / "new" / "summary.json").read_text())
    assert summary["initialised_from"] == "run/last.pt" and summary["completed_epochs"] == 1
    code, _, err = cli(capsys, "train", str(spec), "--init-from", "run/last.pt", "--set", "params.classes=12")
    assert code == 2 and "do not fit the network" in err and "fc.weight (10, 4) vs (12, 4)" in err


def test_init_from_takes_the_state_dict_that_weights_import_writes(spec: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Fine-tuning reference weights: `weights import` writes the compiled module's bare state_dict,
    which --init-from starts from exactly."""
    torch.manual_seed(5)
    donor = archspec.build(spec)
    torch.save(donor.state_dict(), spec.parent / "reference.pt")
    assert cli(capsys, "weights", "import", str(spec), "--from", "reference.pt", "--out", "imported.pt")[0] == 0
    from archspec.train.checkpoint import load_weights

    start = load_weights(spec.parent / "imported.pt")
    assert start.keys() == donor.state_dict().keys()
    assert all(torch.equal(start[k], v) for k, v in donor.state_dict().items())
    code, out, _ = cli(capsys, "train", str(spec), "--init-from", "imported.pt", "--out", "tuned",
                       "--set", "train.epochs=1")
    assert code == 0 and "epoch 1/1" in out
    assert json.loads((spec.parent / "tuned" / "summary.json").read_text())["initialised_from"] == "imported.pt"


def test_resume_of_a_damaged_or_foreign_run(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = spec.parent / "run"
    run.mkdir()
    (run / "last.pt").write_text("not a checkpoint\n")
    for argv in (["train", str(spec), "--resume", "run"], ["eval", str(spec), "--checkpoint", "run/last.pt"]):
        code, _, err = cli(capsys, *argv)
        assert code == 2 and err.startswith("error: cannot read checkpoint run/last.pt: it is not a checkpoint file")
        assert "hint: " in err and "Traceback" not in err
    torch.save({"format": "archspec-checkpoint", "version": 2, "epoch": 1}, run / "last.pt")
    code, _, err = cli(capsys, "train", str(spec), "--resume", "run")
    assert code == 2 and err.startswith("error: run/last.pt is a damaged archspec checkpoint: entry ")


def test_resume_with_an_optimizer_state_of_another_layout(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The schema types the entries; the optimizer's inner layout is torch's, checked by loading it."""
    assert cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=1")[0] == 0
    ckpt = torch.load(spec.parent / "run" / "last.pt", weights_only=True)
    ckpt["optimizer"]["param_groups"] = ckpt["optimizer"]["param_groups"] * 2
    torch.save(ckpt, spec.parent / "run" / "last.pt")
    code, _, err = cli(capsys, "train", str(spec), "--resume", "run", "--set", "train.epochs=2")
    assert code == 2 and err.startswith("error: run/last.pt is a damaged archspec checkpoint: its optimizer, "
                                        "schedule or random state does not load (ValueError: "), err
    assert "hint: use another checkpoint" in err


def test_an_existing_run_is_never_overwritten(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=1")[0] == 0
    code, _, err = cli(capsys, "train", str(spec), "--out", "run")
    assert code == 2 and err.startswith("error: run already holds a run (last.pt)") and "--resume run" in err
    (spec.parent / "fresh").mkdir()
    assert cli(capsys, "train", str(spec), "--out", "fresh", "--set", "train.epochs=1")[0] == 0


def test_a_full_disk_during_a_checkpoint_keeps_the_previous_one(spec: Path, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from archspec import fileio

    assert cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=1")[0] == 0
    before = (spec.parent / "run" / "last.pt").read_bytes()
    real = fileio.write_chunk

    def full_for_checkpoints(f: Any, data: Any) -> int:
        if bytes(data[:4]) == b"PK\x03\x04":  # a checkpoint (a zip archive) starts writing
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(f, data)

    monkeypatch.setattr(fileio, "write_chunk", full_for_checkpoints)
    code, _, err = cli(capsys, "train", str(spec), "--resume", "run", "--set", "train.epochs=2")
    assert code == 2 and err.startswith("error: cannot write checkpoint run/last.pt: no space left on the device\n")
    assert "hint: free space" in err and "inline_container" not in err and "Traceback" not in err
    assert (spec.parent / "run" / "last.pt").read_bytes() == before
    assert not [p for p in (spec.parent / "run").iterdir() if p.name.endswith(".tmp")]


def test_resume_removes_what_a_killed_writer_left(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=1")[0] == 0
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    left = spec.parent / "run" / f".last.pt.{int(dead.stdout)}.tmp"
    left.write_bytes(b"PK\x03\x04 half a checkpoint")
    code, out, _ = cli(capsys, "train", str(spec), "--resume", "run", "--set", "train.epochs=2")
    assert code == 0 and f"removed 1 temporary file(s) a killed run left: {left.name}" in out
    assert not left.exists()


def test_bf16_autocast_and_channels_last_on_cpu(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=1",
                       "--set", "train.precision=bf16", "--set", "train.channels_last=true")
    assert code == 0 and "on cpu, bf16 autocast, channels_last" in out
    ckpt = torch.load(spec.parent / "run" / "last.pt", weights_only=True)
    weights = ckpt["model"]["conv.conv.weight"]
    assert weights.dtype == torch.float32 and torch.isfinite(weights).all()
    assert weights.is_contiguous(memory_format=torch.channels_last)


def compiled_run(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=1",
                       "--set", "train.compile=true", "--set", "train.data.synthetic.train=32",
                       "--set", "train.data.synthetic.val=16")
    assert code == 0 and "epoch 1/1" in out
    ckpt = torch.load(spec.parent / "run" / "last.pt", weights_only=True)
    assert not any(k.startswith("_orig_mod") for k in ckpt["model"]) and ckpt["step"] == 2
    built = build(str(spec))
    built.load_state_dict(ckpt["model"])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torch_compile_on_cpu(spec: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The run traces the model with dynamo and AOT autograd (where a module that does not compile
    fails); the eager backend skips inductor's C++ code generation, half a minute on CPU."""
    real = torch.compile
    backends: list[str] = []

    def traced(model: Any, **kwargs: Any) -> Any:
        backends.append("aot_eager")
        return real(model, backend="aot_eager", **kwargs)

    monkeypatch.setattr(torch, "compile", traced)
    compiled_run(spec, capsys)
    assert backends == ["aot_eager"]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torch_compile_with_inductor_on_cpu(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    compiled_run(spec, capsys)


def test_two_process_ddp_on_gloo(spec: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "archspec", "train", str(spec), "--out", str(runs / "ddp"), "--set", "train.epochs=1",
           "--set", "train.data.synthetic.train=64", "--set", "train.data.synthetic.val=16", "--device", "cpu"]
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
    assert ckpt["step"] == (64 // 2) // 16
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


def test_tensorboard_on_a_full_disk_is_one_error(spec: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from torch.utils.tensorboard import SummaryWriter

    def full(self: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(SummaryWriter, "flush", full)
    code, _, err = cli(capsys, "train", str(spec), "--out", "run", "--set", "train.epochs=1")
    assert code == 2 and err.startswith("error: cannot write TensorBoard logs run/tb: no space left on the device")
    assert "Traceback" not in err and torch.load(spec.parent / "run" / "last.pt", weights_only=True)["epoch"] == 1
