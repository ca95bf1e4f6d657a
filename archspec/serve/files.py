"""Reading a spec file for the editor and saving it back without losing anyone's work.

The page keeps the SHA-256 of the bytes it loaded and sends it with a save. If the file on
disk no longer has that hash (another editor, a `git checkout`), the save is refused as a
`Conflict` carrying the disk's hash, so overwriting is an explicit second request. A save
writes a temporary file in the same folder and `os.replace`s it over the original: a
reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from archspec.errors import Location, fail

MAX_BYTES = 4 << 20
"""The largest spec file the editor opens; shipped specs are under 30 KB."""
NEW_FILE_MODE = 0o644

_saving = threading.Lock()
"""One save at a time, so two requests cannot both pass the hash check and both write."""


@dataclass(frozen=True)
class Loaded:
    text: str
    sha256: str


class Conflict(Exception):
    """The file on disk is not the one the page loaded; `disk` is its hash (None: it is gone)."""

    def __init__(self, disk: str | None) -> None:
        super().__init__(disk)
        self.disk = disk


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _disk_hash(path: Path) -> str | None:
    try:
        return digest(path.read_bytes())
    except FileNotFoundError:
        return None


def read(path: Path) -> Loaded:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise fail(f"{path.name} is larger than {MAX_BYTES >> 20} MiB", Location(str(path)),
                       hint="a spec is a short text file; open this one in a text editor")
        data = path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {path.name}: {exc.strerror}", Location(str(path)),
                   hint="pick a file from the list; it may have been moved or made unreadable") from None
    try:
        return Loaded(data.decode("utf-8"), digest(data))
    except UnicodeDecodeError as exc:
        raise fail(f"{path.name} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                   Location(str(path)), hint="save the spec as UTF-8") from None


def save(path: Path, text: str, base: str | None) -> Loaded:
    """Write `text` to `path` if the file still has hash `base` (None: if it does not exist)."""
    data = text.encode("utf-8")
    with _saving:
        disk = _disk_hash(path)
        if disk != base:
            raise Conflict(disk)
        try:
            _replace(path, data, stat.S_IMODE(path.stat().st_mode) if disk is not None else NEW_FILE_MODE)
        except OSError as exc:
            raise fail(f"cannot save {path.name}: {exc.strerror}; the file on disk is unchanged", Location(str(path)),
                       hint="check the folder's permissions and free space") from None
    return Loaded(text, digest(data))


def _replace(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
