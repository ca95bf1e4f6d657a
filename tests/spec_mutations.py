"""Hostile specs for fuzzing, and the oracle every one of them must satisfy.

Shared by tests/test_fuzz.py (a few hundred examples in CI) and scripts/fuzz_long.py (the
long run). The contract is issue 6's: whatever a spec file holds, `archspec.check` either
succeeds or raises one `ArchspecError` whose every problem points at file:line — a
Python exception of any other type is a crash of archspec, never the user's fault.

Mutations start from real specs (the shipped ones and tests/data/tiny.yaml) so that most
of them get deep into resolution, lowering and shape inference instead of dying in the
first YAML line; the purely random strategies cover the YAML loader itself, and
`structural_spec` builds the corners mutation seldom reaches: names that are module
attributes, blocks that use the previous block several times, aux heads inside sequences
and blocks, hostile spec names. Beyond "no other exception", the oracle holds accepted
specs to what `check` promises: a safe name, a bounded time, and (where it runs them)
a training forward with one output per aux head.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import time
import traceback
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

import archspec
from archspec.errors import ArchspecError
from archspec.ops.base import placeable

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny.yaml"
FORWARD_MACS = 50_000_000
"""A spec that checks and costs at most this much is also built and run, so a bad spec that
slipped through the static check would fail in `forward` and be caught as a crash."""

OP_KINDS = sorted(placeable()) + ["seq", "repeat", "aux"]
NUMBERS = [0, -1, 1, 2, 3, 7, 255, 2**31, 2**63, 10**15, 10**30, -(10**9)]
NUMBER = st.one_of(st.sampled_from(NUMBERS), st.integers(-4, 300))
HOSTILE_STRINGS = ["${x}", "${c * 2}", "${10 ** 20}", "${max(1, 2)}", "${__import__('os')}", "${(1).real}",
                   "${[i for i in ()]}", "${9 ** 9 ** 9}", "${1 / 0}", "same", "valid", "none", "relu", "",
                   "../../etc/passwd", "a/b", "{i}", "${", "}"]

HOSTILE_TEXT = [
    "9" * 5000, "1e400", "-.inf", ".nan", "0x1F", "0o17", "1_000", "2001-12-14", "~", "!!binary aGk=",
    "[" * 5000 + "]" * 5000, "{a: " * 200 + "1" + "}" * 200, "!!python/object/apply:os.system [ls]",
    "!!python/name:os.system", "&a [*a]", "*nowhere", '"${' + "-" * 20000 + '1}"', '"${' + "(" * 150 + "1" + ")" * 150 + '}"',
    "\x00", "\x1b[31m", "\ufeff", "{<<: {a: 1}}", "{? [a, b] : c}", "!!set {a, b}", "!!omap [a: 1]", "'unterminated",
]
"""Text spliced in place of a value: what the loader and evaluator must refuse calmly."""

RISKY_NAMES: list[Any] = ["training", "forward", "eval", "to", "cuda", "half", "parameters", "state_dict",
                          "__init__", "_modules", "_parameters", "_steps", "_out", "_head_out", "spec_name",
                          "head_names", "T_destination", "input", "c1\n", "", "body", None, True, False, 0]
"""Item names that are attributes of the compiled modules, or YAML non-strings, or reserved."""
SPEC_NAMES = ["net", "../../../tmp/x/pwned", "/tmp/abs", 'a"b', "a\nb", "<x>", "a<b", ".hidden", "-rf", "a b",
              "x" * 200, "ok-1.2", "a\\G", "inception_v3#v", ""]
MAX_CHECK_S = 30.0
"""No spec may keep `check` (and the build and forward that follow) busy longer: exponential blocks
once took minutes, then crashed. Measured as this process's CPU time, so a loaded machine's waits
do not count: a 16,393-op network took 9.7 s of CPU and 36 s of wall time at load average 5."""


def sources() -> list[Path]:
    """Every shipped spec (globbed now: new ones are picked up) plus the tiny test spec."""
    return sorted((ROOT / "specs").glob("*.yaml")) + [TINY]


def prepare_workdir(workdir: Path) -> dict[str, Path]:
    """Copy the sources side by side, so `extends:` between shipped specs still resolves."""
    out = {}
    for src in sources():
        dst = workdir / src.name
        shutil.copyfile(src, dst)
        out[src.name] = dst
    return out


@lru_cache(maxsize=None)
def _parsed(text: str) -> Any:
    return yaml.safe_load(text)


@lru_cache(maxsize=None)
def _names_of(text: str) -> list[str]:
    return _names(_parsed(text))


def _names(tree: Any) -> list[str]:
    """Every string key and value: item names, op kinds and references to swap around."""
    out: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(k, str):
                    out.add(k)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str) and len(node) < 40:
            out.add(node)

    walk(tree)
    return sorted(out | set(_paths(tree))) or ["x"]


def _paths(tree: Any, prefix: str = "", depth: int = 0) -> list[str]:
    """Dotted override paths (`network.conv1.out`): mappings by key, named lists by item name."""
    out: list[str] = []
    if depth > 5:
        return out
    if isinstance(tree, dict):
        pairs = [(str(k), v) for k, v in tree.items()]
    elif isinstance(tree, list):
        pairs = [(str(k), v) for item in tree if isinstance(item, dict) and len(item) == 1 for k, v in item.items()]
    else:
        return out
    for key, value in pairs:
        path = f"{prefix}.{key}" if prefix else key
        out.append(path)
        out += _paths(value, path, depth + 1)
    return out


def _slots(tree: Any) -> list[tuple[Any, Any]]:
    """(container, key) for every value in the tree, in a stable order."""
    out: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k in list(node):
                out.append((node, k))
                walk(node[k])
        elif isinstance(node, list):
            for i in range(len(node)):
                out.append((node, i))
                walk(node[i])

    walk(tree)
    return out


@st.composite
def misspelt(draw: st.DrawFn, word: str) -> str:
    """One edit: drop, double, swap or change a character."""
    if not word:
        return draw(st.text("abcxyz_", min_size=1, max_size=3))
    i = draw(st.integers(0, len(word) - 1))
    how = draw(st.sampled_from(["drop", "double", "swap", "change"]))
    if how == "drop":
        return word[:i] + word[i + 1:]
    if how == "double":
        return word[:i] + word[i] + word[i:]
    if how == "swap" and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + draw(st.sampled_from("aeioxz1_")) + word[i + 1:]


_OPERAND = st.one_of(st.integers(-3, 70).map(str), st.sampled_from(["0", "0.0", "-0.5", "2.5", "1e15", "1e-300", "c"]),
                     st.floats(allow_nan=False, allow_infinity=False).map(repr))
_ARITHMETIC: st.SearchStrategy[str] = st.deferred(lambda: st.one_of(
    _OPERAND, _OPERAND,  # leaves twice as likely, so most expressions stay short
    st.tuples(_ARITHMETIC, st.sampled_from(["+", "-", "*", "/", "//", "%", "**"]), _ARITHMETIC).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"),
    st.lists(_ARITHMETIC, min_size=1, max_size=3).map(lambda xs: f"max({', '.join(xs)})"),
    _ARITHMETIC.map(lambda x: f"-{x}")))


def expressions() -> st.SearchStrategy[str]:
    """`${...}` arithmetic over edge numbers: what the evaluator must answer or refuse calmly."""
    return _ARITHMETIC.map(lambda text: "${" + text + "}")


def values(names: list[str]) -> st.SearchStrategy[Any]:
    """Replacement values: wrong types, edge numbers, names from the spec, hostile strings."""
    scalar = st.one_of(NUMBER, st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
                       st.sampled_from(names), st.sampled_from(HOSTILE_STRINGS + OP_KINDS), st.text(max_size=6),
                       expressions())
    return st.one_of(scalar, st.lists(scalar, max_size=4), st.dictionaries(st.sampled_from(names), scalar, max_size=3))


@st.composite
def tree_mutation(draw: st.DrawFn, text: str) -> str:
    """Parse, apply one to three structural mutations, dump back to YAML."""
    tree = copy.deepcopy(_parsed(text))
    names = _names_of(text)
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(tree)
        if not slots:
            break
        parent, key = slots[draw(st.integers(0, len(slots) - 1))]
        how = draw(st.sampled_from(["delete", "duplicate", "replace", "rename", "swap", "retype"]))
        if how == "delete":
            del parent[key]
        elif how == "duplicate" and isinstance(parent, list):
            parent.insert(key + 1, copy.deepcopy(parent[key]))
        elif how == "rename" and isinstance(parent, dict):
            new = draw(st.one_of(misspelt(str(key)), st.sampled_from(names), st.sampled_from([0, 7, None, True, 2.5])))
            items = [(new if k == key else k, v) for k, v in parent.items()]
            parent.clear()
            parent.update(items)
        elif how == "swap":
            other_parent, other_key = slots[draw(st.integers(0, len(slots) - 1))]
            parent[key], other_parent[other_key] = other_parent[other_key], parent[key]
        elif how == "retype":
            parent[key] = draw(st.sampled_from([[parent[key]], {"x": parent[key]}, str(parent[key])]))
        else:
            parent[key] = draw(values(names))
    return yaml.safe_dump(tree, sort_keys=False, allow_unicode=True)


_NUMBER_TOKEN = re.compile(r"(?<![\w.])\d+(?![\w.])")
_WORD_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@st.composite
def text_mutation(draw: st.DrawFn, text: str) -> str:
    """Edit the text itself: keeps comments and layout, and can break the YAML."""
    lines = text.splitlines(keepends=True)
    how = draw(st.sampled_from(["truncate", "delete_line", "duplicate_line", "swap_lines", "number", "word",
                                "hostile", "insert"]))
    if how == "truncate":
        return text[:draw(st.integers(0, len(text)))]
    if how in ("delete_line", "duplicate_line", "swap_lines"):
        i = draw(st.integers(0, len(lines) - 1))
        if how == "delete_line":
            del lines[i]
        elif how == "duplicate_line":
            lines.insert(i, lines[i])
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        return "".join(lines)
    pattern = {"number": _NUMBER_TOKEN, "word": _WORD_TOKEN, "hostile": _NUMBER_TOKEN}.get(how)
    if pattern is not None:
        spans = [m.span() for m in pattern.finditer(text)]
        if spans:
            a, b = spans[draw(st.integers(0, len(spans) - 1))]
            if how == "number":
                new = str(draw(NUMBER))
            elif how == "hostile":
                new = draw(st.sampled_from(HOSTILE_TEXT))
            else:
                new = draw(st.one_of(misspelt(text[a:b]), st.sampled_from(_names_of(text))))
            return text[:a] + new + text[b:]
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.text(max_size=12)) + text[at:]


def random_yaml() -> st.SearchStrategy[str]:
    """Arbitrary YAML documents and arbitrary text: the loader's own hostile input."""
    leaf = st.one_of(st.none(), st.booleans(), NUMBER, st.floats(), st.text(max_size=10))
    data = st.recursive(leaf, lambda c: st.one_of(st.lists(c, max_size=4),
                                                  st.dictionaries(st.text(max_size=6), c, max_size=4)),
                        max_leaves=20)
    return st.one_of(data.map(lambda d: yaml.safe_dump(d, allow_unicode=True)), st.text(max_size=200))


