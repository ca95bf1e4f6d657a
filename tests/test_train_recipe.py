"""The shipped recipes build exactly the paper's optimizer, schedule and loss; recipe errors point at the text."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from archspec.errors import ArchspecError
from archspec.train.ema import ema_decay, make_ema
from archspec.train.loss import SpecLoss, head_weights
from archspec.train.optim import build_optimizer, build_scheduler
from archspec.train.recipe import EMA, Loss, Recipe
from archspec.train.resolve import resolve_run

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


def test_label_smoothing_targets() -> None:
    """Smoothing 0.1 over K classes: the target is 0.9·one-hot + 0.1/K (seed 000's formula)."""
    logits = torch.randn(4, 10)
    target = torch.tensor([0, 3, 9, 5])
    loss, _ = SpecLoss(0.1, ())(logits, target)
    smoothed = F.one_hot(target, 10).float() * 0.9 + 0.1 / 10
    assert torch.allclose(smoothed.sum(1), torch.ones(4))
    expected = -(smoothed * F.log_softmax(logits, 1)).sum(1).mean()
    assert torch.allclose(loss, expected)


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


def test_clipped_norm_is_the_recipes() -> None:
    r = recipe_of("inception_v3.yaml")
    p = torch.nn.Parameter(torch.zeros(100))
    p.grad = torch.full((100,), 1.0)
    before = torch.nn.utils.clip_grad_norm_([p], r.clip_grad_norm)
    assert before == pytest.approx(10.0)
    assert p.grad.norm() == pytest.approx(2.0)


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
