"""Interleaved timing: a warm-up call per implementation, then round-robin repeats.

Per workload, every implementation is built and called once (the *first
call*, which pays any compilation, and whose result feeds the correctness
check). Then ``repeats`` rounds each call every implementation once, the
order rotating by one each round, so that a noisy neighbour on a shared
machine slows all of them alike rather than whichever happened to run at
the time. A call is one whole training run; time per epoch is the call time
divided by the epochs. ``gc.collect()`` runs (untimed) before every call.

:func:`measure_isolated` (what ``python -m bench`` uses) runs every
implementation in a process of its own, started fresh for each workload, and
interleaves the calls across those processes: no implementation inherits
another's thread pools, caches or heap. :func:`measure` runs them all in the
calling process (the harness's tests use it).
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .trial import Outcome, Trial, Unavailable
from .workloads import Task

__all__ = ["Measurement", "measure", "measure_isolated", "rotations"]


@dataclass
class Measurement:
    """Everything measured for one implementation on one workload.

    Attributes
    ----------
    name : str
    status : {"ok", "n/a", "error"}
    note : str
        Why it is unavailable or failed, or what differs from the reference.
    comparable : bool
    first_call_s : float or None
    call_times_s : list of float
        Wall time of each timed call (whole training runs).
    outcome : Outcome or None
        The first call's result, for the correctness check.
    """

    name: str
    status: str = "ok"
    note: str = ""
    comparable: bool = True
    first_call_s: float | None = None
    call_times_s: list[float] = field(default_factory=list)
    outcome: Outcome | None = None

    def per_epoch_s(self, epochs: int) -> float | None:
        """Median time of one epoch (median call time / epochs)."""
        if not self.call_times_s:
            return None
        return statistics.median(self.call_times_s) / epochs

    def spread(self) -> float | None:
        """Interquartile range of the call times relative to their median."""
        times = self.call_times_s
        if len(times) < 2:
            return None
        q1, _, q3 = statistics.quantiles(times, n=4, method="inclusive")
        return (q3 - q1) / statistics.median(times)


def rotations(names: Sequence[str], rounds: int) -> list[list[str]]:
    """Round-robin orders: round ``r`` starts at the ``r``-th name.

    Examples
    --------
    >>> rotations(["a", "b", "c"], 4)
    [['a', 'b', 'c'], ['b', 'c', 'a'], ['c', 'a', 'b'], ['a', 'b', 'c']]
    """
    n = len(names)
    return [[names[(r + i) % n] for i in range(n)] for r in range(rounds)]


def _call(trial: Trial) -> tuple[float, Outcome]:
    if trial.setup is not None:
        trial.setup()
    gc.collect()
    start = time.perf_counter()
    outcome = trial.run()
    return time.perf_counter() - start, outcome


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:200]


def _first_call(
    name: str, factory: Callable[[Task], Trial], task: Task
) -> tuple[Measurement, Trial | None]:
    """Build the trial and make its first (warm-up) call."""
    meas = Measurement(name)
    try:
        trial = factory(task)
        meas.note, meas.comparable = trial.note, trial.comparable
        meas.first_call_s, meas.outcome = _call(trial)
    except Unavailable as exc:
        meas.status, meas.note = "n/a", str(exc)
        return meas, None
    except Exception as exc:
        meas.status, meas.note = "error", _describe(exc)
        return meas, None
    return meas, trial


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _over_budget(m: Measurement, budget_s: float | None) -> bool:
    """True once a row's timed calls add up to ``budget_s`` (it keeps >= 1 call)."""
    return budget_s is not None and sum(m.call_times_s) >= budget_s