@st.composite
def random_spec(draw: st.DrawFn) -> str:
    """Spec-shaped nonsense: the right top-level keys, items with random kinds and arguments."""
    arg_names = ["out", "k", "stride", "padding", "dilation", "groups", "ceil_mode", "size", "p", "fn", "scale",
                 "inputs", "branches", "body", "from", "block", "times", "norm", "act", "bias"]
    names = [f"n{i}" for i in range(6)]
    items = []
    for name in names[: draw(st.integers(1, 6))]:
        args = draw(st.dictionaries(st.sampled_from(arg_names), values(names), max_size=4))
        items.append({name: {"op": draw(st.sampled_from(OP_KINDS)), **args}})
    spec = {"archspec": 1, "name": "random", "input": draw(st.lists(NUMBER, min_size=3, max_size=3)),
            "network": items}
    return yaml.safe_dump(spec, sort_keys=False)


@st.composite
def structural_spec(draw: st.DrawFn) -> str:
    """A small valid-looking network with a chain of blocks, each using the previous one
    `fan` times (2**depth ops at fan 2, depth nested scopes at fan 1), aux heads inside a
    `seq` and inside the innermost block, and now and then one risky item name or a hostile
    spec name (one at a time, so the other corners are reached too)."""
    risky = draw(st.one_of(st.none(), st.none(), st.sampled_from(RISKY_NAMES)))
    at = draw(st.integers(0, 8))
    made = [0]

    def name(default: str) -> Any:
        made[0] += 1
        return risky if made[0] == at and risky is not None else default

    depth, fan = draw(st.integers(0, 45)), draw(st.integers(1, 3))
    head = {"op": "aux", "from": "c", "loss_weight": 0.3, "body": [{"g": "gap"}, {"f": "flatten"},
                                                                   {"l": {"op": "linear", "out": 3}}]}
    network: list[Any] = [{name("stem"): {"op": "conv", "out": 4, "k": 3, "padding": 1}}]
    if draw(st.booleans()):
        seq = [{name("c"): {"op": "conv", "out": 4, "k": 3, "padding": 1}}, {name("a"): head},
               {name("d"): {"op": "conv", "out": 4, "k": 1}}]
        network.append({name("s"): {"op": "seq", "body": seq}})
    inner: list[Any] = [{name("c"): {"op": "conv", "out": 4, "k": 3, "padding": 1}}]
    if draw(st.booleans()):
        inner.append({name("h"): head})
    blocks: dict[str, Any] = {"b0": {"body": inner}}
    for i in range(1, depth + 1):
        blocks[f"b{i}"] = {"body": [{name(f"x{j}"): {"op": f"b{i - 1}"}} for j in range(fan)]}
    network += [{name("top"): {"op": f"b{depth}"}}, {"gp": "gap"}, {"fl": "flatten"}, {"fc": {"op": "linear", "out": 5}}]
    spec_name = draw(st.one_of(st.just("generated"), st.just("generated"), st.sampled_from(SPEC_NAMES)))
    spec = {"archspec": 1, "name": spec_name, "input": [3, 8, 8], "blocks": blocks, "network": network}
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)


