"""`archspec serve`: a local web page to edit a spec and see its network, cost and errors as you type.

Modules: `paths` (confining requests to the spec folder), `files` (reading, conflict-checked
atomic saving), `analysis` (the static pipeline on the editor's text, the diagram), `diff`
(per-block figures against the saved file), `app` (the routes). The page itself is plain
HTML/JS/CSS in static/, with CodeMirror 5 vendored there: nothing is fetched at run time.
Its web dependencies are the optional `serve` extra; `require_extra` says so when missing.
"""

from __future__ import annotations

import importlib

from archspec.errors import fail

EXTRA_MODULES = ("starlette", "uvicorn")


def require_extra() -> None:
    for name in EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            raise fail(f"`archspec serve` needs {name}, which is not installed",
                       hint="install the serve extra: pip install 'archspec[serve]' (in a clone: bash scripts/setup.sh serve)") from None
