"""The pydantic schema of a spec file's top level.

Op arguments are validated per op kind at lowering (their models live in `archspec.ops`),
because block bodies hold `${param}` expressions that only have values per instance.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictFloat,
                      StrictInt, StrictStr)

from archspec.spec.scaling import Scaling

ParamType = Literal["int", "float", "str", "bool", "list", "any", "channels", "repeats"]
"""`channels` and `repeats` are integers that the spec's `scale:` multiplies (archspec.spec.scaling)."""
Scalar = Union[StrictBool, StrictInt, StrictFloat, StrictStr]

MAX_NAME_LENGTH = 100
_SPEC_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
SPEC_NAME_RULE = (f"letters, digits, _ - and ., not starting with . or -, at most {MAX_NAME_LENGTH} characters "
                  "(it names the diagram and the run folder)")


def _safe_name(v: str) -> str:
    """A spec or variant name becomes a file name (`NAME-VARIANT.svg`, the run folder) and a DOT id."""
    if len(v) > MAX_NAME_LENGTH or not _SPEC_NAME.fullmatch(v):
        raise ValueError(f"a spec or variant name is {SPEC_NAME_RULE}")
    return v


SafeName = Annotated[StrictStr, AfterValidator(_safe_name)]


def _not_bool(v: Any) -> Any:
    """Python's True == 1, so a Literal[1] would take `archspec: true`."""
    if isinstance(v, bool):
        raise ValueError(f"expected 1, got the boolean {str(v).lower()}")
    return v


class Strict(BaseModel):
    """Unknown keys are errors (the base of the training recipe's models too)."""

    model_config = ConfigDict(extra="forbid")


class StrictValues(Strict):
    """Values are not coerced either: YAML already gives real booleans and numbers, so "no" is
    not False and true is not 1; and an infinite eps or scale, a typo whose model would output
    NaN, is refused."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class ParamDecl(StrictValues):
    """A declared block parameter: its type and, if it is optional, its default."""

    type: ParamType = "any"
    default: Any = None
    doc: Optional[str] = None


class BlockDef(StrictValues):
    """A template: typed params and a body (a list of named items, or one unnamed op)."""

    doc: Optional[str] = None
    params: dict[str, Union[ParamType, ParamDecl]] = Field(default_factory=dict)
    body: Union[list[dict[str, Any]], dict[str, Any]]


class Insert(StrictValues):
    after: Optional[str] = None
    before: Optional[str] = None
    items: list[dict[str, Any]]


class Overrides(StrictValues):
    """Changes addressed by path (`network.Mixed_5b.pool_features`), used by variants and `extends`."""

    description: Optional[str] = None
    base: list[StrictStr] = Field(default_factory=list, description="variants applied first, which this one may override")
    set: dict[str, Any] = Field(default_factory=dict)
    remove: list[str] = Field(default_factory=list)
    insert: list[Insert] = Field(default_factory=list)


class Spec(StrictValues):
    archspec: Annotated[Literal[1], BeforeValidator(_not_bool)] = Field(description="spec language version")
    name: SafeName = Field(description=f"the architecture's name: {SPEC_NAME_RULE}")
    description: Optional[str] = None
    # strict=False only lets the YAML list stand for the tuple; its items stay strict ints
    input: tuple[StrictInt, StrictInt, StrictInt] = Field(description="input tensor shape C, H, W", strict=False)
    params: dict[str, Any] = Field(default_factory=dict, description="spec-wide parameters, usable as ${name}")
    defaults: dict[str, dict[str, Any]] = Field(default_factory=dict, description="default arguments per op kind")
    blocks: dict[str, BlockDef] = Field(default_factory=dict)
    network: list[dict[str, Any]] = Field(min_length=1)
    variants: dict[SafeName, Overrides] = Field(default_factory=dict)
    scale: Scaling = Field(default_factory=Scaling, description="width, depth and resolution multipliers")
    train: Optional[dict[str, Any]] = None
    features: Optional[list[StrictStr]] = Field(
        None, description="feature taps: node ids whose outputs the compiled backbone returns as a dict")


OVERRIDE_KEYS = ("extends", "set", "remove", "insert")
