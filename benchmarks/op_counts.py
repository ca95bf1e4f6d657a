"""The aten ops each spec with a reference dispatches, against the reference: a timing-free
check of parity (a shared machine's ±50% noise cannot hide an extra op here).

Counts every op reaching the dispatcher (TorchDispatchMode) for one eval forward and one
train forward+backward (dropout off in both, as in tests/test_reference_equivalence.py), and
prints the totals and the ops whose counts differ.

    V=$(bash scripts/refenv.sh); PYTHONPATH=. $V/bin/python benchmarks/op_counts.py [--specs ...]
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime_vs_reference import REFERENCES, outputs, pair  # noqa: E402


class OpCounter(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.counts: collections.Counter[str] = collections.Counter()

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        self.counts[str(func.overloadpacket)] += 1
        return func(*args, **(kwargs or {}))


def count(model: nn.Module, x: torch.Tensor, train: bool) -> collections.Counter[str]:
    model.train(train)
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.eval()
    with OpCounter() as c:
        y = model(x)
        if train:
            sum(t.sum() for t in outputs(y)).backward()  # type: ignore[union-attr]
    return c.counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--specs", default=",".join(REFERENCES))
    args = ap.parse_args()
    for spec in args.specs.split(","):
        model, ref, side, _ = pair(spec)
        x = torch.randn(2, 3, side, side)
        for train in (False, True):
            a, b = count(model, x, train), count(ref, x, train)
            diff = {k: (a[k], b[k]) for k in sorted(set(a) | set(b)) if a[k] != b[k]}
            print(f"{spec:24} {'train' if train else 'eval':5} archspec {sum(a.values()):5} ops, reference "
                  f"{sum(b.values()):5}; differing (archspec, reference): {diff or 'none'}", flush=True)


if __name__ == "__main__":
    main()
