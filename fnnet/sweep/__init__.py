"""Sweeps: a grid of training runs, in parallel, streamed to disk, resumable.

:func:`sweep` checks a grid of settings against the data, then runs every
configuration (for each seed) through :func:`fnnet.fitting.run`, in this
process, on a local process pool (``workers=N``) or on a Dask cluster
(``scheduler=``, the optional extra ``fnnet[dask]``), and yields one record
per run as it finishes, appending it to a JSON-lines file when given one.
:func:`read_records`, :func:`summarize` and :func:`plot` read what a sweep
found. One module per concern: ``plan`` (the grid), ``records`` (a run's
record and the file), ``local`` and ``cluster`` (where runs execute),
``report`` and ``core``.
"""

from __future__ import annotations

from .core import Sweep, sweep
from .plan import GRID_NAMES, Run, check_grid, check_seeds
from .records import FIELDS, read_records
from .report import Summary, numeric_settings, plot, summarize, varying

__all__ = [
    "FIELDS",
    "GRID_NAMES",
    "Run",
    "Summary",
    "Sweep",
    "check_grid",
    "check_seeds",
    "numeric_settings",
    "plot",
    "read_records",
    "summarize",
    "sweep",
    "varying",
]
