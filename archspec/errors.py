"""The one error type a user can cause, carrying where in the spec it happened.

Every stage reports problems as `Problem`s with a `Location` (file, line, column) and the
node path, so the CLI can print them all at once and exit with code 2 — never a traceback.
"""

from __future__ import annotations

import difflib
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
    """Gathers independent problems so several errors are reported together."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, err: ArchspecError | Problem) -> None:
        if isinstance(err, ArchspecError):
            self.problems.extend(err.problems)
        else:
            self.problems.append(err)

    def raise_if_any(self) -> None:
        if self.problems:
            raise ArchspecError(list(self.problems))
