"""What an export target cannot express, found in the IR before any exporter runs.

Each target has a list of rules; a rule looks at one node and returns a problem sentence or
None. All problems are reported together, each with the node's path and spec line, instead
of a stack trace from deep inside an exporter.
"""

from __future__ import annotations

from typing import Callable

from archspec.errors import ArchspecError, Problem
from archspec.export.source import identifier
from archspec.ir.graph import IR, Node
from archspec.ops import REGISTRY, Op
from archspec.ops.base import pair

Rule = Callable[[IR, Node], "tuple[str, str] | None"]  # node -> (message, hint) or None


def _onnx_mapping(ir: IR, d: Node) -> tuple[str, str] | None:
    if REGISTRY[d.op].onnx is not None:
        return None
    return (f"op {d.op!r} has no ONNX mapping", "export to exported-program, torchscript or python instead")


def _onnx_adaptive(ir: IR, d: Node) -> tuple[str, str] | None:
    if d.op != "adaptive_avgpool":
        return None
    (_, h, w), (oh, ow) = ir.shape(d.inputs[0]), pair(d.args.size)
    if h % oh == 0 and w % ow == 0:
        return None
    return (f"adaptive_avgpool from {h}×{w} to {oh}×{ow}: ONNX has no adaptive pooling, and the output "
            "does not divide the input, so no fixed AveragePool computes it",
            f"choose an input size whose grid here is a multiple of {oh}×{ow}, or pool with a fixed "
            "avgpool kernel and stride")


def _python_emitter(ir: IR, d: Node) -> tuple[str, str] | None:
    if type(REGISTRY[d.op]).emit is not Op.emit:
        return None
    return (f"op {d.op!r} has no python emitter", f"give {type(REGISTRY[d.op]).__module__} an `emit` method")


def _python_names(ir: IR, d: Node) -> tuple[str, str] | None:
    bad = [n for n in (d.name, *d.scope) if identifier(n) is None]
    if not bad:
        return None
    return (f"{bad[0]!r} is not a Python identifier, so it cannot name a module attribute",
            "rename it in the spec: letters, digits and underscores, not starting with a digit")


RULES: dict[str, tuple[Rule, ...]] = {
    "onnx": (_onnx_mapping, _onnx_adaptive),
    "exported-program": (),
    "torchscript": (),
    "python": (_python_emitter, _python_names),
}
FORMATS = tuple(RULES)


def lint(ir: IR, fmt: str) -> None:
    """Raise one ArchspecError listing every node `fmt` cannot express."""
    problems = []
    for nid, d in ir.ops():
        for rule in RULES[fmt]:
            found = rule(ir, d)
            if found:
                message, hint = found
                problems.append(Problem(f"cannot export to {fmt}: {message}", d.loc, nid, hint))
    if problems:
        raise ArchspecError(problems)
