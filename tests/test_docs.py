"""The docs say what the code does: generated references are fresh, and the tutorial's commands
print what the tutorial says they print.

docs/tutorial.md is read top to bottom: a ```yaml block whose first line is `# file: NAME`
is written to a fresh folder, and each `$ archspec ...` line of a ```console block is run
there; its output (stdout and stderr) must equal the lines under it.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, load_script

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


@pytest.mark.parametrize("script", ["cli_reference", "op_table"])
def test_generated_reference_is_fresh(script: str) -> None:
    generated = load_script(script).GENERATED
    assert not generated.stale(), f"run `python scripts/{script}.py` to regenerate {generated.target.relative_to(ROOT)}"


def test_tutorial_outputs_are_what_the_commands_print(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    ran = 0
    for lang, body in FENCE.findall(text):
        first = body.split("\n", 1)[0]
        if lang == "yaml" and first.startswith("# file: "):
            (tmp_path / first.removeprefix("# file: ").strip()).write_text(body, encoding="utf-8")
        if lang != "console":
            continue
        for command, expected in re.findall(r"^\$ (.*)\n((?:(?!\$ ).*\n)*)", body, re.M):
            args = shlex.split(command)
            assert args[0] == "archspec", command
            r = subprocess.run([sys.executable, "-m", "archspec", *args[1:]], capture_output=True, text=True,
                               cwd=tmp_path)
            assert (r.stdout + r.stderr).rstrip("\n") == expected.rstrip("\n"), command
            ran += 1
    assert ran == 9  # every console block ran: none was skipped by a malformed fence
