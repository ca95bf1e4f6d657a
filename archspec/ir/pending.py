"""Op arguments that read the inferred input shape (`${input.c}`), resolved during inference.

Design: shapes are inferred after lowering (`archspec/ir/infer.py`), and `inputs:` may name
nodes defined later, so an op's input shape is not known while it is lowered. Rather than
infer shapes during lowering (which would need the references resolved first), lowering keeps
such an op's merged raw arguments and the param environment of its scope here, with
`args` left None; inference, which visits nodes in topological order and so knows the input
shape, substitutes the `${...}` with `input` bound to {c, h, w} (and `block_input` to the
shape of what `inputs: [input]` names there) and validates the arguments with the op's model. Everything else about the node (name, inputs, scope) is fixed at
lowering; only the arguments wait. Still the same safe expression language: no eval, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from archspec.errors import ArchspecError, Location, Problem
from archspec.ops import REGISTRY, Shape
from archspec.spec.expr import BLOCK_INPUT_SHAPE, INPUT_SHAPE, ExprError, Funcs, has_expr, reads_input_shape, substitute
from archspec.spec.validate import validate
from archspec.spec.yamlload import PosList, PosMap


@dataclass(frozen=True)
class PendingArgs:
    kind: str
    raw: PosMap
    env: Mapping[str, Any]
    funcs: Funcs
    path: str
    source: str | None = None
    """The node `${block_input.*}` reads (what `inputs: [input]` names where the op is), once
    lowering has resolved it."""

    def resolve(self, shape: Shape, source: Shape | None) -> Any:
        """The validated args model, with `${input.*}` read from `shape` and `${block_input.*}`
        from `source` (None: not inferred before this op); ArchspecError if bad."""
        env = {**self.env, INPUT_SHAPE: _dims(shape)}
        if source is not None:
            env[BLOCK_INPUT_SHAPE] = _dims(source)
        args = self._subst(self.raw, self.raw.loc, env)
        return validate(REGISTRY[self.kind].Args, args, f"{self.kind} arguments", self.path, fallback=self.raw.loc)

    def _subst(self, v: Any, loc: Location | None, env: Mapping[str, Any]) -> Any:
        if isinstance(v, str) and has_expr(v):
            try:
                return substitute(v, env, self.funcs)
            except ExprError as e:
                raise ArchspecError([Problem(str(e), loc, self.path, e.hint)]) from None
        if isinstance(v, PosMap):
            out = PosMap(loc=v.loc)
            out.key_loc, out.val_loc = v.key_loc, v.val_loc
            for k, x in v.items():
                out[k] = self._subst(x, v.val_loc.get(k, loc), env)
            return out
        if isinstance(v, PosList):
            lst = PosList([self._subst(x, v.item_loc[i], env) for i, x in enumerate(v)], loc=v.loc)
            lst.item_loc = v.item_loc
            return lst
        return v


def _dims(shape: Shape) -> dict[str, int]:
    return dict(zip(("c", "h", "w"), shape))


def reads_shape(v: Any) -> bool:
    if isinstance(v, PosMap):
        return any(reads_shape(x) for x in v.values())
    if isinstance(v, PosList):
        return any(reads_shape(x) for x in v)
    return reads_input_shape(v)
