"""Data sets fetched on first use: CIFAR-10 and CIFAR-100, the way torchvision fetches them.

An archive is downloaded from its canonical URL (torchvision's, with torchvision's published
md5 digests) into the cache directory as `NAME.part`, resumed with an HTTP Range request
when a transfer breaks (within a run, `ATTEMPTS` times, and by the next run), renamed to
`NAME` when complete, checked against its md5 digest and unpacked into a temporary folder
that is renamed into place, so the data folder is either complete or absent. Every failure
is one `ArchspecError` naming the URL, the expected digest and how to fetch it by hand.

    --data-dir DIR  >  $ARCHSPEC_DATA  >  $XDG_CACHE_HOME/archspec/data  >  ~/.cache/archspec/data

`$ARCHSPEC_DATA_URL` replaces the URL base (a mirror, or the tests' loopback server).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

from archspec.errors import fail
from archspec.fileio import write_error

URL_ENV = "ARCHSPEC_DATA_URL"
DIR_ENV = "ARCHSPEC_DATA"
TIMEOUT_S = 30.0
"""Seconds a silent server is waited for, per connection and per read."""
ATTEMPTS = 3
CHUNK = 1 << 20


@dataclass(frozen=True)
class Archive:
    title: str
    base: str
    file: str
    md5: str
    folder: str
    """The folder the archive unpacks to."""

    @property
    def url(self) -> str:
        return os.environ.get(URL_ENV, self.base).rstrip("/") + "/" + self.file


ARCHIVES = {
    "cifar10": Archive("CIFAR-10", "https://www.cs.toronto.edu/~kriz", "cifar-10-python.tar.gz",
                       "c58f30108f718f92721af3b95e74349a", "cifar-10-batches-py"),
    "cifar100": Archive("CIFAR-100", "https://www.cs.toronto.edu/~kriz", "cifar-100-python.tar.gz",
                        "eb9058c3a382ffc7106e4002c42a8d85", "cifar-100-python"),
}


def cache_dir(given: Path | None) -> Path:
    if given is not None:
        return given.expanduser()
    if os.environ.get(DIR_ENV):
        return Path(os.environ[DIR_ENV]).expanduser()
    base = Path(os.environ["XDG_CACHE_HOME"]) if os.environ.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "archspec" / "data"


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _by_hand(a: Archive, root: Path, kind: str) -> str:
    return (f"download {a.url} by hand (md5 {a.md5}) and put it at {root / a.file}, or unpack it and pass "
            f"--data {kind}:{root / a.folder}")


def ensure(kind: str, root: Path) -> Path:
    """The unpacked folder of data set `kind` under `root`, downloaded and unpacked if missing."""
    a = ARCHIVES[kind]
    folder = root / a.folder
    if folder.is_dir():
        return folder
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise write_error(root, e, "data directory") from None
    archive = root / a.file
    if not archive.is_file():
        # stderr: eval's and predict's stdout may be JSON
        print(f"downloading {a.title} from {a.url} into {root}", file=sys.stderr, flush=True)
        _download(a, root, kind)
    got = md5_of(archive)
    if got != a.md5:
        archive.unlink()
        raise fail(f"{a.title}: {a.url} arrived with md5 {got}, not the published {a.md5}; the file was removed",
                   hint=f"run again to download it afresh; if this repeats, {_by_hand(a, root, kind)}")
    _unpack(a, archive, root, kind)
    archive.unlink()
    print(f"md5 {got} verified; unpacked into {folder}", file=sys.stderr, flush=True)
    return folder


def _download(a: Archive, root: Path, kind: str) -> None:
    part = root / (a.file + ".part")
    reason = ""
    for _ in range(ATTEMPTS):
        try:
            if _fetch(a.url, part):
                part.replace(root / a.file)
                return
            reason = "the transfer ended early"
        except urllib.error.HTTPError as e:
            reason = f"HTTP {e.code} {e.reason}"
            if e.code != 416:
                break
            part.unlink(missing_ok=True)  # what we hold is not a prefix the server recognises: start over
        except (OSError, http.client.HTTPException) as e:
            reason = _why(e)
    kept = part.stat().st_size if part.is_file() else 0
    raise fail(f"cannot download {a.title} from {a.url}: {reason}"
               + (f" ({kept:,} bytes kept in {part}; the next run resumes from there)" if kept else ""),
               hint=f"check the network and run again, or {_by_hand(a, root, kind)}")


def _why(e: BaseException) -> str:
    if isinstance(e, urllib.error.URLError) and not isinstance(e.reason, str):
        e = e.reason
    if isinstance(e, TimeoutError) or "timed out" in str(e):
        return f"no answer within {TIMEOUT_S:g} s"
    if isinstance(e, http.client.IncompleteRead):
        return "the transfer ended early"
    return str(e) or type(e).__name__


def _fetch(url: str, part: Path) -> bool:
    """Append the rest of `url` to `part`; True when the whole file is there."""
    have = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        if response.status != 206:
            have = 0  # the server ignored the range: the whole file follows
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        try:
            with part.open("ab" if have else "wb") as f:
                while block := response.read(CHUNK):
                    f.write(block)
        except http.client.IncompleteRead:
            return False
    return total is None or part.stat().st_size == total


def _unpack(a: Archive, archive: Path, root: Path, kind: str) -> None:
    """Unpack into a temporary folder beside the target, then rename it into place."""
    scratch = Path(tempfile.mkdtemp(prefix=f".{a.folder}.", dir=root))
    try:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(scratch, filter="data")
        except OSError as e:
            if e.errno is None:  # gzip's BadGzipFile: the archive, not the disk
                raise fail(f"{a.title}: {archive} does not unpack ({e})", hint=_by_hand(a, root, kind)) from None
            raise write_error(root, e, f"{a.title} data") from None
        except (tarfile.TarError, EOFError, zlib.error) as e:
            raise fail(f"{a.title}: {archive} does not unpack ({e})", hint=_by_hand(a, root, kind)) from None
        inner = scratch / a.folder
        if not inner.is_dir():
            raise fail(f"{a.title}: {archive} holds no {a.folder}/ folder", hint=_by_hand(a, root, kind))
        try:
            inner.replace(root / a.folder)
        except OSError:
            if not (root / a.folder).is_dir():  # another process unpacking the same archive won the race
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