def measure(
    task: Task,
    factories: Mapping[str, Callable[[Task], Trial]],
    repeats: int,
    budget_s: float | None = None,
) -> list[Measurement]:
    """Warm up every implementation, then time them in interleaved rounds.

    A row whose timed calls already took ``budget_s`` seconds in all sits
    out the remaining rounds (so one pathologically slow row cannot hold the
    run hostage); its ``call_times_s`` then has fewer than ``repeats``
    entries and its note says so.

    Returns
    -------
    measurements : list of Measurement
        In the order of ``factories``.
    """
    results: dict[str, Measurement] = {}
    trials: dict[str, Trial] = {}
    for name, factory in factories.items():
        results[name], trial = _first_call(name, factory, task)
        if trial is not None:
            trials[name] = trial
        _log(f"  {name:12s} first call: {_fmt(results[name])}")
    for order in rotations(list(trials), repeats):
        for name in order:
            meas = results[name]
            if meas.status != "ok" or _over_budget(meas, budget_s):
                continue
            try:
                elapsed, _ = _call(trials[name])
            except Exception as exc:
                meas.status, meas.note = "error", _describe(exc)
                continue
            meas.call_times_s.append(elapsed)
    _mark_short(results.values(), repeats)
    return list(results.values())


def _plain(outcome: Outcome | None) -> Outcome | None:
    """``outcome`` with its parameters as a plain dict (mapping proxies do not
    pickle)."""
    if outcome is None:
        return None
    params = {k: np.asarray(v) for k, v in outcome.params.items()}
    return Outcome(params, np.asarray(outcome.costs))


def _serve(conn: Any, workload: str, quick: bool, epochs: int, name: str) -> None:
    """A worker process: one implementation of one workload, called on request.

    Commands: ``"first"`` (build and warm up; answers the Measurement with
    its outcome), ``"call"`` (one timed call; answers ``(status, seconds or
    message)``), ``None`` (exit).
    """
    from .impls import IMPLEMENTATIONS
    from .workloads import WORKLOADS, make_task

    w = next(w for w in WORKLOADS if w.name == workload)
    task = make_task(w, quick, epochs)
    conn.send("ready")
    trial = None
    while (command := conn.recv()) is not None:
        if command == "first":
            meas, trial = _first_call(name, IMPLEMENTATIONS[name], task)
            meas.outcome = _plain(meas.outcome)
            conn.send(meas)
            continue
        try:
            conn.send(("ok", _call(trial)[0]))
        except Exception as exc:
            conn.send(("error", _describe(exc)))


def measure_isolated(
    task: Task, names: Sequence[str], repeats: int, budget_s: float | None = None
) -> list[Measurement]:
    """:func:`measure`, with each implementation in a fresh process of its own.

    ``task`` must be one of :data:`~bench.workloads.WORKLOADS` (the workers
    rebuild it from its name). The workers start together (building the data
    is not timed) and are then called one at a time, in the same interleaved
    rounds as :func:`measure`.
    """
    ctx = mp.get_context("spawn")
    workers = {}
    for name in names:
        parent, child = ctx.Pipe()
        args = (child, task.workload.name, False, task.epochs, name)
        proc = ctx.Process(target=_serve, args=args, daemon=True)
        proc.start()
        workers[name] = (proc, parent)
    try:
        for _, conn in workers.values():
            conn.recv()  # ready
        results: dict[str, Measurement] = {}
        for name, (_, conn) in workers.items():
            conn.send("first")
            results[name] = conn.recv()
            _log(f"  {name:12s} first call: {_fmt(results[name])}")
        for order in rotations(
            [n for n in names if results[n].status == "ok"], repeats
        ):
            for name in order:
                meas = results[name]
                if meas.status != "ok" or _over_budget(meas, budget_s):
                    continue
                conn = workers[name][1]
                conn.send("call")
                status, value = conn.recv()
                if status == "ok":
                    meas.call_times_s.append(value)
                else:
                    meas.status, meas.note = "error", value
    finally:
        for proc, conn in workers.values():
            if proc.is_alive():
                try:
                    conn.send(None)
                except OSError:
                    pass
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    _mark_short(results.values(), repeats)
    return [results[name] for name in names]


def _mark_short(measurements: Any, repeats: int) -> None:
    for meas in measurements:
        if meas.status == "ok" and len(meas.call_times_s) < repeats:
            short = f"{len(meas.call_times_s)}/{repeats} calls (time budget)"
            meas.note = f"{meas.note}; {short}" if meas.note else short


def _fmt(m: Measurement) -> str:
    if m.status != "ok":
        return f"{m.status} ({m.note})"
    return f"{m.first_call_s:.3f} s"