def hostile_spec(texts: dict[str, str]) -> st.SearchStrategy[tuple[str, str]]:
    """(source name, spec text): a mutation of one of `texts`, a structural spec, or random YAML."""
    sourced = st.sampled_from(sorted(texts)).flatmap(
        lambda name: st.tuples(st.just(name), st.one_of(tree_mutation(texts[name]), text_mutation(texts[name]))))
    return st.one_of(sourced, st.tuples(st.just("generated"), structural_spec()),
                     st.tuples(st.just("random"), st.one_of(random_spec(), random_yaml())))


class ContractViolation(AssertionError):
    """An archspec error that breaks the error contract (no place, or an internal dump)."""


_LEAKS = ("validation error for", "pydantic", "Traceback", "object at 0x")


def verify_error(err: ArchspecError, file: str) -> None:
    """Every problem has a place: file:line in the spec or a spec it extends, or the `--set`."""
    for p in err.problems:
        if p.loc is not None and (p.loc.file or "").startswith("--set "):
            continue
        if p.loc is None or not p.loc.file or not p.loc.line:
            raise ContractViolation(f"problem without file:line: {p}")
        if Path(p.loc.file).parent != Path(file).parent:
            raise ContractViolation(f"problem points at {p.loc.file}, outside the specs: {p}")
        leak = next((s for s in _LEAKS if s in str(p)), None)
        if leak:
            raise ContractViolation(f"internal detail {leak!r} leaks into the message: {p}")


