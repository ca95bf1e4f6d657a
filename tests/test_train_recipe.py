"""The shipped recipes build exactly the paper's optimizer, schedule and loss; recipe errors point at the text."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from archspec.errors import ArchspecError
from archspec.train.distributed import World
from archspec.train.ema import ema_decay, make_ema
from archspec.train.loss import SpecLoss, head_weights
from archspec.train.optim import build_optimizer, build_scheduler
from archspec.train.recipe import EMA, Loss, Recipe
from archspec.train.progress import Progress
from archspec.train.resolve import resolve_run
from archspec.train.run import Session, TrainOptions

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
STEPS_PER_EPOCH = 7


def recipe_of(spec: str, *sets: str) -> Recipe:
    return resolve_run(str(SPECS / spec), list(sets)).recipe


def lr_after(recipe: Recipe, epochs: int) -> float:
    """The lr in force after `epochs` whole epochs of STEPS_PER_EPOCH optimizer steps."""
    p = torch.nn.Parameter(torch.zeros(3))
    opt = build_optimizer(recipe.optimizer, [p])
    sched = build_scheduler(recipe.schedule, opt, recipe.epochs, STEPS_PER_EPOCH)
    for _ in range(epochs * STEPS_PER_EPOCH):
        opt.step()
        sched.step()
    return opt.param_groups[0]["lr"]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_inception_v3_recipe_numbers() -> None:
    r = recipe_of("inception_v3.yaml")
    opt = build_optimizer(r.optimizer, [torch.nn.Parameter(torch.zeros(1))])
    assert isinstance(opt, torch.optim.RMSprop)
    group = opt.param_groups[0]
    assert (group["lr"], group["alpha"], group["eps"]) == (0.045, 0.9, 1.0)
    assert r.batch_size == 32 and r.clip_grad_norm == 2.0
    assert r.loss.label_smoothing == 0.1 and r.loss.aux_weights == 0.4
    assert r.ema is not None
    assert lr_after(r, 1) == pytest.approx(0.045)
    assert lr_after(r, 2) == pytest.approx(0.045 * 0.94)
    assert lr_after(r, 4) == pytest.approx(0.045 * 0.94**2)
    assert lr_after(r, 8) == pytest.approx(0.045 * 0.94**4)


def test_googlenet_recipe_numbers() -> None:
    r = recipe_of("googlenet.yaml")
    opt = build_optimizer(r.optimizer, [torch.nn.Parameter(torch.zeros(1))])
    assert isinstance(opt, torch.optim.SGD)
    assert opt.param_groups[0]["momentum"] == 0.9
    assert r.loss.aux_weights == 0.3 and r.ema is not None
    base = r.optimizer.lr
    assert lr_after(r, 2) == pytest.approx(base)
    assert lr_after(r, 4) == pytest.approx(base)
    assert lr_after(r, 7) == pytest.approx(base)
    assert lr_after(r, 8) == pytest.approx(base * 0.96)
    assert lr_after(r, 16) == pytest.approx(base * 0.96**2)


def test_cifar10_recipe_numbers() -> None:
    r = recipe_of("cifar10_cnn.yaml")
    opt = build_optimizer(r.optimizer, [torch.nn.Parameter(torch.zeros(1))])
    assert isinstance(opt, torch.optim.Adam)
    assert opt.param_groups[0]["lr"] == 0.001 and opt.param_groups[0]["eps"] == 1e-7
    assert (r.batch_size, r.epochs) == (32, 20)
    assert [lr_after(r, e) for e in (2, 4, 8)] == [0.001, 0.001, 0.001]
    assert r.loss.label_smoothing == 0.0 and r.ema is None and r.clip_grad_norm is None


def test_paper_aux_weights_reach_the_heads() -> None:
    import archspec

    for spec, weight, heads in (("inception_v3.yaml", 0.4, 1), ("googlenet.yaml", 0.3, 2)):
        ir = archspec.check(str(SPECS / spec))
        names = tuple(h.name for h in ir.heads)
        assert len(names) == heads
        assert head_weights(recipe_of(spec).loss, names, [h.loss_weight for h in ir.heads]) == (weight,) * heads


def test_aux_loss_is_weighted_sum() -> None:
    main, aux1, aux2 = torch.randn(3, 6, 5).unbind(0)
    target = torch.tensor([0, 1, 2, 3, 4, 0])
    loss, logits = SpecLoss(0.0, (0.3, 0.3))((main, aux1, aux2), target)
    expected = F.cross_entropy(main, target) + 0.3 * F.cross_entropy(aux1, target) + 0.3 * F.cross_entropy(aux2, target)
    assert torch.allclose(loss, expected) and logits is main


def test_aux_weights_per_head_and_unknown_head() -> None:
    cfg = Loss(aux_weights={"aux2": 0.5})
    assert head_weights(cfg, ("aux1", "aux2"), (0.3, 0.3)) == (0.3, 0.5)
    assert head_weights(Loss(), ("aux1",), (0.3,)) == (0.3,)
    with pytest.raises(ArchspecError, match="not an auxiliary head"):
        head_weights(Loss(aux_weights={"aux3": 0.5}), ("aux1", "aux2"), (0.3, 0.3))


def test_ema_follows_tensorflow_warmup() -> None:
    cfg = EMA(decay=0.9999)
    assert ema_decay(cfg, 0) == pytest.approx(0.1)
    assert ema_decay(cfg, 90) == pytest.approx(0.91)
    assert ema_decay(cfg, 10**7) == 0.9999
    assert ema_decay(EMA(decay=0.5, warmup=False), 0) == 0.5
    model = torch.nn.BatchNorm1d(2)
    ema = make_ema(model, EMA(decay=0.5, warmup=False))
    ema.update_parameters(model)
    with torch.no_grad():
        model.weight.fill_(3.0)
    model.num_batches_tracked += 5
    ema.update_parameters(model)
    assert torch.allclose(ema.module.weight, torch.full((2,), 2.0))
    assert int(ema.module.num_batches_tracked) == 5


def test_schedules_warmup_step_cosine() -> None:
    def lrs(schedule: str, epochs: int = 4) -> list[float]:
        r = Recipe.model_validate({"epochs": epochs, "optimizer": {"kind": "sgd", "lr": 1.0}, "schedule": schedule})
        return [lr_after(r, e) for e in range(epochs + 1)]

    assert lrs({"kind": "step", "milestones": [1, 3], "gamma": 0.1}) == pytest.approx([1, 0.1, 0.1, 0.01, 0.01])
    cosine = lrs({"kind": "cosine", "min_lr": 0.0})
    assert cosine[0] == 1.0 and cosine[2] == pytest.approx(0.5) and cosine[4] == pytest.approx(0.0)
    warm = Recipe.model_validate({"epochs": 2, "optimizer": {"kind": "sgd", "lr": 1.0},
                                  "schedule": {"kind": "constant", "warmup_epochs": 1}})
    p = torch.nn.Parameter(torch.zeros(1))
    opt = build_optimizer(warm.optimizer, [p])
    sched = build_scheduler(warm.schedule, opt, warm.epochs, 4)
    seen = []
    for _ in range(6):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert seen == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0, 1.0])


def test_recipe_file_merged_under_inline_fields_and_sets(tmp_path: Path) -> None:
    write(tmp_path, "r.yaml", """
        epochs: 7
        optimizer: {kind: sgd, lr: 0.1, momentum: 0.8}
    """)
    spec = write(tmp_path, "s.yaml", """
        archspec: 1
        name: s
        input: [3, 8, 8]
        network:
          - flat: flatten
          - fc: {op: linear, out: 10}
        train: {recipe: r.yaml, epochs: 5, optimizer: {lr: 0.2}}
    """)
    r = resolve_run(str(spec), [])
    assert r.recipe.epochs == 5 and r.recipe.optimizer.lr == 0.2 and r.recipe.optimizer.momentum == 0.8
    r = resolve_run(str(spec), ["train.epochs=3", "train.optimizer.lr=0.01", "train.data.workers=2"])
    assert (r.recipe.epochs, r.recipe.optimizer.lr, r.recipe.data.workers) == (3, 0.01, 2)


def test_resolved_spec_file_repeats_the_recipe(tmp_path: Path) -> None:
    """A run's spec.yaml holds the merged recipe, so it needs no recipe file beside it."""
    from archspec.train.run import spec_yaml

    original = resolve_run(str(SPECS / "inception_v3.yaml#lowres79"), ["params.classes=10", "train.epochs=3"])
    copy = write(tmp_path, "spec.yaml", spec_yaml(original))
    again = resolve_run(str(copy), [])
    assert again.recipe.model_dump(exclude={"recipe"}) == original.recipe.model_dump(exclude={"recipe"})
    assert again.resolved.tree["params"]["classes"] == 10 and "variants" not in again.resolved.tree


