"""Training progress on a terminal: a tqdm bar, or a plain line without tqdm."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

#: The plain line is redrawn at most this often (seconds).
LINE_INTERVAL = 0.2


@contextlib.contextmanager
def progress(total: int, enabled: bool) -> Iterator[Callable[[int, float], Any] | None]:
    """A ``train`` callback that shows epochs done and the cost on stderr.

    tqdm's bar where tqdm (an optional extra) is installed, else one line
    rewritten in place; either is cleared at the end. ``None`` when disabled.
    """
    if not enabled:
        yield None
        return
    show = _tqdm_bar(total) or _Line(total, sys.stderr)
    try:
        yield show.advance
    finally:
        show.close()


class _Line:
    """``training: 1200/5000 epochs, cost 0.0123``, redrawn with a carriage return."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream = total, stream
        self.drawn = 0  # width of what is on the line
        self.last = -float("inf")  # draw at the first epoch, as tqdm does

    def advance(self, epoch: int, J: float) -> None:
        now = time.monotonic()
        if now - self.last < LINE_INTERVAL:
            return
        self.last = now
        text = f"training: {epoch + 1}/{self.total} epochs, cost {J:.4g}"
        self.stream.write("\r" + text.ljust(self.drawn))
        self.stream.flush()
        self.drawn = len(text)

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * self.drawn + "\r")
            self.stream.flush()


class _TqdmBar:
    """tqdm's bar, showing the cost."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def advance(self, epoch: int, J: float) -> None:
        self.bar.set_postfix_str(f"cost {J:.4g}", refresh=False)
        self.bar.update(epoch + 1 - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def _tqdm_bar(total: int) -> _TqdmBar | None:
    """A tqdm bar, or None when tqdm is not installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    bar = tqdm(total=total, desc="training", unit="epoch", file=sys.stderr, leave=False)
    return _TqdmBar(bar)
