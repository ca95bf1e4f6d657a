"""Confining every file the server touches to the spec folder it was started on.

A request names a file by its path relative to that folder. The name is refused before the
file system is asked anything if it is empty, absolute, holds a NUL byte or a `..` part, or
is not a .yaml/.yml file; what is left is resolved (following symlinks) and must still lie
inside the folder, so a link pointing out is refused too. The answer is the resolved path:
reads and writes go to the real file, and an atomic save replaces the file, not a link.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterator

from archspec.errors import ArchspecError, fail
from archspec.spec.resolve import SPEC_SUFFIXES

MAX_LISTED = 500
"""A folder with more spec files than this (a home directory, say) lists only the first ones."""


@dataclass(frozen=True)
class SpecDir:
    root: Path
    """Absolute and resolved."""

    @classmethod
    def open(cls, folder: str | Path) -> SpecDir:
        root = Path(folder).resolve()
        if not root.is_dir():
            raise fail(f"{folder} is not a folder", hint="name the folder that holds your spec files (default: ./specs)")
        return cls(root)

    def file(self, name: str) -> Path:
        """The real path of spec file `name` (relative, `/`-separated), refused if outside the folder."""
        if not name or "\x00" in name or "\\" in name:
            raise fail(f"invalid spec file name {name!r}", hint="name a spec file relative to the spec folder")
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts:
            raise fail(f"{name!r} is outside the spec folder", hint="name a spec file relative to the spec folder")
        if rel.suffix not in SPEC_SUFFIXES:
            raise fail(f"{name!r} is not a spec file", hint="spec files end in .yaml or .yml")
        real = (self.root / rel).resolve()
        if not real.is_relative_to(self.root):
            raise fail(f"{name!r} leads outside the spec folder (a symbolic link)",
                       hint="the server reads and writes only files inside the folder it serves")
        return real

    def spec_files(self) -> Iterator[str]:
        """Names of the spec files under the folder, in order, skipping hidden folders (.git, .venv)."""
        found = 0
        for here, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for f in sorted(files):
                name = (Path(here) / f).relative_to(self.root).as_posix()
                if f.startswith(".") or Path(f).suffix not in SPEC_SUFFIXES:
                    continue
                try:
                    if not self.file(name).is_file():
                        continue
                except ArchspecError:  # a link pointing out is not listed
                    continue
                yield name
                found += 1
                if found >= MAX_LISTED:
                    return
