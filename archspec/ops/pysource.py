"""What an op's `emit` returns: its PyTorch source, for `archspec export --format python`.

An op becomes either a submodule (`module`: a constructor call, which the generated
`__init__` assigns to `self.<name>`, so the state_dict keys are the compiled module's) or an
expression inlined into `forward` (`inline`: concat is `torch.cat`, a residual is its add with
its scale). Numbers that a block template may vary — channels, a residual's scale, dropout's
p — are `slots`: the templates hold them as `{slot}` placeholders, and the class generator
(`archspec/export/source.py`) decides whether each becomes a literal or a constructor
argument. `{x0}`, `{x1}`, ... in an inline template are the node's inputs. Plain data: the
static stages import it without torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from archspec.ops.base import ACTIVATIONS, pair


@dataclass(frozen=True)
class Call:
    """A constructor call, kept as a tree so the formatter can break it across lines."""

    fn: str
    """The callee; "[" or "{" for a list or dict display."""
    args: tuple[Union[str, "Call"], ...] = ()


@dataclass(frozen=True)
class Emit:
    module: Call | None = None
    inline: str | Call | None = None
    slots: dict[str, int | float] = field(default_factory=dict)
    helpers: tuple[str, ...] = ()
    """Classes of `archspec.ops.layers` this code uses; the generated file holds their source."""


FUNCTIONAL = {
    # activation -> its functional form, for activations inside inline expressions
    "relu": "torch.relu", "relu6": "F.relu6", "gelu": "F.gelu", "silu": "F.silu", "sigmoid": "torch.sigmoid",
    "tanh": "torch.tanh", "elu": "F.elu", "leaky_relu": "F.leaky_relu", "hardswish": "F.hardswish",
    "hardsigmoid": "F.hardsigmoid", "mish": "F.mish",
}


def size_text(v: Any) -> str:
    """A kernel, stride or size as PyTorch takes it: `3`, or `(1, 7)` when the sides differ."""
    h, w = pair(v)
    return str(h) if h == w else f"({h}, {w})"


def act_module(name: str) -> str:
    return f"nn.{ACTIVATIONS[name]}()"


def pads_arg(pads: tuple[int, int, int, int]) -> str:
    return f"pads={pads}"


def norm_kwargs(eps: float, momentum: float, affine: bool) -> list[str]:
    """A BatchNorm's keyword arguments that differ from PyTorch's defaults."""
    kw = [f"eps={eps!r}"] if eps != 1e-5 else []
    kw += [f"momentum={momentum!r}"] if momentum != 0.1 else []
    return kw + (["affine=False"] if not affine else [])


def each_input(n: int) -> tuple[str, ...]:
    return tuple(f"{{x{i}}}" for i in range(n))
