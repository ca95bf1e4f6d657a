"""The static pipeline on an editor's text: problems, the block summary, and the diagram.

Everything here is what `archspec check`, `summary` and `render` do, on the unsaved text
instead of the file: `resolve_text` reads the text as if it were the file (its `extends`
relative to it, its errors located in it), then lowering, inference and the memory limits
run as in `check`. Nothing imports torch. Results are plain JSON-ready dicts, so the routes
only move them.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz

from archspec.api import analyze
from archspec.errors import ArchspecError, Location, Problem, fail
from archspec.ir.budget import Limits, enforce
from archspec.ir.graph import IR
from archspec.render import Options, picture
from archspec.render.dot import to_dot
from archspec.render.model import Box, Picture
from archspec.report.summary import as_dict
from archspec.serve.diff import block_diff
from archspec.serve.paths import SpecDir


@dataclass(frozen=True)
class Source:
    """What the page analyses: a spec file's text (unsaved or not), a variant, `--set` overrides."""

    file: Path
    """The real path of the file inside the spec folder."""
    text: str | None
    """None: the file as saved on disk."""
    variant: str | None = None
    overrides: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return str(self.file) + (f"#{self.variant}" if self.variant else "")


@dataclass
class Analysis:
    ir: IR | None
    """None when the spec could not be resolved or lowered; with `error` set, shapes stop there."""
    error: ArchspecError | None
    variants: list[str] = field(default_factory=list)


def analyse(src: Source) -> Analysis:
    """Resolve, lower, infer and enforce the limits, stopping at the first stage that fails."""
    from archspec.train.resolve import resolve_checked  # what `check` reads: the recipe validated too

    try:
        rs = resolve_checked(src.ref, list(src.overrides), src.text)
        ir = analyze(rs)
    except ArchspecError as e:
        return Analysis(None, e)
    variants = list(rs.spec.variants)
    if ir.error is not None:
        return Analysis(ir, ir.error, variants)
    try:
        enforce(ir, Limits())
    except ArchspecError as e:
        return Analysis(ir, e, variants)
    return Analysis(ir, None, variants)


class SavedAnalyses:
    """The saved file's analysis, for the diff, redone only when a spec file in the folder changes.

    The page sends its text after each edit, but the saved file rarely changes, and loading the
    YAML is most of the cost of an analysis. One entry is enough: a page edits one file. Files
    outside the folder that a spec extends are not watched.
    """

    def __init__(self, specs: SpecDir) -> None:
        self.specs = specs
        self._last: tuple[Any, Analysis] | None = None
        self._lock = threading.Lock()

    def get(self, src: Source) -> Analysis:
        key = (src.file, src.variant, src.overrides, self._fingerprint())
        with self._lock:
            if self._last is not None and self._last[0] == key:
                return self._last[1]
        value = analyse(Source(src.file, None, src.variant, src.overrides))
        with self._lock:
            self._last = (key, value)
        return value

    def _fingerprint(self) -> tuple[tuple[str, int, int, int], ...]:
        out = []
        for name in self.specs.spec_files():
            st = (self.specs.root / name).stat()
            out.append((name, st.st_ino, st.st_mtime_ns, st.st_size))
        return tuple(out)


def where(loc: Location | None, specs: SpecDir, file: Path) -> dict[str, Any]:
    """A location as the page shows it: the file's name in the spec folder, and whether it is
    the file being edited (an error in a file it extends, or in `--set`, has no line there)."""
    if loc is None or loc.file is None:
        return {"file": None, "line": None, "col": None, "here": False}
    here = loc.file == str(file)
    name = loc.file
    if Path(loc.file).is_absolute() and Path(loc.file).resolve().is_relative_to(specs.root):
        name = Path(loc.file).resolve().relative_to(specs.root).as_posix()
    return {"file": name, "line": loc.line, "col": loc.col, "here": here}


def problem_json(p: Problem, specs: SpecDir, file: Path) -> dict[str, Any]:
    return {"message": p.message, "path": p.path, "hint": p.hint, **where(p.loc, specs, file)}


def error_json(e: ArchspecError, specs: SpecDir, file: Path) -> dict[str, Any]:
    return {"problems": [problem_json(p, specs, file) for p in e.problems], "context": e.context}


def box_json(ir: IR, pic: Picture, box: Box, specs: SpecDir, file: Path) -> dict[str, Any]:
    """What hovering a drawn box shows, and where clicking it jumps: a block's own line, an op's."""
    group = pic.groups.get(box.id)
    if box.kind == "input":
        loc = ir[box.output].loc
    elif group is not None:
        loc = group.scope.loc
    else:
        loc = ir[box.output].loc
    d = ir[box.output]
    errors = [e for m in box.members if (e := ir[m].error) is not None]
    cost = ir.cost_of(box.members)
    return {"kind": box.kind, "instances": len(box.instances) or 1,
            "shape": list(d.shape) if d.shape is not None else None,
            "params": cost.params, "macs": cost.macs,
            "error": errors[0] if errors else None, **where(loc, specs, file)}


def report(a: Analysis, saved: Analysis | None, specs: SpecDir, file: Path) -> dict[str, Any]:
    """The analysis endpoint's answer: verdict, problems, block summary, and the diff with `saved`."""
    ok_ir = a.ir if a.ir is not None and a.error is None else None
    diff: dict[str, Any] | None = None
    if ok_ir is not None and saved is not None:
        diff = (block_diff(saved.ir, ok_ir) if saved.ir is not None and saved.error is None
                else {"saved_error": error_json(saved.error, specs, file) if saved.error else None})
    return {"ok": a.error is None, "error": error_json(a.error, specs, file) if a.error else None,
            "variants": a.variants, "summary": as_dict(ok_ir, "block") if ok_ir is not None else None,
            "diff": diff}


def diagram(ir: IR, expand: tuple[str, ...], specs: SpecDir, file: Path, fmt: str = "svg") -> tuple[bytes, dict]:
    """The block-level picture `archspec render --expand ...` draws, as SVG or PNG bytes, and
    the hover data of each box by its id (the `<title>` of its SVG node)."""
    if shutil.which("dot") is None:
        raise fail("Graphviz's `dot` program is not installed, so the diagram cannot be drawn",
                   hint="install Graphviz (Debian/Ubuntu: `apt-get install graphviz`, macOS: `brew install graphviz`)"
                        " and restart `archspec serve`")
    opts = Options(expand=expand)
    pic = picture(ir, opts)
    image = graphviz.Source(to_dot(ir, pic, opts)).pipe(format=fmt)
    return image, {b.id: box_json(ir, pic, b, specs, file) for b in pic.boxes.values()}