def test_architecture_sets_still_apply() -> None:
    r = resolve_run(str(SPECS / "cifar10_cnn.yaml"), ["params.classes=7", "train.epochs=2"])
    assert r.resolved.tree["params"]["classes"] == 7 and r.recipe.epochs == 2


def test_bad_recipe_field_points_at_the_recipe_file(tmp_path: Path) -> None:
    write(tmp_path, "r.yaml", """
        epochs: 2
        optimizer: {kind: rmsprop, lr: -0.1}
    """)
    spec = write(tmp_path, "s.yaml", """
        archspec: 1
        name: s
        input: [3, 8, 8]
        network: [{flat: flatten}]
        train: {recipe: r.yaml}
    """)
    with pytest.raises(ArchspecError) as e:
        resolve_run(str(spec), [])
    assert str(e.value).startswith(f"{tmp_path / 'r.yaml'}:2:")
    assert "optimizer.lr" in str(e.value)


def test_unknown_keys_and_kinds_are_errors(tmp_path: Path) -> None:
    spec = write(tmp_path, "s.yaml", """
        archspec: 1
        name: s
        input: [3, 8, 8]
        network: [{flat: flatten}]
        train:
          epocs: 3
    """)
    with pytest.raises(ArchspecError) as e:
        resolve_run(str(spec), [])
    assert "s.yaml:6:3" in str(e.value) and "unknown key 'epocs'" in str(e.value) and "epochs" in str(e.value)
    with pytest.raises(ArchspecError, match="--set train.optimizer.*kind"):
        resolve_run(str(spec), ["train={}", "train.optimizer={kind: lion}"])
    with pytest.raises(ArchspecError, match="unknown key 'nesterv'"):
        resolve_run(str(spec), ["train={}", "train.optimizer={kind: sgd, lr: 1, nesterv: true}"])


