"""Memory refusal in the static check: absurd specs are refused from their shapes alone, with
the figure and the flag that allows them — and never allocated."""

from __future__ import annotations

import subprocess
import sys

import pytest
import archspec
from archspec import Limits
from archspec.errors import ArchspecError
from archspec.ir.budget import GiB, memory, parse_size
from conftest import ROOT, SPECS

TINY = ROOT / "tests" / "data" / "tiny.yaml"
# 1,000,000 → 1,000,000 channels: 4 TB of weights, 64 MB of activations
TERABYTES = "archspec: 1\nname: huge\ninput: [3, 8, 8]\nnetwork:\n" \
            "  - c1: {op: conv, out: 1000000, k: 1}\n  - c2: {op: conv, out: 1000000, k: 1}\n"


def test_figures_of_the_keras_cifar10_cnn():
    m = memory(archspec.check(SPECS / "cifar10_cnn.yaml"))
    assert m.param_bytes == 4 * (1_252_266 + 1_408)
    # input 3·32·32, then 3 × 32·32·32, 3 × 32·30·30, 2 × 32·15·15, 3 × 64·15·15, 3 × 64·13·13,
    # 3 × 64·6·6 (pool, dropout, flatten), 4 × 512, 10
    assert m.activation_bytes == 4 * 286_794


def test_every_shipped_spec_is_far_inside_the_default_limits():
    for path in SPECS.glob("*.yaml"):
        m = memory(archspec.check(path))
        assert m.param_bytes < Limits().max_param_bytes / 8 and m.activation_bytes < Limits().max_activation_bytes / 8


def test_terabytes_of_weights_refused_at_the_largest_op(write_spec):
    path = write_spec(TERABYTES)
    with pytest.raises(ArchspecError) as info:
        archspec.check(path)
    p = info.value.first
    assert (p.loc.line, p.loc.col, p.path) == (6, 5, "c2")
    assert p.message == ("the weights need 3.6 TiB in fp32 (1,000,005,000,000 values), over the limit of 4 GiB; "
                         "the largest op, conv 'c2', has 1,000,001,000,000")
    assert "--max-param-bytes 3726GiB" in p.hint and "Limits(max_param_bytes=...)" in p.hint


def test_build_refuses_an_unchecked_ir_before_allocating(write_spec, monkeypatch):
    from archspec.torch_backend import build

    ir = archspec.analyze(write_spec(TERABYTES))  # analyze does not enforce limits; build must
    monkeypatch.setattr(build, "_Builder", None)  # constructing a module at all would fail
    with pytest.raises(ArchspecError, match="the weights need 3.6 TiB"):
        archspec.build(ir)


def test_activation_limit_points_at_the_input(write_spec):
    path = write_spec("archspec: 1\nname: wide\ninput: [3, 40000, 40000]\nnetwork:\n  - g: gap\n")
    with pytest.raises(ArchspecError) as info:
        archspec.check(path)
    p = info.value.first
    assert (p.loc.line, p.loc.col) == (3, 8)
    assert p.message.startswith("the activations need 17.9 GiB in fp32 at batch 1, over the limit of 4 GiB; "
                                "the largest, 'input', is 3×40000×40000")


def test_limits_are_a_knob_in_both_directions():
    tight = Limits(max_param_bytes=25_000, max_activation_bytes=10 * GiB)
    with pytest.raises(ArchspecError, match=r"the weights need 25.3 KiB .* over the limit of 24.4 KiB"):
        archspec.check(TINY, limits=tight)
    ir = archspec.check(TINY, limits=Limits(max_param_bytes=26_000))
    with pytest.raises(ArchspecError, match="over the limit of 24.4 KiB"):
        archspec.build(ir, limits=tight)
    assert sum(p.numel() for p in archspec.build(ir).parameters()) == 6348
    with pytest.raises(ArchspecError, match=r"the activations need 232.5 KiB .* over the limit of 195.3 KiB"):
        archspec.check(TINY, limits=Limits(max_activation_bytes=200_000))


@pytest.mark.parametrize("text, size", [("8GiB", 8 * GiB), ("500MB", 500_000_000), ("1.5 TiB", 3 << 39),
                                        ("1073741824", GiB), ("64kib", 65536)])
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "8 parsecs", "-1GiB", "1e9", "GiB"])
def test_parse_size_refuses(text):
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archspec", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.parametrize("command", ["check", "summary"])
def test_cli_flags(command, write_spec):
    path = str(write_spec(TERABYTES))
    r = cli(command, path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"{path}:6:5: error: c2: the weights need 3.6 TiB")
    assert "--max-param-bytes 3726GiB" in r.stderr
    r = cli(command, path, "--max-param-bytes", "3726GiB")
    assert r.returncode == 0, r.stderr
    r = cli(command, path, "--max-param-bytes", "lots")
    assert r.returncode == 2 and "argument --max-param-bytes: not a size: 'lots'" in r.stderr
