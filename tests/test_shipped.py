"""Shipped specs are package data addressable by name; `extends` stays inside the spec's folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import archspec
from archspec.errors import ArchspecError
from archspec.spec.shipped import shipped_recipe, shipped_spec, spec_names
from conftest import SPECS

HEAD = "archspec: 1\nname: child\n"


def test_every_shipped_spec_is_addressable_by_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # nothing named like a spec here
    assert spec_names() == sorted(p.stem for p in SPECS.glob("*.yaml"))
    assert archspec.check("inception_v3#paper").totals(include_heads=False)["params"] == 26_043_720
    assert archspec.check("inception_resnet_v2.yaml").totals()["params"] == 55_843_464
    assert shipped_spec("inception_v3") == shipped_spec("inception_v3.yaml") == SPECS / "inception_v3.yaml"
    assert shipped_recipe("recipes/cifar10_adam.yaml") == shipped_recipe("cifar10_adam") == \
        SPECS / "recipes" / "cifar10_adam.yaml"
    assert shipped_spec("../inception_v3") is None and shipped_recipe("other/cifar10_adam.yaml") is None


def test_a_path_wins_over_a_name(monkeypatch: pytest.MonkeyPatch, write_spec) -> None:
    local = write_spec(HEAD + "input: [3, 8, 8]\nnetwork:\n  - f: flatten\n", "inception_v3.yaml")
    monkeypatch.chdir(local.parent)
    assert archspec.check("inception_v3.yaml").totals()["params"] == 0
    assert archspec.check("inception_v3").totals()["params"] == 27_161_264  # no suffix: the shipped one


def test_unknown_name_suggests_shipped_specs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ArchspecError) as info:
        archspec.check("inceptoin_v3#paper")
    assert str(info.value) == ("error: no spec file or shipped spec named inceptoin_v3\n    hint: check the path; "
                               "or name a shipped spec: did you mean 'inception_v3' or 'inception_v4' or "
                               "'inception_resnet_v2'?")


def test_a_directory_is_not_a_spec(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").mkdir()
    with pytest.raises(ArchspecError) as info:
        archspec.check(tmp_path / "x.yaml")
    assert str(info.value).startswith(f"error: {tmp_path / 'x.yaml'} is a directory, not a spec file\n    hint: ")


def test_a_copied_spec_extends_the_shipped_one_by_name(write_spec) -> None:
    for parent in ("inception_v3", "inception_v3.yaml"):  # no inception_v3.yaml beside it
        path = write_spec(f"extends: {parent}\nset: {{params.classes: 10}}\n", "mine.yaml")
        assert archspec.check(path).totals(include_heads=False)["params"] == 21_806_058


def test_a_copied_spec_still_checks(tmp_path: Path) -> None:
    copy = tmp_path / "cnn.yaml"
    shutil.copy(SPECS / "cifar10_cnn.yaml", copy)
    assert archspec.check(copy).totals()["params"] == 1_252_266


@pytest.mark.parametrize("target, message, hint", [
    ("/etc/x.yaml", "`extends: /etc/x.yaml` is an absolute path",
     "write a path relative to this file, inside its folder, or a shipped spec's name"),
    ("../outside.yaml", "`extends: ../outside.yaml` leaves the folder of the spec ({root})",
     "extend a file in the spec's folder or below it, or a shipped spec by name"),
])
def test_extends_stays_in_the_spec_folder(tmp_path: Path, target: str, message: str, hint: str) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (tmp_path / "outside.yaml").write_text(HEAD + "input: [3, 8, 8]\nnetwork:\n  - f: flatten\n")
    spec = root / "spec.yaml"
    spec.write_text(f"archspec: 1\nname: a\nextends: {target}\n")
    with pytest.raises(ArchspecError) as info:
        archspec.check(spec)
    assert str(info.value) == f"{spec}:3:10: error: {message.format(root=root)}\n    hint: {hint}"


def test_extends_may_go_down_and_back_up_inside_the_folder(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(HEAD + "input: [3, 8, 8]\nnetwork:\n  - c: {op: conv, out: 4, k: 3}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mid.yaml").write_text("extends: ../base.yaml\nset: {network.c.out: 2}\n")
    top = tmp_path / "top.yaml"
    top.write_text("extends: sub/mid.yaml\n")
    assert archspec.check(top).totals()["params"] == 2 * 3 * 9 + 2


def test_a_copied_spec_keeps_its_recipe(tmp_path: Path) -> None:
    from archspec.train.resolve import resolve_run

    copy = tmp_path / "cnn.yaml"
    shutil.copy(SPECS / "cifar10_cnn.yaml", copy)  # names recipes/cifar10_adam.yaml, not beside the copy
    assert resolve_run(str(copy), []).recipe.optimizer.kind == "adam"
    copy.write_text(copy.read_text().replace("recipes/cifar10_adam.yaml", "recipes/cifar_adam.yaml"))
    with pytest.raises(ArchspecError) as info:
        archspec.check(copy)
    p = info.value.first
    assert (p.loc.line, p.message) == (42, f"recipe file not found: {tmp_path / 'recipes' / 'cifar_adam.yaml'}")
    assert p.hint == "the path is relative to the spec file that names it; shipped recipes by name: did you mean " \
                     "'cifar10_adam'?"
