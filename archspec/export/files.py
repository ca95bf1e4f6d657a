"""Writing an export: all or nothing, and never over a user's file unasked.

The exporter writes to a temporary file beside the target (same directory, so the final
`os.replace` is an atomic rename on the same file system); only a complete, verified file
takes the target's name. An existing target is refused unless `force` is given.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from archspec.errors import fail


def refuse_existing(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise fail(f"{path} exists; archspec does not overwrite a file unasked",
                   hint="pass --force to replace it, or -o to write elsewhere")
    if path.is_dir():
        raise fail(f"{path} is a directory", hint="give a file name with -o")
    if not path.parent.is_dir():
        raise fail(f"cannot write {path}: the directory {path.parent} does not exist",
                   hint="create it first, or pick another -o")


@contextmanager
def atomic_output(path: Path, force: bool) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, on any failure it is removed."""
    refuse_existing(path, force)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        raise fail(f"cannot write {path}: {e.strerror or e}", hint="check that the directory is writable") from None
    finally:
        tmp.unlink(missing_ok=True)
