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
- :mod:`~fnnet.data.csvfile`: :func:`load_csv` and :func:`read_features`.
- :mod:`~fnnet.data.tasks`: the task policy (:data:`TASKS`,
  :data:`TASK_OUTPUTS`, :func:`as_multiclass`) and reading a target column.
- :mod:`~fnnet.data.table`: a CSV file read into cells, and cells into numbers.
- :mod:`~fnnet.data.preprocessing`: standardizing, splitting, one-hot.
"""

from __future__ import annotations

from .builtin import BUILTIN, GATES, diabetes_csv, load_builtin, logic_gate, three_bit
from .csvfile import load_csv, read_features
from .preprocessing import Standardizer, fit_standardizer, one_hot, split, standardize
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
    "load_builtin",
    "load_csv",
    "logic_gate",
    "one_hot",
    "read_features",
    "split",
    "standardize",
    "three_bit",
]
