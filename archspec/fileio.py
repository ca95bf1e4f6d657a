"""Writing the files a user sees (checkpoints, metrics, schemas, diagrams), atomically and with clear errors.

A file is written to a temporary file in its own folder (`.NAME.PID.tmp`), flushed to disk
and renamed over the target (`os.replace`), so a crash, a full disk or `kill -9` at any
moment leaves the previous complete file or the new one, never half of one. A failure
removes the temporary file and becomes one `ArchspecError` naming the path, what is wrong
and what to do. The PID in the temporary name lets a later run remove the leftovers of a
writer that was killed (`remove_stale_temps`).

Targets that are not regular files (`/dev/stdout`, `/dev/full`, a named pipe) cannot be
renamed over; they are written in place.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

from archspec.errors import ArchspecError, fail

_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.tmp$")


def temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _reason(path: Path, e: OSError) -> tuple[str, str]:
    """(what is wrong, what to do) for an OSError met while writing `path`."""
    parent = path.parent
    code = e.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return ("no space left on the device", f"free space on the file system of {parent} or write elsewhere; "
                "a file that was there before is unchanged")
    if code == errno.EROFS:
        return "the file system is read-only", "write to a folder on a writable file system"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied", f"choose a folder you can write to, or change the permissions of {parent}"
    if code == errno.ENOTDIR:
        blocker = next((a for a in path.parents if a.exists() and not a.is_dir()), parent)
        return (f"{blocker} is a file, not a folder",
                "choose a path whose folders are folders (or move the file in the way)")
    if code == errno.EISDIR:
        return "it is a folder", f"name a file inside it, e.g. {path / ('out' + path.suffix)}"  # a suffix that the writer accepts
    if code == errno.ENOENT and parent.is_dir():
        return f"files cannot be created in {parent}", "choose a folder on an ordinary file system"
    if code == errno.ENOENT:
        return (f"the folder {parent} does not exist and cannot be created there",
                "create it first or choose another path")
    if code == errno.ENAMETOOLONG:
        return "the file name is too long", "choose a shorter name"
    return (e.strerror or type(e).__name__,
            "check that the path names a file in a folder you can write to, and that the disk is healthy")


def write_error(path: Path, e: OSError, what: str = "") -> ArchspecError:
    """The user-facing error for an OSError met while writing `path` (`what` says which file it is)."""
    reason, hint = _reason(path, e)
    return fail(f"cannot write {what + ' ' if what else ''}{path}: {reason}", hint=hint)


class _Recorder:
    """A binary file wrapper that remembers the OSError its `write` raised.

    Some writers (torch.save's zip writer) turn a failed write into their own RuntimeError
    and lose the errno; the recorded error keeps the real reason (a full disk, say)."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self.error: OSError | None = None

    def write(self, data: Any) -> int:
        try:
            return write_chunk(self.f, data)
        except OSError as e:
            self.error = e
            raise

    def flush(self) -> None:
        self.f.flush()


def write_chunk(f: IO[bytes], data: Any) -> int:
    """The one low-level write every user-visible file goes through (tests make it fail)."""
    return f.write(data)


def _is_special(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@contextmanager
def atomic_writer(path: Path, what: str = "") -> Iterator[IO[bytes]]:
    """A binary file object whose contents replace `path` when the block ends without an error.

    Missing parent folders are created. Any OSError — raised by the block's writes, or
    recorded under a writer's own exception — becomes one ArchspecError for `path`."""
    path = Path(path)
    try:
        if path.is_dir():
            raise OSError(errno.EISDIR, "Is a directory")
        if any(a.exists() and not a.is_dir() for a in path.parents):
            raise OSError(errno.ENOTDIR, "Not a directory")
    except OSError as e:
        raise write_error(path, e, what) from None
    special = _is_special(path)
    tmp = path if special else temp_path(path)
    recorder: _Recorder | None = None
    created = False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | (os.O_TRUNC if special else os.O_CREAT | os.O_EXCL)
        fd = os.open(tmp, flags, 0o666)
        created = not special
        with os.fdopen(fd, "wb") as f:
            recorder = _Recorder(f)
            yield cast(IO[bytes], recorder)
            f.flush()
            if not special:
                os.fsync(f.fileno())
        if not special:
            os.replace(tmp, path)
    except BaseException as exc:
        if created:
            tmp.unlink(missing_ok=True)
        cause = recorder.error if recorder is not None and recorder.error is not None else exc
        if isinstance(cause, ArchspecError):
            raise
        if isinstance(cause, OSError):
            raise write_error(path, cause, what) from None
        raise


def refuse_existing(path: Path, force: bool, option: str, example: str) -> None:
    """Refuse a user's existing file (or a folder) as the target of `option`, before any work that
    would end in writing it: archspec never overwrites a file unasked (`--force` asks)."""
    if path.is_dir():
        raise fail(f"{option} {path} is a directory", hint=f"give a file name, e.g. {option} {example}")
    if path.exists() and not force:
        raise fail(f"{option} {path} exists; archspec does not overwrite a file unasked",
                   hint="pass --force to replace it, or name another file")


def write_bytes(path: Path, data: bytes, what: str = "") -> None:
    with atomic_writer(path, what) as f:
        f.write(data)


def write_text(path: Path, text: str, what: str = "") -> None:
    write_bytes(path, text.encode("utf-8"), what)


def write_with(path: Path, writer: Callable[[IO[bytes]], None], what: str = "") -> None:
    """`writer(f)` fills the file (torch.save, matplotlib's savefig)."""
    with atomic_writer(path, what) as f:
        writer(f)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process has not started writing here yet: the file is an earlier process's
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove the `.NAME.PID.tmp` files that writers which no longer run left in `folder`; returns them."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP.match(entry.name)
        if m and entry.is_file() and not _alive(int(m["pid"])):
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed
