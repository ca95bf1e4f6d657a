"""The network's input: the one source op, with no inputs, whose shape is the spec's `input:`.

It is an op like the others so that every node of the IR has a kind in the registry, and a
backend asks the node (`Node.source`) rather than testing its name. Lowering places it once;
a spec cannot write `op: input` (inside a block, `inputs: [input]` names the block's input).
"""

from __future__ import annotations

from archspec.ops.base import Op, OpArgs, Shape, ShapeError, register


class InputArgs(OpArgs):
    shape: tuple[int, ...]


@register
class Input(Op):
    kind = "input"
    Args = InputArgs
    arity = "none"
    doc = "the network's input tensor (C, H, W), from the spec's `input:`"

    def infer(self, a: InputArgs, ins: list[Shape]) -> Shape:
        if min(a.shape) < 1:
            raise ShapeError(f"input shape {list(a.shape)} must be positive",
                             "every size is at least 1: [C, H, W], e.g. [3, 224, 224]")
        return a.shape
