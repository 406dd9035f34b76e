"""Where runs execute on this machine: in this process, or on a process pool.

The pool is supervised by hand rather than with ``ProcessPoolExecutor``,
which breaks as a whole when one worker dies: here each worker holds one run
at a time, so a dead worker loses exactly that run, which goes back to the
queue while a fresh worker takes the dead one's place. A run whose worker dies
``attempts`` times is recorded as an error, and the sweep goes on.

Workers are started with ``spawn`` and with one BLAS thread each
(``OPENBLAS_NUM_THREADS`` and its kin set before NumPy is imported), so N
workers use N cores. They ignore Ctrl-C: the sweep stops them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any

from ..fitting import fit
from ..settings import Settings
from .plan import Run
from .records import record, run_one

#: Variables that hold BLAS and OpenMP libraries to one thread per worker.
SINGLE_THREADED = {
    name: "1"
    for name in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "BLIS_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS",
    )
}


def serial(runs: Iterable[Run]) -> Iterator[dict[str, Any]]:
    """Each run in turn, in this process."""
    for run in runs:
        yield run_one(run)


def warm(runs: list[Run]) -> None:
    """Compile (or load from the cache) the kernel for each dtype the runs use.

    A tiny fit in this process, so that workers started next find the compiled
    kernel in the on-disk cache instead of each compiling it (numba#4807).
    """
    dtypes = sorted({r.config["dtype"] for r in runs if r.config["backend"] == "numba"})
    for dtype in dtypes:
        fit("xor", Settings(epochs=1, dtype=dtype, backend="numba"))


def pool(
    runs: Iterable[Run], workers: int, attempts: int = 3
) -> Iterator[dict[str, Any]]:
    """Records of ``runs`` from ``workers`` processes, as each run finishes."""
    supervisor = _Supervisor(workers, attempts)
    try:
        yield from supervisor.records(deque(runs))
    finally:
        supervisor.stop()


class _Supervisor:
    """Hands runs to idle workers; replaces a dead one, and runs its run again."""

    def __init__(self, workers: int, attempts: int) -> None:
        self.workers, self.attempts = workers, attempts
        self.ctx = multiprocessing.get_context("spawn")
        self.idle: list[_Worker] = []
        self.busy: list[_Worker] = []
        self.tries: dict[str, int] = {}

    def records(self, queue: deque[Run]) -> Iterator[dict[str, Any]]:
        while queue or self.busy:
            while queue and len(self.idle) + len(self.busy) < self.workers:
                self.idle.append(_Worker(self.ctx))
            while queue and self.idle:
                worker = self.idle.pop()
                worker.give(queue.popleft())
                self.busy.append(worker)
            wait([w.conn for w in self.busy] + [w.process.sentinel for w in self.busy])
            for worker in list(self.busy):
                found = worker.result()
                if found is _RUNNING:
                    continue
                self.busy.remove(worker)
                if found is not _DIED:
                    self.idle.append(worker)
                    yield found
                elif (lost := self._lost(worker)) is not None:
                    yield lost
                else:
                    queue.appendleft(worker.run)

    def _lost(self, worker: _Worker) -> dict[str, Any] | None:
        """A dead worker's run: ``None`` to run it again, or its error record."""
        run, code = worker.run, worker.process.exitcode
        worker.stop()
        self.tries[run.key] = self.tries.get(run.key, 0) + 1
        if self.tries[run.key] < self.attempts:
            return None
        message = (
            f"the worker process running it died {self.attempts} times "
            f"(last exit code {code})"
        )
        return record(run, status="error", message=message)

    def stop(self) -> None:
        for worker in self.idle + self.busy:
            worker.stop()
        self.idle, self.busy = [], []


_RUNNING, _DIED = object(), object()


class _Worker:
    """One worker process and the pipe to it; holds at most one run."""

    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_serve, args=(child,), name="fnnet-sweep-worker", daemon=True
        )
        with _child_environment():
            self.process.start()
        child.close()
        self.run: Any = None

    def give(self, run: Run) -> None:
        self.run = run
        with contextlib.suppress(OSError):  # a dead worker is found by result()
            self.conn.send(run)

    def result(self) -> Any:
        """The finished run's record, ``_RUNNING``, or ``_DIED``."""
        try:
            if self.conn.poll():
                return self.conn.recv()
        except (EOFError, OSError):
            return _DIED
        return _DIED if not self.process.is_alive() else _RUNNING

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def _serve(conn: Connection) -> None:
    """A worker's loop: receive a run, send back its record, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            run = conn.recv()
            conn.send(run_one(run))
        except (EOFError, BrokenPipeError):  # the sweep has gone
            return


@contextlib.contextmanager
def _child_environment() -> Iterator[None]:
    """One BLAS thread, and Ctrl-C ignored, from a spawned child's first line.

    A spawned process inherits the environment and an ignored signal, so both
    are set here around its start and restored at once.
    """
    saved = {name: os.environ.get(name) for name in SINGLE_THREADED}
    main = threading.current_thread() is threading.main_thread()
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    os.environ.update(SINGLE_THREADED)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if main:
            signal.signal(signal.SIGINT, handler)