def error_kind(err: ArchspecError) -> str:
    """The first problem's message with names and numbers blanked: a stable bucket to count."""
    msg = re.sub(r"'[^']*'|\"[^\"]*\"", "…", err.first.message)
    msg = re.sub(r"[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?", "N", msg)
    return re.split(r": | \(", msg, maxsplit=1)[0][:70]


def check_spec(path: Path, variant: str | None = None, run_forward: bool = False,
               overrides: list[str] | None = None) -> str:
    """The oracle: check (and optionally build and run) one spec and name the outcome
    ('ok' or 'error: <kind>'); any other exception propagates — archspec crashed."""
    ref = f"{path}#{variant}" if variant else str(path)
    start = time.process_time()
    try:
        ir = archspec.check(ref, overrides)
        _verify_accepted(ir)
        if run_forward and ir.totals()["macs"] <= FORWARD_MACS:
            _forward(ir)
        outcome = "ok"
    except ArchspecError as e:
        verify_error(e, str(path))
        outcome = "error: " + error_kind(e)
    seconds = time.process_time() - start
    if seconds > MAX_CHECK_S:
        raise ContractViolation(f"check took {seconds:.0f} s (at most {MAX_CHECK_S:.0f}): {outcome}")
    return outcome


def _verify_accepted(ir: Any) -> None:
    """An accepted name is a plain file name: render and train write NAME.svg and NAME-... here."""
    if Path(ir.name).name != ir.name or ir.name.startswith(".") or not ir.name.isprintable() or '"' in ir.name:
        raise ContractViolation(f"check accepted the spec name {ir.name!r}, unsafe as a file name or DOT id")


