"""The registry of op kinds; importing this package registers every kind.

Every module of this package is an op module, which registers at least one kind with
`@register`, except the shared code named in HELPERS. So a new op is one new file: it is
found here, and a module that registers nothing stops the import, which a forgotten
`@register` would otherwise leave as a kind silently missing from every spec.
"""

import os
from collections.abc import Iterable
from importlib import import_module

from archspec.ops.base import REGISTRY, Cost, Op, Shape, ShapeError, fmt_shape

HELPERS = frozenset({"base", "layers", "pooling", "pysource"})  # layers imports torch, so discovery must never load it


def discover(package: str, path: Iterable[str], helpers: frozenset[str]) -> None:
    """Import every module of `package` (found at `path`) but the helpers; each must register a kind."""
    # a listing, not pkgutil: `check` loads no pkgutil otherwise, and the package ships as plain files
    names = sorted({f[:-3] for folder in path for f in os.listdir(folder) if f.endswith(".py")} - {"__init__"})
    modules = [f"{package}.{name}" for name in names if name not in helpers]
    for module in modules:
        import_module(module)
    # by module, not by counting: an op module may import another one, registering it early
    registering = {type(op).__module__ for op in REGISTRY.values()}
    for module in modules:
        if module not in registering:
            raise RuntimeError(f"{module} registers no op kind: decorate its Op subclass with @register, "
                               f"or add the module to archspec.ops.HELPERS if it is shared code")


discover(__name__, __path__, HELPERS)

__all__ = ["HELPERS", "REGISTRY", "Cost", "Op", "Shape", "ShapeError", "discover", "fmt_shape"]
