"""Mutation fuzzing: whatever a spec file holds, archspec succeeds or raises one ArchspecError
whose every problem points at file:line — never any other exception, never a segfault.

A few hundred derandomized examples here (the same ones every run, so CI is repeatable);
scripts/fuzz_long.py runs 10,000 fresh ones and counts outcomes. Below them, one
regression test per crash the fuzzer found, each with its exact place and message.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from unittest.mock import patch

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archspec
from archspec.errors import ArchspecError
from archspec.ir import lower as lowering
from archspec.spec.expr import MAX_ABS, ExprError, substitute
from spec_mutations import (check_spec, expressions, prepare_workdir, random_spec, random_yaml, selection,
                            structural_spec, text_mutation, tree_mutation)

FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class Workdir:
    """Copies of every source spec (so `extends` resolves) and the file each example writes."""

    def __init__(self, root: Path) -> None:
        self.texts = {name: p.read_text(encoding="utf-8") for name, p in prepare_workdir(root).items()}
        self.target = root / "fuzzed.yaml"

    def run(self, data: st.DataObject, source: str, text: str) -> str:
        variant, overrides = data.draw(selection(self.texts.get(source)))
        self.target.write_text(text, encoding="utf-8")
        # tiny.yaml and the generated specs are cheap enough to also build and run what passes
        return check_spec(self.target, variant, source in ("tiny.yaml", "generated"), overrides)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Workdir:
    return Workdir(tmp_path_factory.mktemp("fuzz"))


@settings(FUZZ, max_examples=200)
@given(data=st.data())
def test_tree_mutations(data: st.DataObject, work: Workdir) -> None:
    source = data.draw(st.sampled_from(sorted(work.texts)))
    work.run(data, source, data.draw(tree_mutation(work.texts[source])))


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_text_mutations(data: st.DataObject, work: Workdir) -> None:
    source = data.draw(st.sampled_from(sorted(work.texts)))
    work.run(data, source, data.draw(text_mutation(work.texts[source])))


@settings(FUZZ, max_examples=60)
@given(data=st.data())
def test_structural_specs(data: st.DataObject, work: Workdir) -> None:
    """Attribute names, doubling and deep blocks, nested aux heads, hostile spec names. The
    size limits are lowered here so that reaching them is cheap; that they stop lowering at
    once is what is tested (scripts/fuzz_long.py runs with the real limits)."""
    with patch.object(lowering, "MAX_OPS", 1000), patch.object(lowering, "MAX_EXPANSIONS", 4000):
        work.run(data, "generated", data.draw(structural_spec()))


@settings(FUZZ, max_examples=100)
@given(data=st.data())
def test_random_documents(data: st.DataObject, work: Workdir) -> None:
    work.run(data, "random", data.draw(st.one_of(random_spec(), random_yaml())))


@settings(FUZZ, max_examples=500)
@given(text=expressions())
def test_expression_evaluator_answers_or_refuses(text: str) -> None:
    """A number within bounds, or an ExprError (which lowering turns into a placed problem)."""
    try:
        value = substitute(text, {"c": 3})
    except ExprError:
        return
    assert isinstance(value, (int, float)) and abs(value) <= MAX_ABS, (text, value)


# ---- crashes the fuzzer found, fixed in the core -------------------------------------------
HEAD = "archspec: 1\nname: hostile\ninput: [3, 8, 8]\n"


@pytest.mark.parametrize("expr, message", [
    ("max(0)", None),  # was TypeError: 'int' object is not iterable
    ("1e15 ** 64", "overflows"),  # was OverflowError from a float power
    ("0 ** -1", "division by zero in '0 ** -1'"),  # was ZeroDivisionError
    ("(-8) ** 0.5", "gives a complex number"),  # was a complex "number" flowing on
    ("123456789012345678", "beyond the allowed magnitude"),  # literals are bounded like results
])
def test_expression_edge_cases(expr, message):
    if message is None:
        assert substitute("${" + expr + "}", {}) == 0
        return
    with pytest.raises(ExprError) as info:
        substitute("${" + expr + "}", {})
    assert message in str(info.value)


def refused(path: Path) -> ArchspecError:
    with pytest.raises(ArchspecError) as info:
        archspec.check(path)
    return info.value


@pytest.mark.parametrize("text, where", [
    # was a segfault in libyaml; libyaml 0.2.6 refuses it itself: found by the brackets, the 101st `[`
    (HEAD + "network: " + "[" * 100_000 + "]" * 100_000 + "\n", (4, 110)),
    (HEAD + "params: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n", (4, 405)),  # was a RecursionError
])
def test_deep_nesting_is_refused_not_a_segfault(write_spec, text, where):
    path = write_spec(text)
    r = subprocess.run([sys.executable, "-m", "archspec", "check", str(path)], capture_output=True, text=True,
                       check=False)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    line, col = where
    assert r.stderr.splitlines()[0] == f"{path}:{line}:{col}: error: the YAML nests deeper than 100 levels"
    assert r.stderr.splitlines()[1] == "    hint: a spec needs a few levels; use block templates instead of deep nesting"


def test_aliases_cannot_stack_nesting_past_the_limit(write_spec):
    lines = ["a0: &a0 " + "[" * 60 + "]" * 60]
    lines += [f"a{i}: &a{i} " + "[" * 60 + f"*a{i - 1}" + "]" * 60 for i in range(1, 4)]
    err = refused(write_spec(HEAD + "\n".join(lines) + "\n"))
    # each level alone is 61 deep; a1 holding a0 is 122, found inside a0's brackets
    assert "nests deeper than 100 levels" in str(err) and (err.first.loc.line, err.first.loc.col) == (4, 48)


def test_control_character_has_line_and_column(write_spec):
    err = refused(write_spec(HEAD + "description: bad \x01 byte\n"))
    assert (err.first.loc.line, err.first.loc.col) == (4, 18)
    assert "control characters are not allowed (character U+0001)" in str(err)


def test_non_utf8_file_has_line_and_column(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(HEAD.encode() + "description: caf\xe9\n".encode("latin-1"))
    err = refused(path)
    assert (err.first.loc.line, err.first.loc.col) == (4, 17) and "not UTF-8 text (byte 0xe9)" in str(err)


def test_number_too_long_for_python(write_spec):
    err = refused(write_spec(HEAD + "network:\n  - c: {op: conv, out: " + "9" * 5000 + ", k: 1}\n"))
    assert (err.first.loc.line, err.first.loc.col) == (5, 24)
    assert "the number 999999999999… is too long (5,000 characters)" in str(err)


def test_expression_too_long_for_the_parser(write_spec):
    err = refused(write_spec(HEAD + 'network:\n  - c: {op: conv, out: "${' + "-" * 100_000 + '1}", k: 1}\n'))
    assert (err.first.loc.line, err.first.loc.col) == (5, 24)
    assert "expression of 100,001 characters is too long (at most 200)" in str(err)


def test_huge_repeat_is_refused_quickly(write_spec):
    path = write_spec(HEAD + "blocks:\n  unit: {body: [c: {op: conv, out: 3, k: 1}]}\n"
                      "network:\n  - r: {op: repeat, block: unit, times: 1000000000}\n")
    err = refused(path)
    assert len(err.problems) == 1 and "the network expands to more than 20,000 ops" in str(err)
    assert err.first.path == "r/unit_20001/c"


def test_pool_window_may_overhang_the_input_in_ceil_mode(write_spec):
    """Found by the differential test: PyTorch pools a 1×1 map with a 2×2 ceil-mode window."""
    path = write_spec("archspec: 1\nname: overhang\ninput: [1, 1, 3]\n"
                      "network:\n  - p: {op: maxpool, k: 2, ceil_mode: true}\n")
    ir = archspec.check(path)
    assert ir["p"].shape == (1, 1, 2)
    assert archspec.build(ir)(torch.zeros(1, 1, 1, 3)).shape == (1, 1, 1, 2)


@pytest.mark.parametrize("tail, variant, where, fragment", [
    # a list where a name belongs was hashed: TypeError
    ("  - rr: {op: repeat, block: [unit], times: 2}\n", "", (8, 29), "repeat names unknown block ['unit']"),
    ("  - a: {op: aux, from: r, block: [unit]}\n", "", (8, 34), "aux names unknown block ['unit']"),
    # a branch named by a number was joined into the node path: TypeError
    ("  - m: {op: concat, branches: {1: [a: identity], b: [x: identity]}}\n", "", (8, 32), "invalid branch name 1"),
    # `variants:` not a mapping was indexed by the variant's name: TypeError
    ("variants: [v]\n", "#v", (8, 11), "`variants:` must map variant names to overrides"),
    # variant names of mixed types were sorted for the message: TypeError
    ("variants: {1: {}, a: {}}\n", "#b", (8, 1), "unknown variant 'b' (this spec has: 1, a)"),
    # an empty variant had no place to point at
    ("variants:\n  v:\n", "#v", (9, 5), "invalid value None for variant 'v': expected a valid dictionary"),
])
def test_malformed_references_and_variants(write_spec, tail, variant, where, fragment):
    path = write_spec(HEAD + "blocks:\n  unit: {body: [c: {op: conv, out: 3, k: 1}]}\nnetwork:\n  - r: unit\n" + tail)
    with pytest.raises(ArchspecError) as info:
        archspec.check(f"{path}{variant}")
    assert (info.value.first.loc.line, info.value.first.loc.col) == where, str(info.value)
    assert fragment in str(info.value)


def test_a_set_path_may_lead_into_the_set_itself(write_spec):
    """Was `RuntimeError: dictionary changed size during iteration`."""
    path = write_spec(HEAD + "network:\n  - c: {op: conv, out: 3, k: 1}\nvariants:\n"
                      "  v: {set: {variants.v.set.extra: 1, network.c.out: 5}}\n")
    assert archspec.check(f"{path}#v")["c"].shape == (5, 8, 8)
