from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


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
