"""The op registry: every op module is found, and a kind is registered once."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import archspec.ops
from archspec.ops import HELPERS, REGISTRY, Op, discover
from archspec.ops.base import register


def test_every_op_class_in_the_package_is_registered():
    defined: dict[str, type[Op]] = {}
    for info in pkgutil.iter_modules(archspec.ops.__path__):
        module = importlib.import_module(f"archspec.ops.{info.name}")  # helpers too: layers, pooling
        kinds = [cls for _, cls in inspect.getmembers(module, inspect.isclass)
                 if issubclass(cls, Op) and cls.__module__ == module.__name__ and "kind" in vars(cls)]
        assert bool(kinds) == (info.name not in HELPERS), info.name  # a helper defines no kind
        defined |= {cls.kind: cls for cls in kinds}
    assert {kind: type(op) for kind, op in REGISTRY.items()} == defined


def test_a_duplicate_kind_is_refused_naming_both_modules():
    class Conv2(Op):
        kind = "conv"

    with pytest.raises(ValueError) as e:
        register(Conv2)
    assert str(e.value) == (f"op kind 'conv' is registered twice: by archspec.ops.conv.Conv and by {__name__}."
                            "test_a_duplicate_kind_is_refused_naming_both_modules.<locals>.Conv2; "
                            "give one of them another kind")
    assert type(REGISTRY["conv"]).__module__ == "archspec.ops.conv"


def test_a_module_that_registers_no_kind_stops_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "more_ops"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "shared.py").write_text("SIZE = 3\n")
    (package / "forgot.py").write_text("from archspec.ops.base import Op\n\n\nclass Forgot(Op):\n"
                                       "    kind = 'forgot'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RuntimeError) as e:
        discover("more_ops", [str(package)], frozenset({"shared"}))
    assert str(e.value) == ("more_ops.forgot registers no op kind: decorate its Op subclass with @register, "
                            "or add the module to archspec.ops.HELPERS if it is shared code")
    assert "forgot" not in REGISTRY


def test_every_op_has_a_one_line_doc():
    # the doc is the op's row in docs/spec-language.md and its description in the JSON Schema
    assert [kind for kind, op in REGISTRY.items() if not op.doc.strip() or "\n" in op.doc or "|" in op.doc] == []
