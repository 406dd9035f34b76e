"""What an implementation hands the timer: a :class:`Trial` and its :class:`Outcome`.

A trial is a zero-argument ``run()`` that trains the workload once from the
same initial parameters and returns an :class:`Outcome` (final parameters as
NumPy arrays plus one cost per epoch), with an optional untimed ``setup()``
called before every run. A factory that cannot build its trial (library not
installed, backend not written yet) raises :class:`Unavailable`, and so may
``run()`` on its first call; the row is then reported as not available.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

__all__ = ["Outcome", "Trial", "Unavailable", "n_cores"]


class Unavailable(Exception):
    """This implementation cannot run here; the message says why."""


class Outcome(NamedTuple):
    """What one training run produced."""

    params: Mapping[str, NDArray[np.floating]]
    costs: NDArray[np.float64]


@dataclass(frozen=True)
class Trial:
    """A prepared implementation of one workload.

    Attributes
    ----------
    name : str
    run : callable
        Trains once from the initial parameters; this is what is timed.
    setup : callable or None
        Untimed preparation before every ``run`` (e.g. resetting a model).
    note : str
        What differs from the reference, shown in the table.
    comparable : bool
        Whether its final parameters should match the reference's.
    """

    name: str
    run: Callable[[], Outcome]
    setup: Callable[[], None] | None = None
    note: str = ""
    comparable: bool = True


def n_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
