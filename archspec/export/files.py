"""Writing an export: all or nothing, and never over a user's file unasked.

The exporter writes to a temporary file beside the target (same directory, so the final
`os.replace` is an atomic rename on the same file system); only a complete, verified file
takes the target's name. An existing target is refused unless `force` is given, and so is a
name whose suffix is not the format's (an ONNX model in `x.py` would be a lie about its content).
"""

from __future__ import annotations

import os
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Iterator

from archspec.errors import fail
from archspec.fileio import write_error


def refuse_target(path: Path, fmt: str, default: Path) -> None:
    """Refuse, before any exporting, an -o that is a directory, `-`, or whose last suffix is not
    the last of the format's (`default` is the file name archspec would pick; `.torchscript.pt`
    accepts any `.pt`)."""
    suffix = "".join(default.suffixes)
    if path.is_dir():
        raise fail(f"{path} is a directory", hint=f"name a file inside it, e.g. -o {path / default}")
    if str(path) == "-":
        raise fail("-o - (standard output) is not supported: an export is written to a file and verified there",
                   hint=f"name a file, e.g. -o {default}")
    if path.suffix.lower() != default.suffix:
        raise fail(f"-o {path} does not end in {suffix}, the suffix of the {fmt} format",
                   hint=f"name the file for its content, e.g. -o {path.with_suffix('')}{suffix}")


def refuse_existing(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise fail(f"{path} exists; archspec does not overwrite a file unasked",
                   hint="pass --force to replace it, or -o to write elsewhere")
    if not path.parent.is_dir():
        raise fail(f"cannot write {path}: the directory {path.parent} does not exist",
                   hint="create it first, or pick another -o")


@contextmanager
def atomic_output(path: Path, force: bool) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, on any failure it is removed.
    An OSError names `path`, the user's file, never the temporary one."""
    refuse_existing(path, force)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        raise write_error(path, e) from None
    finally:
        with suppress(OSError):  # on a read-only file system even removing a file that is not there fails
            tmp.unlink(missing_ok=True)
