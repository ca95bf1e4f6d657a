"""Names a spec may use: identifiers that are not the compiled module's own attributes, and
spec and variant names that are safe as file names and DOT ids."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import archspec
from archspec.errors import ArchspecError
from archspec.ir.reserved import RESERVED
from archspec.torch_backend.build import ArchspecModel, SpecModule
from conftest import ROOT

HEAD = "archspec: 1\nname: demo\ninput: [3, 16, 16]\n"


def first_error(write_spec, text: str, ref: str = ""):
    with pytest.raises(ArchspecError) as info:
        archspec.check(f"{write_spec(text)}{ref}")
    return info.value.first


def test_the_reserved_list_is_exactly_the_module_attributes():
    """A generated list, so `check` needs no torch; it fails here when torch adds an attribute."""
    attrs = {n for n in set(dir(ArchspecModel())) | set(dir(SpecModule()))
             if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n)}
    assert RESERVED == attrs, "run: python scripts/reserved_names.py"
    assert {"training", "forward", "eval", "to", "cuda", "parameters", "state_dict", "__init__", "_modules",
            "_steps", "_out", "_head_steps", "spec_name", "head_names"} <= RESERVED


@pytest.mark.parametrize("name", ["training", "forward", "eval", "to", "cuda", "parameters", "state_dict",
                                  "__init__", "_modules", "_steps", "_out", "spec_name", "head_names"])
def test_attribute_names_are_refused_at_their_line(write_spec, name):
    p = first_error(write_spec, HEAD + f"network:\n  - c1: {{op: conv, out: 4, k: 3}}\n  - {name}: gap\n")
    assert (p.loc.line, p.loc.col) == (6, 5)
    assert p.message == f"the name {name!r} is reserved: the compiled torch module has an attribute of that name"
    assert p.hint and "choose another name" in p.hint


@pytest.mark.parametrize("where", ["block", "branch", "repeat"])
def test_attribute_names_are_refused_at_any_depth(write_spec, where):
    text = {
        "block": "blocks:\n  u:\n    body: [eval: {op: conv, out: 4, k: 1}]\nnetwork:\n  - b: {op: u}\n",
        "branch": "network:\n  - m: {op: concat, branches: {a: {op: conv, out: 4, k: 1}, to: [x: identity]}}\n",
        "repeat": "blocks:\n  u:\n    body: [c: {op: conv, out: 3, k: 1}]\n"
                  "network:\n  - r: {op: repeat, block: u, times: 2, name: \"cuda{i}\", start: 0}\n"
                  "  - s: {op: repeat, block: u, times: 1, name: \"{i}cuda\"}\n",
    }[where]
    p = first_error(write_spec, HEAD + text)
    line, col, name = {"block": (6, 12, "eval"), "branch": (5, 61, "to"), "repeat": (7, 5, None)}[where]
    if where == "repeat":  # cuda0 is allowed; the second repeat's names start with a digit
        assert "invalid name '1cuda'" in p.message and (p.loc.line, p.loc.col) == (9, 38)
        return
    assert (p.loc.line, p.loc.col) == (line, col) and f"{name!r} is reserved" in p.message


def test_an_allowed_name_next_to_a_reserved_one_builds(write_spec):
    """`training_1` (the hint's suggestion) and `cuda0` are fine: only exact attributes clash."""
    text = HEAD + "network:\n  - training_1: {op: conv, out: 4, k: 3}\n  - cuda0: gap\n"
    model = archspec.build(write_spec(text))
    assert [n for n, _ in model.named_children()] == ["training_1", "cuda0"]
    assert set(model.state_dict()) == {"training_1.weight", "training_1.bias"}


def test_check_refuses_reserved_names_without_importing_torch(write_spec):
    path = write_spec(HEAD + "network:\n  - forward: {op: conv, out: 4, k: 3}\n")
    code = ("import sys, archspec; from archspec.errors import ArchspecError\n"
            f"try: archspec.check({str(path)!r})\nexcept ArchspecError as e: print(e.first.message)\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.splitlines() == ["the name 'forward' is reserved: the compiled torch module has an attribute of that name",
                                "False"]


def test_a_name_with_a_trailing_newline_is_not_an_identifier(write_spec):
    p = first_error(write_spec, HEAD + 'network:\n  - "c1\\n": {op: conv, out: 4, k: 3}\n')
    assert (p.loc.line, p.loc.col) == (4 + 1, 5) and p.message == "invalid name 'c1\\n'"


def test_an_empty_name_says_so(write_spec):
    p = first_error(write_spec, HEAD + 'network:\n  - "": {op: conv, out: 4, k: 3}\n')
    assert (p.loc.line, p.loc.col) == (5, 5) and p.message == "invalid name '' (empty)"


def test_an_item_named_input_is_reserved_not_a_cycle(write_spec):
    p = first_error(write_spec, HEAD + "network:\n  - c1: {op: conv, out: 4, k: 3}\n  - input: gap\n")
    assert (p.loc.line, p.loc.col) == (6, 5)
    assert p.message == "the name 'input' is reserved: it names the network's input"
    assert "cycle" not in p.message


@pytest.mark.parametrize("key, word, kind", [("yes", "true", "boolean"), ("off", "false", "boolean"),
                                             ("~", "null", "null"), ("null", "null", "null")])
def test_yaml_boolean_and_null_keys_say_what_yaml_made_of_them(write_spec, key, word, kind):
    p = first_error(write_spec, HEAD + f"network:\n  - c1: {{op: conv, out: 4, k: 3}}\n  - {key}: gap\n")
    assert (p.loc.line, p.loc.col) == (6, 5)
    assert p.message == f"the key {word} in network.1 is a YAML {kind}, not a name: keys here are names (strings)"
    assert "quote the key" in p.hint


def test_a_yaml_boolean_branch_name_is_explained_in_lowering(write_spec):
    p = first_error(write_spec, HEAD + "network:\n  - m: {op: concat, branches: {a: [c: identity], no: [d: identity]}}\n")
    assert (p.loc.line, p.loc.col) == (5, 50)
    assert p.message == "the branch name is read by YAML as the boolean false, not as text"


# ---- the spec's own name and variant names: file names and DOT ids ---------------------------

@pytest.mark.parametrize("name", ["../../../tmp/x/pwned", "/tmp/abs", "'a\"b'", "'a<b'", "\"x\\ny\"", ".hidden",
                                  "-rf", "a b", "'" + "n" * 101 + "'"])
def test_unsafe_spec_names_are_refused_at_the_name(write_spec, name):
    p = first_error(write_spec, f"archspec: 1\nname: {name}\ninput: [3, 16, 16]\nnetwork:\n  - g: gap\n")
    assert (p.loc.line, p.loc.col) == (2, 7)
    assert "for name: a spec or variant name is letters, digits, _ - and ., not starting with . or -" in p.message


@pytest.mark.parametrize("name", ["inception_v3", "resnet-50", "v1.2", "2024_net"])
def test_ordinary_spec_names_pass(write_spec, name):
    assert archspec.check(write_spec(f"archspec: 1\nname: {name}\ninput: [3, 16, 16]\nnetwork:\n  - g: gap\n")).name == name


def test_an_unsafe_variant_name_is_refused_at_its_key(write_spec):
    text = HEAD + "network:\n  - g: gap\nvariants:\n  ok: {}\n  ../../up: {}\n"
    for ref in ("", "#ok", "#../../up"):
        p = first_error(write_spec, text, ref)
        assert (p.loc.line, p.loc.col) == (8, 3)
        assert p.message.startswith("invalid key '../../up' in variants: a spec or variant name is")


def test_a_bad_name_never_reaches_the_file_system(write_spec, tmp_path, monkeypatch):
    from archspec.cli import main

    monkeypatch.chdir(tmp_path)
    path = write_spec("archspec: 1\nname: ../escaped\ninput: [3, 16, 16]\nnetwork:\n  - g: gap\n")
    assert main(["render", str(path)]) == 2
    assert not (tmp_path.parent / "escaped.svg").exists() and not list(tmp_path.parent.glob("escaped*"))


