"""Memory limits of the static check: a spec that would need absurd memory is refused from
its shapes alone, before `build` allocates a single tensor.

A typo such as `out: 1000000` or `input: [3, 50000, 50000]` is a valid spec whose module
would take the machine down — terabytes of weights, or an input tensor larger than RAM —
so it is an error with the figure and the flag that allows it. Two figures, fp32 at
batch 1, from the annotated IR:

- weights: parameters plus buffers (running statistics), what `build` allocates;
- activations: the input and every op's output, what a training forward keeps for the
  backward pass (an upper bound for inference, which frees tensors as it goes).

The default limits, 4 GiB each, are far above every shipped spec and far below what
breaks a workstation.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archspec.errors import ArchspecError, Problem

if TYPE_CHECKING:
    from archspec.ir.graph import IR

BYTES_PER_VALUE = 4  # fp32
GiB = 1 << 30
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    """The most memory a spec may ask for; `check` and `build` refuse a spec beyond either."""

    max_param_bytes: int = 4 * GiB
    max_activation_bytes: int = 4 * GiB


@dataclass(frozen=True)
class Memory:
    param_bytes: int
    activation_bytes: int


def memory(ir: IR) -> Memory:
    """Both figures of an IR whose shapes are inferred (aux heads included: they train)."""
    values = sum(d.params + d.buffers for d in ir.nodes.values())
    acts = sum(math.prod(ir.shape(n)) for n in ir.nodes)
    return Memory(values * BYTES_PER_VALUE, acts * BYTES_PER_VALUE)


def enforce(ir: IR, limits: Limits) -> None:
    """Raise one problem per exceeded limit, placed at the op that needs the most."""
    m = memory(ir)
    problems = []
    if m.param_bytes > limits.max_param_bytes:
        nid = max(ir.nodes, key=lambda n: ir[n].params + ir[n].buffers)
        d = ir[nid]
        problems.append(Problem(
            f"the weights need {fmt_size(m.param_bytes)} in fp32 ({m.param_bytes // BYTES_PER_VALUE:,} values), "
            f"over the limit of {fmt_size(limits.max_param_bytes)}; the largest op, {d.op} {nid!r}, "
            f"has {d.params + d.buffers:,}",
            d.loc, d.path, _allow("param", m.param_bytes)))
    if m.activation_bytes > limits.max_activation_bytes:
        nid = max(ir.nodes, key=lambda n: math.prod(ir.shape(n)))
        d = ir[nid]
        shape = "×".join(map(str, ir.shape(nid)))
        problems.append(Problem(
            f"the activations need {fmt_size(m.activation_bytes)} in fp32 at batch 1, over the limit of "
            f"{fmt_size(limits.max_activation_bytes)}; the largest, {nid!r}, is {shape}",
            d.loc, d.path, _allow("activation", m.activation_bytes)))
    if problems:
        raise ArchspecError(problems)


def _allow(which: str, needed: int) -> str:
    size = f"{math.ceil(needed / GiB)}GiB"
    return (f"if this is intended, raise the limit: --max-{which}-bytes {size} on the command line, "
            f"or Limits(max_{which}_bytes=...) in Python")


def fmt_size(n: int) -> str:
    for unit, scale in (("TiB", 1 << 40), ("GiB", GiB), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def parse_size(text: str) -> int:
    """`4GiB`, `500MB`, `1.5 TiB` or a plain number of bytes (for the CLI flags)."""
    m = _SIZE.match(text)
    if m and m.group(2).lower() in _UNITS:
        return int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    raise ValueError(f"not a size: {text!r} (examples: 8GiB, 500MB, 1073741824)")