def test_missing_or_wrong_recipe_file(tmp_path: Path) -> None:
    spec = write(tmp_path, "s.yaml", """
        archspec: 1
        name: s
        input: [3, 8, 8]
        network: [{flat: flatten}]
        train: {recipe: nothere.yaml}
    """)
    with pytest.raises(ArchspecError, match="recipe file not found") as e:
        resolve_run(str(spec), [])
    assert "s.yaml:5:" in str(e.value)
    with pytest.raises(ArchspecError, match="not a .yaml file"):
        resolve_run(str(spec), ["train.recipe=r.json"])


TRAINED = """
archspec: 1
name: trained
input: [3, 8, 8]
network:
  - conv: {op: conv, out: 4, k: 3, padding: 1, act: relu}
  - pool: gap
  - flat: flatten
  - fc: {op: linear, out: 10}
  - aux: {op: aux, from: conv, loss_weight: 0.3, body: [{p: gap}, {f: flatten}, {fc: {op: linear, out: 10}}]}
train:
  epochs: 1
  batch_size: 16
  optimizer: {kind: sgd, lr: 0.5}
  loss: {label_smoothing: 0.2, aux_weights: 0.4}
  data: {synthetic: {train: 32, val: 16}, augment: false}
"""


def session(tmp_path: Path, *sets: str) -> Session:
    tmp_path.mkdir(exist_ok=True)
    spec = write(tmp_path, "trained.yaml", TRAINED)
    return Session(TrainOptions(str(spec), list(sets), out=tmp_path / "run", device="cpu"), World(),
                   torch.device("cpu"))


def grad_norm(model: torch.nn.Module) -> float:
    return float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()])))


def test_the_trainer_clips_the_gradient_to_the_recipes_norm(tmp_path: Path) -> None:
    """After an epoch the parameters hold the last step's gradient: clipped to the recipe's norm."""
    free = session(tmp_path / "free")
    free.trainer.train_epoch(1, 1, Progress(False, 50))
    unclipped = grad_norm(free.model)
    assert unclipped > 0.01
    clipped = session(tmp_path / "clipped", "train.clip_grad_norm=0.01")
    clipped.trainer.train_epoch(1, 1, Progress(False, 50))
    assert grad_norm(clipped.model) == pytest.approx(0.01, rel=1e-4)


def test_the_trainer_smooths_labels_and_weights_the_aux_head_as_the_recipe_says(tmp_path: Path) -> None:
    """Smoothing 0.2 over 10 classes: the target is 0.8·one-hot + 0.02; the aux head counts 0.4."""
    s = session(tmp_path)
    torch.manual_seed(0)
    main, aux = torch.randn(2, 4, 10).unbind(0)
    target = torch.tensor([0, 3, 9, 5])
    loss, logits = s.trainer.p.loss((main, aux), target)
    smoothed = F.one_hot(target, 10).float() * 0.8 + 0.2 / 10

    def ce(x: torch.Tensor) -> torch.Tensor:
        return -(smoothed * F.log_softmax(x, 1)).sum(1).mean()

    assert logits is main and torch.allclose(loss, ce(main) + 0.4 * ce(aux))
    stats, _, _ = s.trainer.train_epoch(1, 1, Progress(False, 50))
    assert stats.images == 32 and s.trainer.step == 2


