"""The one error type a user can cause, carrying where in the spec it happened.

Every stage reports problems as `Problem`s with a `Location` (file, line, column) and the
node path, so the CLI can print them all at once and exit with code 2 — never a traceback.
"""

from __future__ import annotations

import difflib
import errno
from dataclasses import dataclass, field
from typing import Iterable


@dataclass(frozen=True)
class Location:
    """1-based line and column in a spec file."""

    file: str | None
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        parts = [self.file or "<spec>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)


@dataclass
class Problem:
    message: str
    loc: Location | None = None
    path: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        head = f"{self.loc}: " if self.loc else ""
        where = f"{self.path}: " if self.path else ""
        text = f"{head}error: {where}{self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


@dataclass
class ArchspecError(Exception):
    """One or more user errors; str() gives the complete, printable report."""

    problems: list[Problem] = field(default_factory=list)
    context: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.context:
            lines.append(self.context)
        if len(self.problems) > 1:
            lines.append(f"{len(self.problems)} errors")
        return "\n".join(lines)

    @property
    def first(self) -> Problem:
        return self.problems[0]


def fail(message: str, loc: Location | None = None, path: str | None = None, hint: str | None = None) -> ArchspecError:
    """Build (not raise) a single-problem error, so call sites read `raise fail(...)`."""
    return ArchspecError([Problem(message, loc, path, hint)])


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    word = str(word)
    cutoff = 0.5 if len(word) <= 4 else 0.6  # short names differ by one character at ratio 0.5
    close = difflib.get_close_matches(word, sorted(set(map(str, choices))), n=3, cutoff=cutoff)
    if not close:
        return None
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"


class ProblemCollector:
    """Gathers independent problems so several errors are reported together. A mistake in a
    block template shows in every instance at the same place: it is reported once, with the
    number of instances, not thousands of times."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._seen: dict[tuple[str, Location | None, str | None], list[int]] = {}

    def add(self, err: ArchspecError | Problem) -> None:
        for p in err.problems if isinstance(err, ArchspecError) else [err]:
            key = (p.message, p.loc, p.hint)
            if key in self._seen:
                self._seen[key][1] += 1
                continue
            self._seen[key] = [len(self.problems), 1]
            self.problems.append(p)

    def raise_if_any(self) -> None:
        if self.problems:
            out = list(self.problems)
            for i, n in self._seen.values():
                if n > 1:
                    p = out[i]
                    out[i] = Problem(f"{p.message} (and in {n - 1:,} more instances)", p.loc, p.path, p.hint)
            raise ArchspecError(out)


_OS_HINTS = {
    errno.ENOSPC: "free space on that device, or write somewhere else",
    errno.EDQUOT: "free space within your quota, or write somewhere else",
    errno.EROFS: "that file system is read-only: write somewhere else",
    errno.EACCES: "you may not write there: choose a writable place, or change its permissions",
    errno.EPERM: "you may not write there: choose a writable place, or change its permissions",
    errno.ENOENT: "create the folder first, or check the path",
    errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
    errno.EISDIR: "that is a folder: name a file inside it",
    errno.EPIPE: "the reader went away; run the command again with its output to a file",
}


def os_error(e: OSError, what: str | None = None, action: str = "write") -> ArchspecError:
    """An operating-system failure (full disk, read-only, missing folder, ...) as a user error:
    `cannot {action} {what}: {reason} (ERRNO)`, `what` defaulting to the file the error names."""
    where = what or (str(e.filename) if e.filename is not None else "a file")
    reason = e.strerror or str(e)
    name = errno.errorcode.get(e.errno or 0)
    return fail(f"cannot {action} {where}: {reason}" + (f" ({name})" if name else ""),
                hint=_OS_HINTS.get(e.errno or 0, "check the path, the permissions and the free space"))
