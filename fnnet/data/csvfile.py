"""CSV files into data: :func:`load_csv` to train, :func:`read_features` to predict.

Files keep one example per row; here each row becomes a column of ``X``. A
plain file is read by the fast reader (:mod:`fnnet.data.blocks`, NumPy's C
parser); any other, or one with a fault, by the exact reader
(:mod:`fnnet.data.table`), which words every error. The target column is read
by :mod:`fnnet.data.tasks`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .._validation import check_choice, check_dtype, check_name, check_names
from .blocks import _fast_blocks, _layout, _Spec, _Unusual
from .table import StrPath, _column, _features, _read_table, _Table
from .tasks import TASK_CHOICES, Dataset, _check_classes, _target, _target_of

#: ``progress(bytes_read, bytes_in_file)``, called as a file is read.
Progress = Callable[[int, int], Any]


def load_csv(
    path: StrPath,
    target: str,
    features: Sequence[str] | None = None,
    *,
    task: str = "auto",
    dtype: DTypeLike = np.float64,
    classes: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> Dataset:
    """Load a CSV file with a header row; each row becomes a column of ``X``.

    Parameters
    ----------
    path : str or os.PathLike
        A UTF-8 CSV file (a BOM, CRLF line ends, quoted fields, whitespace
        around cells and trailing blank lines are fine).
    target : str
        Name of the target column.
    features : sequence of str, optional
        Feature columns, in the order wanted. Default: every column but the
        target, in file order.
    task : {"auto", "binary", "multiclass", "regression"}
        ``"auto"``: non-numeric labels (or ``classes``) mean classification,
        binary if there are 2 classes; a numeric target with at most 2
        distinct values is binary; any other numeric target is regression.
    dtype : floating dtype, default float64
    classes : sequence of str, optional
        Impose the class list (for instance a saved model's), in code order.
    progress : callable, optional
        ``progress(bytes_read, bytes_in_file)``, called every few MiB.

    Returns
    -------
    dataset : Dataset
        ``X`` of shape (n_x, m); ``Y`` of shape (1, m) with 0/1 codes
        (binary), (k, m) one-hot (multiclass) or (1, m) values (regression).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        For a directory, a file that is not UTF-8, malformed quoting, an empty
        or header-only file, duplicate or missing columns, a row with the wrong
        number of fields, an empty, non-numeric, NaN or infinite cell in a
        column that is read, or a label outside ``classes``. The message names
        the file, the line (the header is line 1), the column and the cell.

    Notes
    -----
    Only the target and the selected feature columns are parsed; other
    columns may hold anything. A file without double quotes, blank lines or
    other faults is read by NumPy's C parser, a few MiB at a time, in about
    the time of ``np.loadtxt`` and twice the memory of the arrays; any other
    file cell by cell in Python, with the same result, much more slowly. A
    missing column is named as soon as the header is read.

    Numeric labels are written canonically, so ``1``, ``1.0`` and ``1e0``
    are the class ``"1"``; other labels are kept as written (stripped).
    Classes are sorted, numbers first and in numeric order, so for a binary
    target ``classes[1]`` is the positive class and 0/1 labels give
    ``("0", "1")``.

    Examples
    --------
    >>> from fnnet.data import diabetes_csv
    >>> ds = load_csv(diabetes_csv(), "Diabetes")
    >>> ds.X.shape, ds.Y.shape, ds.task, ds.classes
    ((2, 400), (1, 400), 'binary', ('0', '1'))
    >>> ds.X[:, 0], ds.Y[:, 0]
    (array([118.,  63.]), array([0.]))
    """
    dt = check_dtype(dtype, "f")
    check_choice("task", task, TASK_CHOICES)
    wanted = None if classes is None else _check_classes(classes, task)
    target = check_name("target", target)
    chosen = None if features is None else check_names("features", features)
    try:
        return _load_fast(path, target, chosen, task, wanted, dt, progress)
    except _Unusual:  # the exact reader decides, and words any error
        return _load_exact(path, target, chosen, task, wanted, dt)


def read_features(
    path: StrPath, feature_names: Sequence[str], *, dtype: DTypeLike = np.float64
) -> NDArray:
    """Read only the named feature columns of a CSV file, for prediction.

    The target column may be present or absent; every column not named is
    ignored. Validation is that of :func:`load_csv`.

    Parameters
    ----------
    path : str or os.PathLike
        A UTF-8 CSV file with a header row.
    feature_names : sequence of str
        The columns to read, in the order the model expects them.
    dtype : floating dtype, default float64

    Returns
    -------
    X : ndarray of shape (n_x, m)
        Row ``i`` holds column ``feature_names[i]``.

    Examples
    --------
    >>> from fnnet.data import diabetes_csv
    >>> X = read_features(diabetes_csv(), ["BloodPressure", "Glucose"])
    >>> X.shape, X[:, 0]
    ((2, 400), array([ 63., 118.]))
    """
    dt = check_dtype(dtype, "f")
    names = check_names("feature_names", feature_names)
    try:
        return _read_fast(path, names, dt)
    except _Unusual:
        return _features(_read_table(path), names, dt)


def _load_fast(
    path: StrPath,
    target: str,
    chosen: tuple[str, ...] | None,
    task: str,
    classes: tuple[str, ...] | None,
    dt: np.dtype,
    progress: Progress | None,
) -> Dataset:
    """:func:`load_csv` by the fast reader; ``_Unusual`` where it cannot vouch.

    The columns are checked against the header first, so a missing column is
    named before the whole file is read.
    """
    layout = _layout(path)
    table = layout.table
    j = _column(table, target, "target")
    names = _feature_names(table, target, chosen)
    Xs, parts = [], []
    for block in _fast_blocks(layout, _Spec(_columns(table, names), j, dt), progress):
        Xs.append(block.X)
        parts.append(block.target)
    X = _joined(Xs)
    Y, classes, task = _target_of(table, j, parts, task, classes, dt)
    return Dataset(X, Y, names, classes, task)


def _load_exact(
    path: StrPath,
    target: str,
    chosen: tuple[str, ...] | None,
    task: str,
    classes: tuple[str, ...] | None,
    dt: np.dtype,
) -> Dataset:
    """:func:`load_csv` by the exact reader: every cell parsed in Python."""
    table = _read_table(path)
    j = _column(table, target, "target")
    names = _feature_names(table, target, chosen)
    X = _features(table, names, dt)
    Y, classes, task = _target(table, j, task, classes, dt)
    return Dataset(X, Y, names, classes, task)


def _read_fast(path: StrPath, names: tuple[str, ...], dt: np.dtype) -> NDArray:
    """:func:`read_features` by the fast reader; ``_Unusual`` where it cannot."""
    layout = _layout(path)
    spec = _Spec(_columns(layout.table, names), None, dt)
    return _joined([block.X for block in _fast_blocks(layout, spec)])


def _columns(table: _Table, names: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(_column(table, name, "feature") for name in names)


def _joined(Xs: list[NDArray]) -> NDArray:
    """Blocks of columns side by side; the one block itself if there is one."""
    if not Xs:
        raise _Unusual()  # no data rows: the exact reader says so
    return Xs[0] if len(Xs) == 1 else np.concatenate(Xs, axis=1)


def _feature_names(
    table: _Table, target: str, features: tuple[str, ...] | None
) -> tuple[str, ...]:
    """The checked ``features``, or by default every column but the target."""
    if features is None:
        names = tuple(column for column in table.header if column != target)
        if not names:
            raise ValueError(f"{table.path}: no feature columns besides {target!r}")
        return names
    if target in features:
        raise ValueError(
            f"features must not include the target column {target!r}, found {features}"
        )
    return features
