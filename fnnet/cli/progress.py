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


class StatusLine:
    """One line on a terminal, rewritten in place and blanked at the end.

    :meth:`show` redraws at most every ``interval`` seconds (always with
    ``force``), padding over what was there before.
    """

    def __init__(self, stream: TextIO, interval: float = LINE_INTERVAL) -> None:
        self.stream, self.interval = stream, interval
        self.drawn = 0  # width of what is on the line
        self.last = -float("inf")  # so the first show draws, as tqdm does

    def show(self, text: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        self.stream.write("\r" + text.ljust(self.drawn))
        self.stream.flush()
        self.drawn = len(text)

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * self.drawn + "\r")
            self.stream.flush()


def tqdm_class() -> Any:
    """tqdm's bar class, or None where tqdm (an optional extra) is not installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


class _Line:
    """``training: 1200/5000 epochs, cost 0.0123``."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.line = total, StatusLine(stream)

    def advance(self, epoch: int, J: float) -> None:
        self.line.show(f"training: {epoch + 1}/{self.total} epochs, cost {J:.4g}")

    def close(self) -> None:
        self.line.close()


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
    tqdm = tqdm_class()
    if tqdm is None:
        return None
    bar = tqdm(total=total, desc="training", unit="epoch", file=sys.stderr, leave=False)
    return _TqdmBar(bar)