def _forward(ir: Any) -> None:
    import torch

    from archspec.render import dot_source

    dot_source(ir)
    model = archspec.build(ir)
    model.train()  # aux heads run too; batch 2 so batchnorm on 1×1 maps has two values per channel
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # hundreds of tiny convs: threads only spin (seconds on a busy machine)
    try:
        with torch.no_grad():
            out = model(torch.zeros(2, *ir.input_shape))
            got = len(out) if isinstance(out, tuple) else 1
            if got != 1 + len(ir.heads):
                raise ContractViolation(f"training forward returned {got} outputs for {len(ir.heads)} aux heads")
            if not isinstance(model.eval()(torch.zeros(2, *ir.input_shape)), torch.Tensor):
                raise ContractViolation("eval forward returned more than the logits")
    finally:
        torch.set_num_threads(threads)


def crash_summary(exc: BaseException) -> str:
    """`TypeName at file:line in function` of the innermost archspec frame (else the innermost)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/archspec/" in f.filename] or frames
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno} in {ours[-1].name}" if ours else "?"
    return f"{type(exc).__name__} at {where}"


def _variants_of(text: str) -> list[str]:
    tree = _parsed(text)
    v = tree.get("variants") if isinstance(tree, dict) else None
    return sorted(map(str, v)) if isinstance(v, dict) else []


@st.composite
def selection(draw: st.DrawFn, text: str | None) -> tuple[str | None, list[str]]:
    """How the spec is referred to: a variant (real or not) and `--set KEY=VALUE` overrides."""
    if text is None:
        return None, []
    names = _names_of(text)
    variant = draw(st.one_of(st.none(), st.none(), st.sampled_from(_variants_of(text) or ["v"]), st.sampled_from(names)))
    sets = draw(st.one_of(st.just([]), st.lists(st.tuples(st.sampled_from(names), values(names)), max_size=2)))
    return variant, [f"{k}={json.dumps(v)}" for k, v in sets]  # JSON is YAML
