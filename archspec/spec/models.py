"""The pydantic schema of a spec file's top level.

Op arguments are validated per op kind at lowering (their models live in `archspec.ops`),
because block bodies hold `${param}` expressions that only have values per instance.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

ParamType = Literal["int", "float", "str", "bool", "list", "any"]
Scalar = Union[StrictBool, StrictInt, StrictFloat, StrictStr]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParamDecl(Strict):
    """A declared block parameter: its type and, if it is optional, its default."""

    type: ParamType = "any"
    default: Any = None
    doc: Optional[str] = None


class BlockDef(Strict):
    """A template: typed params and a body (a list of named items, or one unnamed op)."""

    doc: Optional[str] = None
    params: dict[str, Union[ParamType, ParamDecl]] = Field(default_factory=dict)
    body: Union[list[dict[str, Any]], dict[str, Any]]


class Insert(Strict):
    after: Optional[str] = None
    before: Optional[str] = None
    items: list[dict[str, Any]]


class Overrides(Strict):
    """Changes addressed by path (`network.Mixed_5b.pool_features`), used by variants and `extends`."""

    description: Optional[str] = None
    set: dict[str, Any] = Field(default_factory=dict)
    remove: list[str] = Field(default_factory=list)
    insert: list[Insert] = Field(default_factory=list)


class Spec(Strict):
    archspec: Literal[1] = Field(description="spec language version")
    name: StrictStr
    description: Optional[str] = None
    input: tuple[StrictInt, StrictInt, StrictInt] = Field(description="input tensor shape C, H, W")
    params: dict[str, Any] = Field(default_factory=dict, description="spec-wide parameters, usable as ${name}")
    defaults: dict[str, dict[str, Any]] = Field(default_factory=dict, description="default arguments per op kind")
    blocks: dict[str, BlockDef] = Field(default_factory=dict)
    network: list[dict[str, Any]] = Field(min_length=1)
    variants: dict[str, Overrides] = Field(default_factory=dict)
    train: Optional[dict[str, Any]] = None


OVERRIDE_KEYS = ("extends", "set", "remove", "insert")
STRUCTURAL_KINDS = ("concat", "add", "residual", "seq", "repeat", "aux")
