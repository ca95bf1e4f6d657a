"""A regular (non-editable) install carries every subpackage and the shipped specs as package data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import ROOT


def test_every_subpackage_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "archspec").rglob("__init__.py")}
    assert on_disk | {"archspec.specs"} == listed


def test_installed_copy_lists_and_checks_from_another_directory(tmp_path: Path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(ROOT)], check=True, capture_output=True)
    assert (target / "archspec" / "specs" / "recipes" / "cifar10_adam.yaml").is_file()
    # PYTHONPATH comes before this venv's editable finder: the installed copy is the one imported
    env = {**os.environ, "PYTHONPATH": str(target)}
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = "import archspec, json; print(json.dumps(archspec.__file__))"
    where = subprocess.run([sys.executable, "-c", code], env=env, cwd=work, capture_output=True, text=True)
    assert Path(json.loads(where.stdout)).is_relative_to(target)
    r = subprocess.run([sys.executable, "-m", "archspec", "list", "--format", "json"], env=env, cwd=work,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert {e["ref"]: e["params"] for e in json.loads(r.stdout)}["inception_v3#paper"] == 26_043_720
    r = subprocess.run([sys.executable, "-m", "archspec", "check", "inception_resnet_v2"], env=env, cwd=work,
                       capture_output=True, text=True)
    assert r.returncode == 0 and "55,843,464 params" in r.stdout, r.stderr
