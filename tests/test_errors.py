"""Broken specs: each must give one archspec error at the exact line, with the key words."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import archspec
from archspec.errors import ArchspecError

HEAD = """\
archspec: 1
name: broken
input: [3, 32, 32]
"""

# (id, spec text after HEAD (or whole text if it starts with 'archspec'), expected line, message fragments)
CASES = [
    ("unknown_key", """
network:
  - c1: {op: conv, out: 8, k: 3}
  - c2: {op: conv, out: 8, k: 3, strid: 2}
""", 6, ["unknown key 'strid'", "did you mean 'stride'", "c2"]),
    ("misspelled_op", """
network:
  - c1: {op: conv, out: 8, k: 3}
  - p1: {op: maxpol, k: 2}
""", 6, ["unknown op kind or block 'maxpol'", "did you mean 'maxpool'"]),
    ("dangling_reference", """
network:
  - c1: {op: conv, out: 8, k: 3}
  - c2: {op: conv, out: 8, k: 3}
  - sum: {op: add, inputs: [c1, c3]}
""", 7, ["unknown reference 'c3'", "did you mean"]),
    ("concat_hw_mismatch", """
network:
  - mix:
      op: concat
      branches:
        a: {op: conv, out: 8, k: 3, padding: same}
        b: {op: conv, out: 8, k: 3, stride: 2}
""", 5, ["concat inputs must agree", "8×32×32", "8×15×15", "mix"]),
    ("residual_channel_mismatch", """
network:
  - c1: {op: conv, out: 16, k: 1}
  - res:
      op: residual
      scale: 0.1
      body:
        - r1: {op: conv, out: 32, k: 1}
""", 6, ["residual body output 32×32×32 must equal the block input 16×32×32"]),
    ("zero_stride", """
network:
  - c1: {op: conv, out: 8, k: 3,
         stride: 0}
""", 6, ["c1: stride must be a positive integer or a list of two positive integers, got 0\n"
          "    hint: use a value inside that range"]),
    ("negative_stride", """
network:
  - p1: {op: maxpool, k: 2, stride: -2}
""", 5, ["p1: stride must be a positive integer or a list of two positive integers, got -2"]),
    ("kernel_larger_than_input", """
network:
  - c1: {op: conv, out: 8, k: 3, stride: 2}
  - c2: {op: conv, out: 8, k: 3, stride: 2}
  - c3: {op: conv, out: 8, k: 3, stride: 2}
  - c4: {op: conv, out: 8, k: 7}
""", 8, ["kernel 7", "larger than its padded input", "c4"]),
    ("cycle", """
network:
  - c1: {op: conv, out: 8, k: 1}
  - a: {op: add, inputs: [c1, b]}
  - b: {op: conv, out: 8, k: 1, inputs: a}
""", 6, ["cycle", "a -> b -> a"]),
    ("missing_block_param", """
blocks:
  unit:
    params: {width: int}
    body:
      - c: {op: conv, out: "${width}", k: 1}
network:
  - u1: {op: unit}
""", 10, ["block 'unit' needs param 'width'"]),
    ("unknown_block_param", """
blocks:
  unit:
    params: {width: int}
    body:
      - c: {op: conv, out: "${width}", k: 1}
network:
  - u1: {op: unit, widht: 4}
""", 10, ["has no param 'widht'", "did you mean 'width'"]),
    ("wrong_type", """
network:
  - c1: {op: conv, out: eight, k: 3}
""", 5, ["invalid value 'eight' for out", "integer"]),
    ("wrong_param_type", """
blocks:
  unit:
    params: {width: int}
    body: {op: conv, out: "${width}", k: 1}
network:
  - u1: {op: unit, width: 2.5}
""", 9, ["param 'width' expects int, got 2.5"]),
    ("yaml_syntax", """
