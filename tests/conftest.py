from __future__ import annotations

import importlib
import os
import sys
import textwrap
from types import ModuleType
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import pytest

if TYPE_CHECKING:
    import torch

if "PYTEST_XDIST_WORKER" in os.environ:
    # one pytest worker per core (addopts: -n 2): a torch thread pool per worker would only
    # oversubscribe the cores. Set before torch is first imported; subprocesses inherit it.
    os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


def load_script(name: str) -> ModuleType:
    """scripts/NAME.py as a module; the scripts import each other by name, as they do when run."""
    folder = str(ROOT / "scripts")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(name)


def runtime_buffers(model: torch.nn.Module) -> int:
    """The elements of a module's buffers, as the static `buffers` figure counts them."""
    # num_batches_tracked is a step counter, not a statistic of the data: not counted
    return sum(b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked"))


def shipped_refs() -> list[str]:
    """Every shipped spec file and each of its variants, as `name.yaml[#variant]`."""
    import archspec

    refs = []
    for path in sorted(SPECS.glob("*.yaml")):
        refs.append(path.name)
        refs += [f"{path.name}#{v}" for v in archspec.load(path).spec.variants]
    return refs


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[..., Path]:
    """Write dedented YAML to tmp_path/name and return its path."""

    def write(text: str, name: str = "spec.yaml") -> Path:
        p = tmp_path / name
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return p

    return write


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Tiny models run fastest, and identically, on one thread."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def spec_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    """`text` (indented as in the test) as tmp_path/tiny.yaml, with tmp_path the working directory,
    where a run's default folders are created."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "tiny.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path
