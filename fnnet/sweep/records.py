"""One record per run, and the append-only JSON-lines file that keeps them.

Each record is one line of JSON, appended, flushed and fsynced the moment its
run finishes. A crash can only leave a partial last line (one ``write`` that
did not complete): reading skips it, and :class:`RecordFile` cuts it off
before appending, never touching a complete line.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .._run import TrainingDiverged
from .._version import __version__
from ..fitting import run as run_fit
from .plan import Run

#: The fields of a record, in the order they are written.
FIELDS = (
    "key",
    "data",
    "config",
    "status",
    "diverged_epoch",
    "message",
    "train_cost",
    "val_cost",
    "train_accuracy",
    "val_accuracy",
    "epochs_run",
    "best_epoch",
    "seconds",
    "fnnet_version",
)
#: What every record's line starts with; anything else is not a sweep's file.
_START = b'{"key": '

try:  # POSIX: one sweep at a time appends to a file
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


def run_one(run: Run) -> dict[str, Any]:
    """Train one run and describe the outcome as a record (never raises).

    ``status`` is ``"ok"``; ``"diverged"`` (a ``FloatingPointError``) with
    ``diverged_epoch``, the 1-based epoch whose cost was not finite; or
    ``"error"`` with the exception in ``message``.
    """
    start = time.perf_counter()
    outcome: dict[str, Any] = {"status": "ok", "diverged_epoch": None, "message": None}
    scores: dict[str, Any] = dict.fromkeys(FIELDS[6:12])
    try:
        result = run_fit(run.job)
        scores.update(_floats(result.scores()._asdict()))
        scores["epochs_run"] = len(result.history.costs)
        scores["best_epoch"] = result.history.best_epoch + 1
    except TrainingDiverged as e:
        outcome = {"status": "diverged", "diverged_epoch": e.epoch + 1}
        outcome["message"] = str(e)
    except Exception as e:
        outcome["status"], outcome["message"] = "error", f"{type(e).__name__}: {e}"
    return record(run, **outcome, **scores, seconds=time.perf_counter() - start)


def record(run: Run, **fields: Any) -> dict[str, Any]:
    """A record of ``run``: the given fields, ``None`` for the others."""
    found = {"key": run.key, "data": run.data, "config": run.config}
    found |= {"fnnet_version": __version__} | fields
    return {name: found.get(name) for name in FIELDS}


def _floats(values: dict[str, Any]) -> dict[str, float | None]:
    return {k: None if v is None else float(v) for k, v in values.items()}


def read_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The records in a sweep's file, in the order they were written.

    A partial last line, left by a run cut short, is skipped. A missing file
    has no records.

    Raises
    ------
    ValueError
        If a complete line is not a sweep record (the file is something else).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "runs.jsonl"
    >>> _ = path.write_bytes(b'{"key": "a1", "status": "ok"}\\n{"key": "b')
    >>> read_records(path)
    [{'key': 'a1', 'status': 'ok'}]
    """
    return _scan(Path(path))[0]


def _scan(path: Path) -> tuple[list[dict[str, Any]], int, int]:
    """Records, the length of the complete lines, and the file's length."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return [], 0, 0
    end = text.rfind(b"\n") + 1
    tail = text[end:]
    if tail and not (tail.startswith(_START) or _START.startswith(tail)):
        raise ValueError(f"{path} does not end as a sweep's records file does")
    found = []
    for number, line in enumerate(text[:end].splitlines(), start=1):
        try:
            item = json.loads(line) if line.startswith(_START) else None
        except ValueError:
            item = None
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise ValueError(f"{path} line {number} is not a sweep record")
        found.append(item)
    return found, end, len(text)


class RecordFile:
    """A sweep's file, opened to append: locked, its partial last line cut off.

    Use as a context manager; ``done`` holds the records already there and
    ``dropped`` the bytes of a partial last line that were removed.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.done: list[dict[str, Any]] = []
        self.dropped = 0
        self._file: IO[bytes] | None = None

    def __enter__(self) -> RecordFile:
        f = open(self.path, "ab")  # closed in __exit__
        try:
            if fcntl is not None:
                _lock(f, self.path)
            self.done, end, size = _scan(self.path)
            if end < size:  # only the partial line after the last newline
                f.truncate(end)
                os.fsync(f.fileno())
                self.dropped = size - end
        except BaseException:
            f.close()
            raise
        self._file = f
        return self

    def append(self, item: dict[str, Any]) -> None:
        """Write one record as one line, on disk before this returns."""
        assert self._file is not None, "use RecordFile as a context manager"
        line = json.dumps(item, allow_nan=False) + "\n"
        self._file.write(line.encode("utf-8"))
        self._file.flush()
        os.fsync(self._file.fileno())

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()  # also releases the lock
            self._file = None


def _lock(f: IO[bytes], path: Path) -> None:
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise BlockingIOError(
            f"{path} is being written by another sweep; wait for it or give "
            "another file"
        ) from None


def pending(records: list[dict[str, Any]], runs: list[Run]) -> Iterator[Run]:
    """The runs that have no record yet."""
    have = {item["key"] for item in records}
    return (run for run in runs if run.key not in have)
