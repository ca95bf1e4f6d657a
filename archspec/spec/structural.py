"""The structural kinds of the spec language: `seq`, `repeat`, `aux`, `residual`, and `concat` /
`add` written with `branches:`. Each is a definition like an op kind's: an args model naming
its keys, from which the JSON Schema is generated and unknown keys are found; its lowering rule
is the lowerer's method of the same kind (`archspec/ir/lower.py`).

The models hold the keys besides `op` (and `inputs`, where the kind takes it). Their values are
checked by the lowering rules, which know the spec's blocks and names and say what a number
should be (`repeat `times` must be a whole number >= 0`); a rule reads the raw tree, with its
positions, because bodies hold items that are lowered one by one.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Optional

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from archspec.ops import REGISTRY

# pydantic cannot reference definitions it does not hold, so the schema of a body is a
# placeholder that archspec/spec/schema.py replaces with references to its items and ops
ItemList = Annotated[list[Any], WithJsonSchema({"x-archspec": "item-list"})]
Body = Annotated[Any, WithJsonSchema({"x-archspec": "body"})]
"""A list of named items, or one unnamed op."""


class Structural(BaseModel):
    # defer_build: `check` reads only the models' keys; their schemas are built for `archspec schema`
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    doc: ClassVar[str]
    takes_inputs: ClassVar[bool] = True
    """Whether `inputs:` may say what it reads (an aux head reads its `from:`)."""
    marker: ClassVar[Optional[str]] = None
    """For an op kind that is also a registry op (concat, add), the key that selects this form."""

    @classmethod
    def keys(cls, kind: str) -> tuple[str, ...]:
        """The keys an item of `kind` may hold, in the order the hint lists them: its own, then
        those of the registry op it lowers to (a residual's `scale` and `act`)."""
        own = tuple(f.alias or name for name, f in cls.model_fields.items())
        op = REGISTRY.get(kind)
        merged = tuple(op.Args.model_fields) if op else ()
        return ("op", *own, *merged, *(("inputs",) if cls.takes_inputs else ()))


class Seq(Structural):
    doc = "structural: seq"
    body: ItemList


class Repeat(Structural):
    doc = "structural: repeat"
    times: int = Field(ge=0)
    block: str
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    name: str = Field("{block}_{i}", description="the instances' names: a pattern containing {i}")
    start: int = Field(1, ge=0)


class Aux(Structural):
    """A head takes `body:` or `block:`, which the rule checks: the schema lists both."""

    doc = "structural: aux"
    takes_inputs = False
    from_: str = Field(alias="from")
    body: ItemList
    block: str
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    loss_weight: float = Field(1.0, ge=0)


class Residual(Structural):
    """The body; `scale` and `act` are the registry's residual op's arguments."""

    doc = "structural: residual"
    body: Body


class Branches(Structural):
    doc = "structural: branches"
    marker = "branches"
    branches: Annotated[dict[str, Any], WithJsonSchema({"type": "object", "additionalProperties": {"x-archspec": "body"}})]


STRUCTURAL: dict[str, type[Structural]] = {
    "seq": Seq, "repeat": Repeat, "aux": Aux, "residual": Residual, "concat": Branches, "add": Branches,
}


def structural(kind: str, item: Any) -> type[Structural] | None:
    """The definition an item of `kind` is lowered by, or None for an op or a block."""
    d = STRUCTURAL.get(kind)
    if d is None or (d.marker is not None and d.marker not in item):
        return None
    return d