network:
  - c1: {op: conv, out: 8, k: 3
  - c2: {op: conv, out: 8, k: 3}
""", 6, ["YAML syntax error"]),
    ("duplicate_name", """
network:
  - c1: {op: conv, out: 8, k: 3}
  - c1: {op: conv, out: 8, k: 3}
""", 6, ["duplicate name 'c1'", "first defined at line 5"]),
    ("duplicate_name_across_branches", """
network:
  - mix:
      op: concat
      branches:
        a: [x: {op: conv, out: 8, k: 1}]
        b: [x: {op: conv, out: 4, k: 1}]
""", 9, ["duplicate name 'x'", "first defined at line 8"]),
    ("unknown_top_level_key", """
netwrok:
  - c1: {op: conv, out: 8, k: 3}
""", 4, ["unknown key 'netwrok'", "did you mean 'network'"]),
    ("linear_needs_flat", """
network:
  - fc: {op: linear, out: 10}
""", 5, ["linear expects flat features", "add a flatten"]),
    ("expression_unknown_param", """
params: {width: 8}
network:
  - c1: {op: conv, out: "${widht * 2}", k: 3}
""", 6, ["unknown parameter 'widht'", "did you mean 'width'"]),
    ("expression_not_allowed", """
network:
  - c1: {op: conv, out: "${().__class__}", k: 3}
""", 5, ["not allowed in expression"]),
    ("python_tag", """
network:
  - c1: !!python/object/apply:os.system ["echo hi"]
""", 5, ["YAML tag", "not allowed"]),
    ("aux_from_unknown", """
network:
  - c1: {op: conv, out: 8, k: 3}
  - aux: {op: aux, from: c9, body: [g: gap]}
  - g: gap
""", 6, ["unknown reference 'c9'", "did you mean 'c1'"]),
    ("repeat_unknown_block", """
network:
  - r: {op: repeat, block: nope, times: 2}
""", 5, ["repeat names unknown block 'nope'"]),
    ("block_recursion", """
blocks:
  loop:
    body:
      - inner: {op: loop}
network:
  - l: {op: loop}
""", 7, ["block 'loop' instantiates itself", "l/inner"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_broken_spec_reports_line_and_message(case, write_spec):
    _, body, line, fragments = case
    path = write_spec(HEAD + textwrap.dedent(body).lstrip("\n"))
    with pytest.raises(ArchspecError) as info:
        archspec.check(path)
    err = info.value
    first = err.problems[0]
    assert first.loc is not None and first.loc.file == str(path)
    assert first.loc.line == line, str(err)
    text = str(err)
    for frag in fragments:
        assert frag in text, f"{frag!r} not in:\n{text}"


def test_unknown_variant(write_spec):
    path = write_spec(HEAD + "network:\n  - c1: {op: conv, out: 8, k: 3}\nvariants:\n  small: {set: {input: [3, 16, 16]}}\n")
    with pytest.raises(ArchspecError) as info:
        archspec.check(f"{path}#smal")
    assert info.value.first.loc.line == 6
    assert "unknown variant 'smal'" in str(info.value) and "did you mean 'small'" in str(info.value)


def test_missing_extends_file(write_spec):
    path = write_spec("archspec: 1\nname: child\nextends: nowhere.yaml\n")
    with pytest.raises(ArchspecError) as info:
        archspec.check(path)
    assert info.value.first.loc.line == 3
    assert "spec file not found" in str(info.value) and "nowhere.yaml" in str(info.value)


def test_extends_cycle(write_spec):
    write_spec("archspec: 1\nname: a\nextends: b.yaml\n", "a.yaml")
    b = write_spec("archspec: 1\nname: b\nextends: a.yaml\n", "b.yaml")
    with pytest.raises(ArchspecError) as info:
        archspec.check(b)
    p = info.value.first
    assert "`extends` cycle: b.yaml -> a.yaml -> b.yaml" in str(info.value)
    assert p.loc.line == 3 and p.loc.file.endswith("a.yaml")


def test_extends_only_spec_files(write_spec):
    write_spec("not: a spec\n", "notes.txt")
    path = write_spec("archspec: 1\nname: a\nextends: notes.txt\n")
    with pytest.raises(ArchspecError) as info:
        archspec.check(path)
    assert str(info.value.first) == (f"{path}:3:10: error: {path.parent / 'notes.txt'} is not a spec file\n"
                                     "    hint: a spec (and anything it extends) must be a .yaml or .yml file")


def test_several_independent_errors_reported_together(write_spec):
    path = write_spec(HEAD + textwrap.dedent("""
        network:
          - c1: {op: conv, out: 8, k: 3, strid: 1}
          - c2: {op: convv, out: 8, k: 3}
          - c3: {op: conv, out: -1, k: 3}
    """).lstrip("\n"))
    with pytest.raises(ArchspecError) as info:
        archspec.check(path)
    lines = [p.loc.line for p in info.value.problems]
    assert lines == [5, 6, 7]
    assert str(info.value).endswith("3 errors")


def test_shape_error_shows_the_shape_table(write_spec):
    path = write_spec(HEAD + textwrap.dedent("""
        network:
          - c1: {op: conv, out: 8, k: 3, stride: 2}
          - c2: {op: conv, out: 8, k: 3, stride: 2}
          - fc: {op: linear, out: 10}
    """).lstrip("\n"))
    with pytest.raises(ArchspecError) as info:
        archspec.check(path)
    assert info.value.context.splitlines() == [
        "shapes up to the failing node (2 nodes before it, last 2 shown):",
        "  c1  conv       8×15×15", "  c2  conv       8×7×7", "  fc  linear     ✗"]


def test_the_shape_table_counts_one_node_in_the_singular(write_spec):
    path = write_spec(HEAD + "network:\n  - c1: {op: conv, out: 8, k: 3, stride: 2}\n  - fc: {op: linear, out: 10}\n")
    with pytest.raises(ArchspecError) as info:
        archspec.check(path)
    assert info.value.context.splitlines()[0] == "shapes up to the failing node (1 node before it, last 1 shown):"


def test_overrides_by_path_errors_name_the_path(write_spec):
    path = write_spec(HEAD + textwrap.dedent("""
        network:
          - c1: {op: conv, out: 8, k: 3}
        variants:
          v: {set: {network.c2.out: 4}}
    """).lstrip("\n"))
    with pytest.raises(ArchspecError) as info:
        archspec.check(f"{path}#v")
    assert info.value.first.loc.line == 7
    assert "no item named 'c2'" in str(info.value) and "did you mean 'c1'" in str(info.value)


def test_an_override_of_a_param_the_spec_lacks_is_refused(write_spec):
    """`params` is free-form: `--set params.clases=10` would add a key nothing reads and leave
    the 1000-way head, so an override may only change a declared param."""
    path = write_spec(HEAD + "params: {classes: 5}\nnetwork:\n  - fc: {op: conv, out: '${classes}', k: 1}\n"
                             "variants:\n  v: {set: {params.clases: 4}}\n")
    with pytest.raises(ArchspecError) as info:
        archspec.check(path, ["params.clases=10"])
    p = info.value.first
    assert (str(p.loc), p.message, p.hint) == ("--set params.clases", "no param 'clases' in params",
                                               "did you mean 'classes'?")
    with pytest.raises(ArchspecError) as info:
        archspec.check(f"{path}#v")
    assert (info.value.first.loc.line, info.value.first.message) == (8, "no param 'clases' in params")
    assert archspec.check(path, ["params.classes=10"])["fc"].shape == (10, 32, 32)


@pytest.mark.parametrize("command", ["check", "summary"])
def test_cli_user_error_exit_code_2_without_traceback(command, write_spec):
    path = write_spec(HEAD + "network:\n  - c1: {op: conv, out: 8, k: 3, strid: 2}\n")
    r = subprocess.run([sys.executable, "-m", "archspec", command, str(path)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith(f"{path}:5:")
    assert "unknown key 'strid'" in r.stderr


def test_cli_missing_file_exit_code_2():
    r = subprocess.run([sys.executable, "-m", "archspec", "check", "no/such.yaml"], capture_output=True, text=True)
    assert r.returncode == 2 and "spec file not found" in r.stderr and "Traceback" not in r.stderr


def test_billion_laughs_refused(write_spec):
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 10) + "]")
    path = write_spec("\n".join(lines) + "\n")
    with pytest.raises(ArchspecError, match="expands to more than"):
        archspec.check(path)


def test_no_eval_or_exec_in_package():
    """No call of the builtins eval/exec/compile anywhere (method calls like model.eval() are fine)."""
    import ast

    root = Path(archspec.__file__).parent
    offenders = []
    for p in root.rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text(), str(p))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("eval", "exec",
                                                                                                   "compile"):
                offenders.append(f"{p.relative_to(root)}:{node.lineno}")
    assert offenders == []
