"""Width, depth and resolution multipliers: how scaled families (MobileNet's α, EfficientNet's
compound scaling) are defined, as spec data (`scale:`) and CLI flags (--width --depth --resolution).

Only what the spec declares as a channel or repeat count scales: block params of type
`channels` / `repeats`, values written `${channels(32)}` / `${repeats(4)}`, or — for a spec
whose counts are literals throughout (Inception) — every value of the op arguments named in
`scale.channel_args` (`conv.out`; applied in lowering, archspec/ir/lower.py). A kernel size
or a class count is never touched. Channels round to a multiple of `divisor` by the
MobileNet / EfficientNet rule (never more than 10% below the unrounded value); repeats round
up. At width 1 and depth 1 nothing changes, so declaring a count scalable never alters the
default network.
"""

from __future__ import annotations

import math
from typing import Annotated, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

Multiplier = Annotated[StrictFloat, Field(gt=0, le=16, allow_inf_nan=False)]
OpArg = Annotated[StrictStr, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")]


class Scaling(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    width: Multiplier = Field(1.0, description="channel multiplier for `channels` params")
    depth: Multiplier = Field(1.0, description="repeat multiplier for `repeats` params")
    resolution: Optional[Annotated[StrictInt, Field(gt=0, le=1 << 16)]] = Field(
        None, description="input height and width (square); unset: the spec's `input`")
    divisor: Annotated[StrictInt, Field(ge=1, le=1024)] = Field(8, description="channels round to a multiple of this")
    channel_args: tuple[OpArg, ...] = Field(
        (), description="op arguments that are channel counts (`conv.out`): each value given to one scales "
                        "with `width`, literal or computed, except one read from `${input.*}` (already scaled)")

    def divisible(self, value: float) -> int:
        """The nearest multiple of `divisor`, at least `divisor`, never below 90% of `value`."""
        d = self.divisor
        out = max(d, int(value + d / 2) // d * d)
        return out + d if out < 0.9 * value else out

    def channels(self, count: float) -> int:
        return int(count) if self.width == 1 and float(count).is_integer() else self.divisible(count * self.width)

    def repeats(self, count: float) -> int:
        return int(count) if self.depth == 1 and float(count).is_integer() else math.ceil(count * self.depth)
