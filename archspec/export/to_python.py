"""Standalone PyTorch source (`archspec/export/source.py`), verified before it is kept:
the file is imported, the compiled module's state_dict loaded into it with strict=True,
and its eval-mode output must be bit-identical."""

from __future__ import annotations

import importlib.util
from importlib.machinery import SourceFileLoader
from pathlib import Path

import torch

from archspec.export.common import as_tensors, example_input, max_diff
from archspec.export.source import python_source
from archspec.ir.graph import IR


def write(model: torch.nn.Module, ir: IR, path: Path, batch: int | None) -> tuple[str, float]:
    path.write_text(python_source(ir), encoding="utf-8")
    generated = load_network(path)().eval()
    generated.load_state_dict(model.state_dict(), strict=True)
    x = example_input(ir, batch)
    with torch.no_grad():
        diff = max_diff(as_tensors(model(x), ir), as_tensors(generated(x), ir))
    return f"PyTorch source, class {type(generated).__name__}, state_dict loads with strict=True", diff


def load_network(path: Path) -> type[torch.nn.Module]:
    """The network class of a generated file: its last class."""
    loader = SourceFileLoader("archspec_exported_network", str(path))  # any file name, not only *.py
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None  # a loader was given
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    classes = [v for v in vars(mod).values() if isinstance(v, type) and issubclass(v, torch.nn.Module)
               and v.__module__ == mod.__name__]
    return classes[-1]
