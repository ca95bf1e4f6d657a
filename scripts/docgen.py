"""What the scripts that regenerate a document share: `--check`, the staleness rule, marker sections.

A script describes its document as a `Generated` (the file and a function giving its new text)
and ends with `sys.exit(GENERATED.main(__doc__))`; tests/test_docs.py fails when one is stale.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Generated:
    target: Path
    render: Callable[[], str]  # the whole new text of `target`

    def stale(self) -> bool:
        return not self.target.is_file() or self.target.read_text(encoding="utf-8") != self.render()

    def main(self, doc: str) -> int:
        ap = argparse.ArgumentParser(description=doc.splitlines()[0])
        ap.add_argument("--check", action="store_true", help="exit 1 if the file is stale; write nothing")
        if ap.parse_args().check:
            return 1 if self.stale() else 0
        text = self.render()
        self.target.write_text(text, encoding="utf-8")
        print(f"wrote {self.target.relative_to(ROOT)}")
        return 0


def replace_section(text: str, name: str, body: str) -> str:
    """`text` with the lines between `<!-- begin NAME ... -->` and `<!-- end NAME -->` replaced by `body`."""
    pattern = re.compile(rf"^(<!-- begin {re.escape(name)}\b.*?-->\n).*?^(<!-- end {re.escape(name)} -->)$", re.M | re.S)
    if len(pattern.findall(text)) != 1:
        raise ValueError(f"expected one `<!-- begin {name} ... -->` … `<!-- end {name} -->` section")
    return pattern.sub(lambda m: m.group(1) + body + m.group(2), text)
