"""Data sets and data plumbing: truth tables, tutorial data, CSV, scaling, splits.

fnnet keeps one example per column: ``X`` has shape ``(n_x, m)`` and ``Y`` has
shape ``(n_y, m)``. Files keep one example per row. This package is the edge
where rows become columns, so the maths never transposes anything.

Library constants (the truth tables, the tutorial data sets) are returned as
read-only arrays so that no caller can corrupt them for the next one. Nothing
here mutates its arguments, and the only randomness is the explicit ``seed``
of :func:`split`.

Modules, each importing only those below it:

- :mod:`~fnnet.data.builtin`: the truth tables, ``three_bit``, the diabetes CSV.
- :mod:`~fnnet.data.stream`: :func:`iter_features` and :func:`iter_csv`, the
  same read in blocks of examples, for files larger than memory.
- :mod:`~fnnet.data.csvfile`: :func:`load_csv` and :func:`read_features`.
- :mod:`~fnnet.data.tasks`: the task policy (:data:`TASKS`,
  :data:`TASK_OUTPUTS`, :func:`as_multiclass`) and reading a target column.
- :mod:`~fnnet.data.blocks`: the fast reader, NumPy's C parser on blocks of
  plain lines; it hands anything else to the exact reader.
- :mod:`~fnnet.data.table`: the exact reader: a CSV file read into cells, and
  cells into numbers, naming the line and column of any problem.
- :mod:`~fnnet.data.preprocessing`: standardizing, splitting, one-hot.
"""

from __future__ import annotations

from .builtin import BUILTIN, GATES, diabetes_csv, load_builtin, logic_gate, three_bit
from .csvfile import load_csv, read_features
from .preprocessing import Standardizer, fit_standardizer, one_hot, split, standardize
from .stream import iter_csv, iter_features
from .tasks import TASK_CHOICES, TASK_OUTPUTS, TASKS, Dataset, as_multiclass

__all__ = [
    "BUILTIN",
    "GATES",
    "TASKS",
    "TASK_CHOICES",
    "TASK_OUTPUTS",
    "Dataset",
    "Standardizer",
    "as_multiclass",
    "diabetes_csv",
    "fit_standardizer",
    "iter_csv",
    "iter_features",
    "load_builtin",
    "load_csv",
    "logic_gate",
    "one_hot",
    "read_features",
    "split",
    "standardize",
    "three_bit",
]