@pytest.mark.parametrize("section, field, says", [
    ("{seed: 100000000000000000000}", "seed", "expected less than or equal to 4294967295"),
    ("{optimizer: {kind: sgd, lr: 1.0e+300}}", "optimizer.lr", "expected less than or equal to 100"),
    ("{optimizer: {kind: adamw, weight_decay: 1.0e+300}}", "optimizer.weight_decay", "less than or equal to 1"),
    ("{optimizer: {kind: sgd, lr: .nan}}", "optimizer.lr", "finite number"),
    ("{optimizer: {kind: sgd, lr: true}}", "optimizer.lr", "expected a number, not true/false"),
    ("{schedule: {kind: exponential, gamma: 1.0e+300}}", "schedule.gamma", "expected less than or equal to 1"),
    ("{data: {synthetic: {train: 1000000000}}}", "data.synthetic.train", "less than or equal to 100000000"),
    ("{epochs: 10000000}", "epochs", "expected less than or equal to 1000000"),
    ("{clip_grad_norm: .inf}", "clip_grad_norm", "finite number"),
])
def test_out_of_range_recipe_values_are_refused_at_their_line(tmp_path: Path, section: str, field: str,
                                                              says: str) -> None:
    spec = write(tmp_path, "s.yaml", f"""
        archspec: 1
        name: s
        input: [3, 8, 8]
        network: [{{flat: flatten}}, {{fc: {{op: linear, out: 10}}}}]
        train: {section}
    """)
    with pytest.raises(ArchspecError) as e:
        resolve_run(str(spec), [])
    assert str(e.value).startswith(f"{spec}:5:"), str(e.value)
    assert f"for {field}: " in str(e.value) and says in str(e.value), str(e.value)


def test_synthetic_data_too_large_for_memory_is_refused_before_drawing(tmp_path: Path) -> None:
    with pytest.raises(ArchspecError) as e:
        session(tmp_path, "train.data.synthetic.train=50000000")
    assert str(e.value) == ("error: the synthetic data (50,000,000 train + 16 val images of 3×8×8) needs about "
                            "155 GiB of memory to draw, over the limit of 8 GiB\n"
                            "    hint: lower train.data.synthetic.train / .val (a few thousand images train a "
                            "small network)")


def test_check_validates_the_train_section_at_its_lines(tmp_path: Path) -> None:
    spec = write(tmp_path, "s.yaml", """
        archspec: 1
        name: s
        input: [3, 8, 8]
        network: [{flat: flatten}, {fc: {op: linear, out: 10}}]
        train: {epocs: 3, optimizer: {kind: lion}}
    """)
    import archspec

    with pytest.raises(ArchspecError) as e:
        archspec.check(str(spec))
    assert [(p.loc.line, p.loc.col) for p in e.value.problems if p.loc] == [(5, 30), (5, 9)]
    assert "unknown key 'epocs'" in str(e.value) and "`kind:` one of 'sgd'" in str(e.value)
    fixed = spec.read_text().replace("epocs", "epochs").replace("lion", "sgd, lr: 0.1")
    spec.write_text(fixed)
    assert archspec.check(str(spec)).name == "s"
    with pytest.raises(ArchspecError, match="--set train.optimizer.lr: error: invalid value 1000"):
        archspec.check(str(spec), ["train.optimizer.lr=1000"])


def test_check_command_validates_the_recipe_file_without_torch(tmp_path: Path) -> None:
    """`archspec check` reads the recipe file the spec names and refuses its errors, torch-free."""
    import subprocess
    import sys

    write(tmp_path, "r.yaml", "epochs: 2\noptimizer: {kind: sgd, lr: 1.0e+300}\n")
    spec = write(tmp_path, "s.yaml", """
        archspec: 1
        name: s
        input: [3, 8, 8]
        network: [{flat: flatten}, {fc: {op: linear, out: 10}}]
        train: {recipe: r.yaml}
    """)
    code = ("import sys; from archspec.cli import main; rc = main(['check', %r]); "
            "assert 'torch' not in sys.modules, 'torch imported'; sys.exit(rc)") % str(spec)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"{tmp_path / 'r.yaml'}:2:") and "less than or equal to 100" in done.stderr
    assert "Traceback" not in done.stderr
