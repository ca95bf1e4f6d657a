"""The helper classes a generated Python file defines: the source of the very classes of
`archspec.ops.layers` that the compiled module runs, so the two cannot drift apart."""

from __future__ import annotations

import inspect
from functools import cache


@cache
def helper_source(name: str) -> str:
    """The source of `archspec.ops.layers.<name>`, as an op's `Emit.helpers` names it."""
    from archspec.ops import layers  # imports torch: `check` lints exports without it

    return inspect.getsource(getattr(layers, name))
