"""What a run prints: a progress bar per epoch on a terminal, plain log lines otherwise.

Only rank 0 prints. The bar's numbers need a device sync, so they are refreshed at most a
few times a second, and a log file gets one line every `log_every` steps.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from tqdm import tqdm

REFRESH_S = 0.5


class Progress:
    def __init__(self, enabled: bool, log_every: int, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.log_every = log_every
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.bar: tqdm | None = None
        self.label = ""
        self.total = 0
        self.start = self.last = 0.0

    def start_epoch(self, epoch: int, epochs: int, steps: int) -> None:
        self.label, self.total = f"epoch {epoch}/{epochs}", steps
        self.start = time.perf_counter()
        self.last = float("-inf")
        if self.enabled and self.tty:
            self.bar = tqdm(total=steps, desc=self.label, file=self.stream, dynamic_ncols=True, leave=False)

    def step(self, done: int, images: int, running: Callable[[], tuple[float, float]], lr: float) -> None:
        """`done` steps and `images` seen this epoch; `running()` gives (loss, top-1) so far."""
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.bar is not None:
            self.bar.update(1)
            if now - self.last >= REFRESH_S or done == self.total:
                loss, top1 = running()
                self.bar.set_postfix_str(f"loss {loss:.4f} top-1 {top1:.1%} lr {lr:.3g} "
                                         f"{images / max(now - self.start, 1e-9):.0f} img/s")
                self.last = now
        elif done % self.log_every == 0 and done < self.total:
            loss, top1 = running()
            self.line(f"{self.label} step {done}/{self.total} loss {loss:.4f} top-1 {top1:.1%} lr {lr:.3g} "
                      f"{images / max(now - self.start, 1e-9):.0f} img/s")

    def end_epoch(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def line(self, text: str) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)
