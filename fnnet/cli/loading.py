"""Loading progress on a terminal: how much of a large data file has been read."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

#: Seconds of loading before anything is shown: a quick load shows nothing.
DELAY = 1.0
#: The plain line is redrawn at most this often (seconds).
LINE_INTERVAL = 0.2


@contextlib.contextmanager
def loading(name: str, enabled: bool) -> Iterator[Callable[[int, int], Any] | None]:
    """A ``progress(bytes_read, bytes_in_file)`` callback showing the load on stderr.

    For :func:`fnnet.data.load_csv`: after :data:`DELAY` seconds, tqdm's bar
    where tqdm (an optional extra) is installed, else one line rewritten in
    place; either is cleared at the end. ``None`` when disabled.
    """
    if not enabled:
        yield None
        return
    show = _Loading(name, sys.stderr)
    try:
        yield show.update
    finally:
        show.close()


class _Loading:
    """``loading big.csv: 41% of 265.0 MB``, or tqdm's bar in bytes."""

    def __init__(self, name: str, stream: TextIO) -> None:
        self.name, self.stream = name, stream
        self.start, self.last = time.monotonic(), -float("inf")
        self.bar: Any = None  # tqdm's bar, once shown
        self.drawn = 0  # width of the plain line on the terminal

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.start < DELAY:
            return
        if self.bar is None and not self.drawn:
            self.bar = _tqdm_bar(self.name, done, total, self.stream)
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
        elif now - self.last >= LINE_INTERVAL:
            self.last = now
            text = f"loading {self.name}: {done / total:.0%} of {total / 1e6:.1f} MB"
            self.stream.write("\r" + text.ljust(self.drawn))
            self.stream.flush()
            self.drawn = len(text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.drawn:
            self.stream.write("\r" + " " * self.drawn + "\r")
            self.stream.flush()


def _tqdm_bar(name: str, done: int, total: int, stream: TextIO) -> Any:
    """A tqdm bar counting bytes from ``done``, or None without tqdm."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(
        initial=done,
        total=total,
        desc=f"loading {name}",
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=stream,
        leave=False,
    )
