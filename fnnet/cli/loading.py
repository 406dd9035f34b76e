"""Loading progress on a terminal: how much of a large data file has been read."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from .progress import StatusLine, tqdm_class

#: Seconds of loading before anything is shown: a quick load shows nothing.
DELAY = 1.0


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
        self.start = time.monotonic()
        self.bar: Any = None  # tqdm's bar, once shown
        self.line: StatusLine | None = None  # or the plain line, once shown

    def update(self, done: int, total: int) -> None:
        if time.monotonic() - self.start < DELAY:
            return
        if self.bar is None and self.line is None:
            tqdm = tqdm_class()
            if tqdm is None:
                self.line = StatusLine(self.stream)
            else:
                self.bar = tqdm(
                    initial=done,
                    total=total,
                    desc=f"loading {self.name}",
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    file=self.stream,
                    leave=False,
                )
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
        elif self.line is not None:
            percent = f"{done / total:.0%} of {total / 1e6:.1f} MB"
            self.line.show(f"loading {self.name}: {percent}")

    def close(self) -> None:
        for shown in (self.bar, self.line):
            if shown is not None:
                shown.close()
