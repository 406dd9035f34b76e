"""Interleaved timing: a warm-up call per implementation, then round-robin repeats.

Per workload, every implementation is built and called once (the *first
call*, which pays any compilation, and whose result feeds the correctness
check). Then ``repeats`` rounds each call every implementation once, the
order rotating by one each round, so that a noisy neighbour on a shared
machine slows all of them alike rather than whichever happened to run at
the time. A call is one whole training run; time per epoch is the call time
divided by the epochs. ``gc.collect()`` runs (untimed) before every call.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .trial import Outcome, Trial, Unavailable
from .workloads import Task

__all__ = ["Measurement", "measure", "rotations"]


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
    for meas in results.values():
        if meas.status == "ok" and len(meas.call_times_s) < repeats:
            short = f"{len(meas.call_times_s)}/{repeats} calls (time budget)"
            meas.note = f"{meas.note}; {short}" if meas.note else short
    return list(results.values())


def _fmt(m: Measurement) -> str:
    if m.status != "ok":
        return f"{m.status} ({m.note})"
    return f"{m.first_call_s:.3f} s"
