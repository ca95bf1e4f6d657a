"""User-visible files are written atomically; a path that cannot be written is one error naming it.

Every case builds its own trouble (a file where a folder should be, a simulated full disk)
or uses a path every Linux system has (/proc, /dev/full), so nothing depends on the host's
layout or on not being root.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import IO, Any

import pytest

from archspec import fileio
from archspec.cli import main
from archspec.errors import ArchspecError

TINY = str(Path(__file__).resolve().parent / "data" / "tiny.yaml")


def full_disk(f: IO[bytes], data: Any) -> int:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_writes_atomically_and_creates_missing_folders(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "out.txt"
    fileio.write_text(target, "one")
    fileio.write_text(target, "two")
    assert target.read_text() == "two" and os.listdir(target.parent) == ["out.txt"]


def test_a_full_disk_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    monkeypatch.setattr(fileio, "write_chunk", full_disk)
    with pytest.raises(ArchspecError) as e:
        fileio.write_text(target, "new", "the schema")
    assert str(e.value) == (f"error: cannot write the schema {target}: no space left on the device\n"
                            f"    hint: free space on the file system of {tmp_path} or write elsewhere; "
                            "a file that was there before is unchanged")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["out.json"]


@pytest.mark.parametrize("code, reason, remedy", [
    (errno.EROFS, "the file system is read-only", "write to a folder on a writable file system"),
    (errno.EACCES, "permission denied", "choose a folder you can write to"),
    (errno.EDQUOT, "no space left on the device", "free space"),
    (errno.EIO, "Input/output error", "check that the path names a file in a folder you can write to"),
])
def test_each_reason_has_its_remedy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, reason: str,
                                    remedy: str) -> None:
    def fails(f: IO[bytes], data: Any) -> int:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(fileio, "write_chunk", fails)
    with pytest.raises(ArchspecError) as e:
        fileio.write_text(tmp_path / "out.txt", "x")
    assert e.value.first.message == f"cannot write {tmp_path / 'out.txt'}: {reason}"
    assert (e.value.first.hint or "").startswith(remedy) and os.listdir(tmp_path) == []


def test_a_writer_that_fails_in_its_own_way_leaves_nothing(tmp_path: Path) -> None:
    def broken(f: IO[bytes]) -> None:
        f.write(b"half")
        raise ValueError("not an I/O problem")

    with pytest.raises(ValueError, match="not an I/O problem"):
        fileio.write_with(tmp_path / "x.bin", broken)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("where, reason", [
    (lambda tmp: tmp / "a_file" / "out.json", "is a file, not a folder"),
    (lambda tmp: tmp / "a_file" / "sub" / "out.json", "is a file, not a folder"),
    (lambda tmp: tmp, "it is a folder"),
    (lambda tmp: Path("/proc/archspec-test/out.json"), "cannot write"),
    (lambda tmp: tmp / ("x" * 300), "the file name is too long"),
])
def test_paths_that_cannot_be_written(tmp_path: Path, where: Any, reason: str) -> None:
    (tmp_path / "a_file").write_text("in the way")
    path = where(tmp_path)
    with pytest.raises(ArchspecError) as e:
        fileio.write_text(path, "x")
    assert str(e.value).startswith(f"error: cannot write {path}: ") and reason in str(e.value)
    assert e.value.first.hint
    assert sorted(os.listdir(tmp_path)) == ["a_file"]


def test_a_folder_in_the_way_suggests_a_file_with_the_same_suffix(tmp_path: Path) -> None:
    folder = tmp_path / "dir.svg"
    folder.mkdir()
    with pytest.raises(ArchspecError) as e:
        fileio.write_text(folder, "x")
    assert str(e.value) == (f"error: cannot write {folder}: it is a folder\n"
                            f"    hint: name a file inside it, e.g. {folder / 'out.svg'}")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="/dev/full is Linux's")
def test_a_device_is_written_in_place_not_replaced() -> None:
    with pytest.raises(ArchspecError, match="cannot write /dev/full: no space left on the device"):
        fileio.write_text(Path("/dev/full"), "x")
    assert not Path("/dev/full").is_file()


@pytest.mark.parametrize("argv", [
    ["schema", "-o", "{file}/schema.json"],
    ["render", TINY, "-o", "{file}/tiny.dot"],
])
def test_commands_report_unwritable_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           argv: list[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    args = [a.format(file=blocker) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write ") and f"{blocker} is a file, not a folder" in err
    assert "hint: " in err and "Traceback" not in err


def test_schema_on_a_full_disk(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fileio, "write_chunk", full_disk)
    assert main(["schema", "-o", str(tmp_path / "s.json")]) == 2
    assert f"cannot write the schema {tmp_path / 's.json'}: no space left" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []
