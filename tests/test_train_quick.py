"""Quick runs, early stopping, the logs a user reads, and eval / predict from a checkpoint alone."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import archspec
from archspec.cli import main, parser
from archspec.errors import ArchspecError
from archspec.train.curves import plot_curves
from archspec.train.recipe import EarlyStop
from archspec.train.stopping import batch_count, epochs_without_improvement
from conftest import spec_in_cwd

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = """
archspec: 1
name: tiny
input: [3, 8, 8]
params: {classes: 10}
network:
  - conv: {op: conv, out: 4, k: 3, padding: 1, norm: batchnorm, act: relu}
  - pool: gap
  - flat: flatten
  - fc: {op: linear, out: "${classes}"}
train:
  epochs: 2
  batch_size: 16
  optimizer: {kind: sgd, lr: 0.05, momentum: 0.9}
  schedule: {kind: exponential, gamma: 0.5, every: 1}
  data: {synthetic: {train: 96, val: 48}}
"""


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return spec_in_cwd(tmp_path, monkeypatch, TINY)


def train(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["train", *argv, "--device", "cpu"])
    out, err = capsys.readouterr()
    return code, out, err


def summary(run: str = "run") -> dict:
    return json.loads((Path(run) / "summary.json").read_text())


def test_each_flag_is_its_set_path_in_command_line_order() -> None:
    args = parser().parse_args(["train", "x.yaml", "--lr", "0.01", "--set", "train.optimizer.lr=0.02", "--epochs", "3",
                                "--fast-dev-run", "--limit-batches", "0.25", "--width", "0.5", "--max-steps", "7",
                                "--batch-size", "8"])
    assert args.set == ["train.optimizer.lr=0.01", "train.optimizer.lr=0.02", "train.epochs=3",
                        "train.fast_dev_run=true", "train.limit_batches=0.25", "scale.width=0.5",
                        "train.max_steps=7", "train.batch_size=8"]


def test_batch_counts() -> None:
    assert [batch_count(10, None, False), batch_count(10, 3, False), batch_count(10, 30, False)] == [10, 3, 10]
    assert [batch_count(10, 0.25, False), batch_count(10, 0.01, False), batch_count(10, 1.0, False)] == [2, 1, 10]
    assert batch_count(10, None, True) == 1


def test_fast_dev_run_trains_one_batch_and_keeps_nothing(spec: Path, capsys: pytest.CaptureFixture[str],
                                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    code, out, _ = train(capsys, str(spec), "--fast-dev-run")
    assert code == 0 and "epoch 1/1" in out and "no files kept (fast dev run)" in out
    assert not [p for p in scratch.iterdir() if p.name.startswith("archspec-")] and not (tmp_path / "runs").exists()
    assert "run directory: " + str(scratch / "archspec-tiny-") in out
    code, out, _ = train(capsys, str(spec), "--fast-dev-run", "--out", "kept")
    assert code == 0 and summary("kept")["steps"] == 1 and summary("kept")["completed_epochs"] == 1
    assert summary("kept")["files_kept"]


def test_max_steps_ends_the_run_mid_epoch(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = train(capsys, str(spec), "--max-steps", "4", "--epochs", "3", "--out", "run")
    s = summary()
    assert code == 0 and s["steps"] == 4 and s["completed_epochs"] == 1
    assert s["stop_reason"] == "reached train.max_steps (4 steps)" and "stopped after epoch 1 of 3: reached train.max_steps (4 steps)" in out


@pytest.mark.parametrize("limit, steps", [("2", 2 * 2), ("0.5", 3 * 2)])
def test_limit_batches(spec: Path, capsys: pytest.CaptureFixture[str], limit: str, steps: int) -> None:
    assert train(capsys, str(spec), "--limit-batches", limit, "--out", "run")[0] == 0
    assert summary()["steps"] == steps


def test_limit_batches_is_checked_like_every_recipe_field(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = train(capsys, str(spec), "--limit-batches", "1.5")
    assert code == 2 and "train.limit_batches" in err and "Traceback" not in err


def test_epochs_without_improvement() -> None:
    history = [{"val_loss": v, "val_top1": 1 - v} for v in (1.0, 0.8, 0.85, 0.79, 0.9, 0.95)]
    assert epochs_without_improvement(history, EarlyStop(metric="val_loss", patience=2)) == 2
    assert epochs_without_improvement(history, EarlyStop(metric="val_top1", patience=2)) == 2
    assert epochs_without_improvement(history, EarlyStop(metric="val_loss", patience=2, min_delta=0.1)) == 4


def test_early_stop_and_resume_continue_the_count_bit_identically(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # no train loss falls by 1000, so the count grows by one every epoch after the first
    stop = ["--set", "train.early_stop={metric: train_loss, patience: 2, min_delta: 1000}"]
    assert train(capsys, str(spec), *stop, "--epochs", "6", "--out", "full")[0] == 0
    s = summary("full")
    assert s["completed_epochs"] == 3 and s["epochs"] == 6
    assert s["stop_reason"] == "early stop: train_loss has not improved for 2 epochs (patience 2, min_delta 1000)"
    assert train(capsys, str(spec), *stop, "--epochs", "2", "--out", "part")[0] == 0
    assert train(capsys, "--resume", "part", str(spec), "--epochs", "6")[0] == 0
    assert summary("part")["completed_epochs"] == 3
    full, part = (torch.load(Path(r) / "last.pt", weights_only=True) for r in ("full", "part"))
    assert full["epoch"] == part["epoch"] == 3
    assert all(torch.equal(full["model"][k], part["model"][k]) for k in full["model"])


def test_tensorboard_per_step_loss_and_lr_epoch_metrics_spec_and_hparams(spec: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert train(capsys, str(spec), "--set", "train.tensorboard_every=2", "--out", "run")[0] == 0
    tb = Path("run/tb")
    events = EventAccumulator(str(tb)).Reload()
    tags = events.Tags()
    lr = events.Scalars("step/lr")
    assert [e.step for e in lr] == [2, 4, 6, 8, 10, 12]  # 6 steps an epoch, every second one
    assert [e.value for e in lr] == pytest.approx([0.05] * 3 + [0.025] * 3)
    assert [e.step for e in events.Scalars("step/loss")] == [2, 4, 6, 8, 10, 12]
    assert [(e.step, e.value) for e in events.Scalars("epoch")] == [(6, 1.0), (12, 2.0)]
    final = summary()["final"]
    assert events.Scalars("top1/val")[-1].value == pytest.approx(final["val_top1"])
    assert "spec/text_summary" in tags["tensors"]
    assert "    name: tiny" in events.Tensors("spec/text_summary")[0].tensor_proto.string_val[0].decode()
    hparams = EventAccumulator(str(tb / "hparams")).Reload()
    assert hparams.Scalars("final/val_top1")[0].value == pytest.approx(final["val_top1"])


def test_curves_have_loss_accuracy_and_lr_panels_with_integer_epoch_ticks() -> None:
    history = [{"epoch": e, "train_loss": 2.0 / e, "val_loss": 2.1 / e, "train_top1": 0.1 * e, "val_top1": 0.1 * e,
                "lr": 0.1 * 0.5 ** e} for e in (1, 2, 3)]
    fig = plot_curves(history, "tiny")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "top-1 accuracy", "learning rate"]
    fig.canvas.draw()
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks)
    assert list(fig.axes[2].lines[0].get_ydata()) == [0.05, 0.025, 0.0125]


def test_eval_from_the_checkpoint_alone(spec: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert train(capsys, str(spec), "--out", "run")[0] == 0
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / "best.pt").write_bytes(Path("run/best.pt").read_bytes())
    spec.unlink()  # neither the spec file nor the run's spec.yaml is needed
    assert main(["eval", "--checkpoint", str(moved / "best.pt"), "--format", "json"]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert main(["eval", "run/spec.yaml", "--checkpoint", "run/best.pt", "--format", "json"]) == 0
    given = json.loads(capsys.readouterr().out)
    assert alone["images"] == 48 and alone["top1"] == given["top1"] and alone["loss"] == given["loss"]
    assert alone["top1"] == pytest.approx(summary()["final"]["val_top1"])
    assert main(["eval", "run/spec.yaml", "--set", "params.classes=5", "--checkpoint", "run/best.pt"]) == 2
    assert "whose architecture differs" in capsys.readouterr().err


def write_png(path: Path, seed: int) -> Path:
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(path)
    return path


def test_predict_text_names_the_classes(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert train(capsys, str(spec), "--out", "run")[0] == 0
    a, b = write_png(Path("a.png"), 0), write_png(Path("b.png"), 1)
    assert main(["predict", "--checkpoint", "run/best.pt", str(a), str(b), "--topk", "20", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [len(r["top"]) for r in result] == [10, 10]  # top-k is at most the class count
    assert sum(t["probability"] for t in result[0]["top"]) == pytest.approx(1.0, abs=1e-5)
    assert {t["class"] for t in result[0]["top"]} >= {"disk", "ring", "checker"}
    assert main(["predict", "--checkpoint", "run/best.pt", str(a), "--topk", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    top = result[0]["top"]
    assert lines == ["a.png", f"  1. {top[0]['class']:<20} {top[0]['probability']:7.2%}",
                     f"  2. {top[1]['class']:<20} {top[1]['probability']:7.2%}"]


def test_predict_errors_are_one_message(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert train(capsys, str(spec), "--fast-dev-run", "--out", "run")[0] == 0
    Path("broken.png").write_bytes(b"\x89PNG not really")
    for image, says in (("missing.png", "error: image not found: missing.png"),
                        ("broken.png", "error: cannot read image broken.png: ")):
        assert main(["predict", "--checkpoint", "run/last.pt", image]) == 2
        err = capsys.readouterr().err
        assert err.startswith(says) and "hint: " in err and "Traceback" not in err
    ckpt = torch.load("run/last.pt", weights_only=True)
    del ckpt["preprocess"]
    torch.save(ckpt, "old.pt")
    write_png(Path("a.png"), 0)
    assert main(["predict", "--checkpoint", "old.pt", "a.png"]) == 2
    assert "does not record how its run prepared images" in capsys.readouterr().err


def test_check_refuses_bad_quick_run_and_early_stop_fields_at_their_place(tmp_path: Path) -> None:
    path = tmp_path / "es.yaml"
    path.write_text("archspec: 1\nname: t\ninput: [3, 8, 8]\nnetwork:\n  - p: gap\n  - f: flatten\n"
                    "  - fc: {op: linear, out: 10}\ntrain:\n  early_stop: {metric: val_acc, patience: 2}\n"
                    "  limit_batches: 0\n  max_steps: 0\n", encoding="utf-8")
    with pytest.raises(ArchspecError) as e:
        archspec.check(str(path))
    got = [(p.loc.line, p.loc.col, p.message.split(":")[0]) for p in e.value.problems if p.loc is not None]
    assert got == [(9, 24, "invalid value 'val_acc' for early_stop.metric"),
                   (10, 18, "limit_batches must be an integer from 1 to 1,000,000 or a number in (0, 1], got 0"), (11, 14, "invalid value 0 for max_steps")]
