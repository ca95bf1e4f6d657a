"""Writing a DOT source to the file the user named, in the format its extension asks for.

The `dot` binary is looked up before anything is rendered: without it the DOT source is
still saved next to the requested file, so the work is not lost and can be rendered later
or elsewhere, and the error says how to install Graphviz. Files are written through
`archspec.fileio`: atomically, and a path that cannot be written is one error naming it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import graphviz

from archspec.errors import fail
from archspec.fileio import write_bytes, write_text

FORMATS: dict[str, str | None] = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".gv": None, ".dot": None}
"""Extension → Graphviz output format; None means the DOT source itself."""


def format_of(path: Path) -> str | None:
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise fail(f"cannot tell the diagram format from {str(path)!r}",
                   hint="end the output file name in " + ", ".join(FORMATS))
    return FORMATS[ext]


def write(source: str, path: Path) -> Path:
    fmt = format_of(path)
    if fmt is None:
        write_text(path, source, "the diagram")
        return path
    if shutil.which("dot") is None:
        gv = path.with_suffix(".gv")
        install = "install Graphviz (Debian/Ubuntu: `apt-get install graphviz`, macOS: `brew install graphviz`)"
        if gv.exists():  # the user did not ask for this file: one they kept is not replaced
            raise fail(f"Graphviz's `dot` program is not installed, so {path} was not rendered; the DOT "
                       f"source was not written either, since {gv} exists",
                       hint=f"{install}, or write the source elsewhere with -o NAME.gv")
        write_text(gv, source, "the diagram source")
        raise fail(f"Graphviz's `dot` program is not installed, so {path} was not rendered; "
                   f"the DOT source was written to {gv}",
                   hint=f"{install}, then run this command again or `dot -T{fmt} {gv} -o {path}`")
    write_bytes(path, graphviz.Source(source).pipe(format=fmt), "the diagram")
    return path
