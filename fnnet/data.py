"""Data sets and data plumbing: truth tables, tutorial data, CSV, scaling, splits.

fnnet keeps one example per column: ``X`` has shape ``(n_x, m)`` and ``Y`` has
shape ``(n_y, m)``. Files keep one example per row. This module is the edge
where rows become columns, so the maths never transposes anything.

Library constants (the truth tables, the tutorial data sets) are returned as
read-only arrays so that no caller can corrupt them for the next one. Nothing
here mutates its arguments, and the only randomness is the explicit ``seed``
of :func:`split`.
"""

from __future__ import annotations

import csv
import io
import math
import os
import pathlib
import re
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ._validation import as_seed, check_choice

__all__ = [
    "BUILTIN",
    "GATES",
    "Dataset",
    "Standardizer",
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

StrPath = str | os.PathLike
Seed = int | np.integer | np.random.Generator

#: Gate outputs for the inputs ``[0,0], [0,1], [1,0], [1,1]``, in that order.
GATES: Mapping[str, tuple[int, int, int, int]] = MappingProxyType(
    {
        "and": (0, 0, 0, 1),
        "or": (0, 1, 1, 1),
        "xor": (0, 1, 1, 0),
        "nand": (1, 1, 1, 0),
        "nor": (1, 0, 0, 0),
        "xnor": (1, 0, 0, 1),
    }
)
_GATE_INPUTS = ((0, 0, 1, 1), (0, 1, 0, 1))
_THREE_BIT_X = (
    (0, 1, 0),
    (0, 0, 1),
    (1, 0, 0),
    (1, 1, 0),
    (1, 1, 1),
    (0, 1, 1),
    (0, 1, 0),
)
_THREE_BIT_Y = (1, 0, 0, 1, 1, 0, 1)

#: Names accepted by :func:`load_builtin`.
BUILTIN: tuple[str, ...] = (*GATES, "three_bit", "diabetes")

_TASKS = ("auto", "binary", "multiclass", "regression")
_SENTINEL = "\x00end of fnnet input\x00"
# Plain decimal notation only: no "nan", "inf", "1_000", "0x1p3".
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class Dataset(NamedTuple):
    """A labelled data set, one example per column.

    Attributes
    ----------
    X : ndarray of shape (n_x, m)
        Features.
    Y : ndarray of shape (n_y, m)
        Targets ready for the output layer: a 0/1 row for ``"binary"``, one-hot
        columns ``(k, m)`` for ``"multiclass"``, the values for ``"regression"``.
    feature_names : tuple of str
        Name of each row of ``X``.
    classes : tuple of str or None
        Class labels; ``classes[i]`` is the label of class code ``i``. None for
        regression.
    task : str
        ``"binary"``, ``"multiclass"`` or ``"regression"``.
    """

    X: NDArray
    Y: NDArray
    feature_names: tuple[str, ...]
    classes: tuple[str, ...] | None
    task: str


class Standardizer(NamedTuple):
    """Per-feature statistics that map ``X`` to ``(X - mean) / scale``.

    Attributes
    ----------
    mean : ndarray of shape (n_x, 1)
        Mean of each feature over the training examples.
    scale : ndarray of shape (n_x, 1)
        Standard deviation of each feature; 1 for a constant feature.
    """

    mean: NDArray
    scale: NDArray


# ---------------------------------------------------------------- constants


def logic_gate(name: str, *, dtype: DTypeLike = np.float64) -> tuple[NDArray, NDArray]:
    """Return the truth table of a two-input logic gate.

    Parameters
    ----------
    name : str
        One of ``"and"``, ``"or"``, ``"xor"``, ``"nand"``, ``"nor"``, ``"xnor"``.
    dtype : floating or integer dtype, default float64

    Returns
    -------
    X : ndarray of shape (2, 4)
        The inputs as columns ``[0,0], [0,1], [1,0], [1,1]`` (read-only).
    Y : ndarray of shape (1, 4)
        The gate's output for each column, 0 or 1 (read-only).

    Examples
    --------
    >>> X, Y = logic_gate("xor")
    >>> X
    array([[0., 0., 1., 1.],
           [0., 1., 0., 1.]])
    >>> Y
    array([[0., 1., 1., 0.]])
    """
    dt = _check_dtype(dtype, integers_ok=True)
    check_choice("name", name, tuple(GATES))
    return _readonly(np.array(_GATE_INPUTS, dt)), _readonly(np.array([GATES[name]], dt))


def three_bit(*, dtype: DTypeLike = np.float64) -> tuple[NDArray, NDArray]:
    """Return the tutorial's seven 3-bit examples.

    Parameters
    ----------
    dtype : floating or integer dtype, default float64

    Returns
    -------
    X : ndarray of shape (3, 7)
        The examples ``[0,1,0], [0,0,1], [1,0,0], [1,1,0], [1,1,1], [0,1,1],
        [0,1,0]`` as columns (read-only).
    Y : ndarray of shape (1, 7)
        Their labels ``1, 0, 0, 1, 1, 0, 1`` (read-only).

    Examples
    --------
    >>> X, Y = three_bit()
    >>> X[:, 0], Y[0, 0]
    (array([0., 1., 0.]), np.float64(1.0))
    >>> X.shape, Y.shape
    ((3, 7), (1, 7))
    """
    dt = _check_dtype(dtype, integers_ok=True)
    X = np.array(_THREE_BIT_X, dt).T.copy()
    return _readonly(X), _readonly(np.array([_THREE_BIT_Y], dt))


def diabetes_csv() -> pathlib.Path:
    """Return the path of the shipped diabetes CSV (tutorial system 5).

    The data are SYNTHETIC. The tutorial's own file is not public, so fnnet
    ships 400 rows with the same columns, ``Glucose`` (2-hour plasma glucose,
    mg/dL), ``BloodPressure`` (diastolic, mmHg) and ``Diabetes`` (0/1), drawn
    from a seeded class-conditional model: 35 % prevalence, log-normal glucose
    (median 108 without and 140 with diabetes), normal blood pressure (mean 70
    and 75, sd 12, correlation 0.2 with glucose), rounded to integers. The
    classes overlap: logistic regression on the two features reaches about
    77 % accuracy, not 100 %. Regenerate it, byte for byte, from the
    repository root with ``python scripts/make_diabetes_csv.py``.

    Returns
    -------
    path : pathlib.Path
        ``fnnet/datasets/diabetes.csv`` inside the installed package.

    Examples
    --------
    >>> diabetes_csv().name
    'diabetes.csv'
    >>> diabetes_csv().read_text().splitlines()[0]
    'Glucose,BloodPressure,Diabetes'
    """
    return pathlib.Path(__file__).resolve().parent / "datasets" / "diabetes.csv"


def load_builtin(name: str, *, dtype: DTypeLike = np.float64) -> Dataset:
    """Load a built-in data set by name.

    Parameters
    ----------
    name : str
        One of :data:`BUILTIN`: a gate name, ``"three_bit"`` or ``"diabetes"``
        (the shipped CSV through :func:`load_csv`, not standardized).
    dtype : floating dtype, default float64

    Returns
    -------
    dataset : Dataset
        With read-only ``X`` of shape (n_x, m) and ``Y`` of shape (1, m), task
        ``"binary"`` and classes ``("0", "1")``.

    Examples
    --------
    >>> ds = load_builtin("diabetes")
    >>> ds.X.shape, ds.feature_names, ds.classes
    ((2, 400), ('Glucose', 'BloodPressure'), ('0', '1'))
    >>> load_builtin("and").Y
    array([[0., 0., 0., 1.]])
    """
    check_choice("name", name, BUILTIN)
    _check_dtype(dtype, integers_ok=False)
    if name == "diabetes":
        X, Y, names, classes, task = load_csv(diabetes_csv(), "Diabetes", dtype=dtype)
        return Dataset(_readonly(X), _readonly(Y), names, classes, task)
    X, Y = (
        three_bit(dtype=dtype) if name == "three_bit" else logic_gate(name, dtype=dtype)
    )
    names = tuple(f"x{i}" for i in range(1, X.shape[0] + 1))
    return Dataset(X, Y, names, ("0", "1"), "binary")


# ---------------------------------------------------------------- CSV files


def load_csv(
    path: StrPath,
    target: str,
    features: Sequence[str] | None = None,
    *,
    task: str = "auto",
    dtype: DTypeLike = np.float64,
    classes: Sequence[str] | None = None,
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
    columns may hold anything. Numeric labels are written canonically, so
    ``1``, ``1.0`` and ``1e0`` are the class ``"1"``; other labels are kept as
    written (stripped). Classes are sorted, numbers first and in numeric
    order, so for a binary target ``classes[1]`` is the positive class and
    0/1 labels give ``("0", "1")``.

    Examples
    --------
    >>> ds = load_csv(diabetes_csv(), "Diabetes")
    >>> ds.X.shape, ds.Y.shape, ds.task, ds.classes
    ((2, 400), (1, 400), 'binary', ('0', '1'))
    >>> ds.X[:, 0], ds.Y[:, 0]
    (array([118.,  63.]), array([0.]))
    """
    dt = _check_dtype(dtype, integers_ok=False)
    check_choice("task", task, _TASKS)
    wanted = None if classes is None else _check_classes(classes, task)
    table = _read_table(path)
    j = _column(table, _check_name(target, "target"), "target")
    names = _feature_names(table, target, features)
    X = _features(table, names, dt)
    Y, wanted, task = _target(table, j, task, wanted, dt)
    return Dataset(X, Y, names, wanted, task)


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
    >>> X = read_features(diabetes_csv(), ["BloodPressure", "Glucose"])
    >>> X.shape, X[:, 0]
    ((2, 400), array([ 63., 118.]))
    """
    dt = _check_dtype(dtype, integers_ok=False)
    names = _check_names(feature_names, "feature_names")
    return _features(_read_table(path), names, dt)


class _Table(NamedTuple):
    path: str  # as the caller gave it, for messages
    header: tuple[str, ...]
    rows: list[tuple[int, list[str]]]  # (line number, stripped cells)


def _read_table(path: StrPath) -> _Table:
    name, text = _read_text(path)
    records = _records(name, text)
    if not records:
        raise ValueError(f"{name}: the file is empty (expected a header row)")
    header = _header(name, *records[0])
    if len(records) == 1:
        raise ValueError(f"{name}: the file has a header but no data rows")
    for line, cells in records[1:]:
        if len(cells) != len(header):
            found = "a blank line" if _blank(cells) else f"{len(cells)} fields"
            raise ValueError(
                f"{name}, line {line}: expected {len(header)} fields as in the "
                f"header, found {found}"
            )
    return _Table(name, header, records[1:])


def _read_text(path: StrPath) -> tuple[str, str]:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"path must be a str or os.PathLike, found {type(path).__name__}"
        )
    name, file = os.fspath(path), pathlib.Path(path)
    if file.is_dir():
        raise ValueError(f"path {name!r} is a directory, expected a CSV file")
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"path {name!r}: no such file") from None
    try:
        return name, raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        bad = raw[err.start : err.start + 1]
        raise ValueError(
            f"path {name!r} is not UTF-8 text: line {line} has the byte {bad!r}"
        ) from None


def _records(name: str, text: str) -> list[tuple[int, list[str]]]:
    """Parse CSV records as (first line number, stripped cells), no trailing blanks.

    The reader is lenient about text after a closing quote (``"a" ,``). It
    would also silently read an unclosed quote to the end of the file, so a
    sentinel record is appended: if a quote is still open, it swallows it.
    """
    stream = io.StringIO(f"{text}\n{_SENTINEL}\n", newline="")
    reader = csv.reader(stream, skipinitialspace=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for fields in reader:
            records.append((start, [field.strip() for field in fields]))
            start = reader.line_num + 1
    except csv.Error as err:
        raise ValueError(f"{name}, line {start}: malformed CSV ({err})") from None
    line, cells = records.pop()
    if cells != [_SENTINEL]:
        raise ValueError(
            f"{name}, line {line}: a quoted field is never closed "
            "(unbalanced double quote)"
        )
    while records and _blank(records[-1][1]):
        records.pop()
    return records


def _blank(cells: list[str]) -> bool:
    return cells in ([], [""])


def _header(name: str, line: int, cells: list[str]) -> tuple[str, ...]:
    if _blank(cells):
        raise ValueError(
            f"{name}, line {line}: expected the header row, found a blank line"
        )
    for i, column in enumerate(cells):
        if not column:
            raise ValueError(f"{name}, line {line}: header field {i + 1} has no name")
        if column in cells[:i]:
            first = cells.index(column) + 1
            raise ValueError(
                f"{name}, line {line}: duplicate column name {column!r} "
                f"(fields {first} and {i + 1})"
            )
    return tuple(cells)


def _column(table: _Table, column: str, role: str) -> int:
    if column not in table.header:
        available = ", ".join(map(repr, table.header))
        raise ValueError(
            f"{table.path}: {role} column {column!r} not found; "
            f"available columns: {available}"
        )
    return table.header.index(column)


def _feature_names(
    table: _Table, target: str, features: Sequence[str] | None
) -> tuple[str, ...]:
    if features is None:
        names = tuple(column for column in table.header if column != target)
        if not names:
            raise ValueError(f"{table.path}: no feature columns besides {target!r}")
        return names
    names = _check_names(features, "features")
    if target in names:
        raise ValueError(
            f"features must not include the target column {target!r}, found {names}"
        )
    return names


def _where(table: _Table, line: int, j: int) -> str:
    return f"{table.path}, line {line}, column {table.header[j]!r}"


def _features(table: _Table, names: tuple[str, ...], dtype: np.dtype) -> NDArray:
    columns = [_column(table, column, "feature") for column in names]
    rows = [
        [_number(table, line, cells, j) for j in columns] for line, cells in table.rows
    ]
    return _cast(table, np.array(rows, np.float64).T, columns, dtype)


def _number(table: _Table, line: int, cells: list[str], j: int) -> float:
    value = _parse(cells[j], lambda: _where(table, line, j))
    if value is None:
        raise ValueError(
            f"{_where(table, line, j)}: expected a number, found {cells[j]!r}"
        )
    return value


def _parse(cell: str, where: Callable[[], str]) -> float | None:
    """Value of a numeric cell, None for text; raise if empty or not finite."""
    if not cell:
        raise ValueError(f"{where()}: missing value (empty cell)")
    if _NUMBER.fullmatch(cell):
        value = float(cell)
    elif cell.lstrip("+-").lower() in ("nan", "inf", "infinity"):
        value = math.nan
    else:
        return None
    if not math.isfinite(value):
        raise ValueError(
            f"{where()}: found {cell!r}, not a finite number (NaN and infinity are "
            "not valid data)"
        )
    return value


def _cast(
    table: _Table, values: NDArray, columns: list[int], dtype: np.dtype
) -> NDArray:
    """Cast (k, m) float64 values to dtype, naming the cell of any overflow."""
    with np.errstate(over="ignore"):
        out = np.ascontiguousarray(values, dtype=dtype)
    bad = np.argwhere(~np.isfinite(out))
    if bad.size:
        i, k = bad[0]
        line, cells = table.rows[k]
        raise ValueError(
            f"{_where(table, line, columns[i])}: {cells[columns[i]]!r} is out of "
            f"range for {dtype.name}"
        )
    return out


# ---------------------------------------------------------------- targets


def _target(
    table: _Table, j: int, task: str, classes: tuple[str, ...] | None, dtype: np.dtype
) -> tuple[NDArray, tuple[str, ...] | None, str]:
    """Return (Y, classes, task) for target column ``j``."""
    values = [
        _parse(cells[j], lambda r=line: _where(table, r, j))
        for line, cells in table.rows
    ]
    numeric = all(value is not None for value in values)
    labels = [
        _label(cells[j], value)
        for (_, cells), value in zip(table.rows, values, strict=True)
    ]
    task = _infer_task(table, j, task, classes, numeric, labels)
    if task == "regression":
        return _regression(table, j, values, dtype), None, task
    if classes is None:
        classes = _class_list(table, j, task, numeric, labels)
    codes = _codes(table, j, labels, classes)
    if task == "binary":
        return codes[np.newaxis].astype(dtype), classes, task
    return one_hot(codes, len(classes), dtype=dtype), classes, task


def _label(cell: str, value: float | None) -> str:
    """Canonical class label: numbers as ``"1"`` or ``"0.5"``, text as written."""
    if value is None:
        return cell
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def _label_order(label: str) -> tuple[int, float, str]:
    value = float(label) if _NUMBER.fullmatch(label) else None
    return (1, 0.0, label) if value is None else (0, value, "")


def _infer_task(
    table: _Table,
    j: int,
    task: str,
    classes: tuple[str, ...] | None,
    numeric: bool,
    labels: list[str],
) -> str:
    if task != "auto":
        return task
    if classes is not None:
        return "binary" if len(classes) == 2 else "multiclass"
    distinct = set(labels)
    if numeric and len(distinct) > 2:
        return "regression"
    if len(distinct) == 1:
        raise ValueError(
            f"{table.path}: target column {table.header[j]!r} has a single value "
            f"{labels[0]!r}; cannot infer the task (pass task= and classes=)"
        )
    return "binary" if len(distinct) == 2 else "multiclass"


def _class_list(
    table: _Table, j: int, task: str, numeric: bool, labels: list[str]
) -> tuple[str, ...]:
    distinct = tuple(sorted(set(labels), key=_label_order))
    if task == "binary" and numeric and set(distinct) <= {"0", "1"}:
        return ("0", "1")
    expected = "exactly 2" if task == "binary" else "at least 2"
    if len(distinct) < 2 or (task == "binary" and len(distinct) != 2):
        shown = ", ".join(map(repr, distinct[:10])) + (
            ", ..." if len(distinct) > 10 else ""
        )
        raise ValueError(
            f"{table.path}: a {task} target needs {expected} classes but column "
            f"{table.header[j]!r} has {len(distinct)}: {shown} (or pass classes=)"
        )
    return distinct


def _codes(
    table: _Table, j: int, labels: list[str], classes: tuple[str, ...]
) -> NDArray:
    index = {label: code for code, label in enumerate(classes)}
    for (line, cells), label in zip(table.rows, labels, strict=True):
        if label not in index:
            raise ValueError(
                f"{_where(table, line, j)}: label {cells[j]!r} is not one of the "
                f"classes {classes}"
            )
    return np.array([index[label] for label in labels], dtype=np.intp)


def _regression(
    table: _Table, j: int, values: list[float | None], dtype: np.dtype
) -> NDArray:
    for (line, cells), value in zip(table.rows, values, strict=True):
        if value is None:
            raise ValueError(
                f"{_where(table, line, j)}: a regression target must be numeric, "
                f"found {cells[j]!r}"
            )
    return _cast(table, np.array([values], np.float64), [j], dtype)


# ---------------------------------------------------------------- arrays


def fit_standardizer(X: ArrayLike) -> Standardizer:
    """Compute each feature's mean and standard deviation over the examples.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
        Training features, finite, with ``m >= 1``.

    Returns
    -------
    stats : Standardizer
        Read-only ``mean`` and ``scale`` of shape (n_x, 1). A constant feature
        gets its value as mean and scale 1, so it standardizes to exactly 0.

    Notes
    -----
    ``scale`` is the population standard deviation ``sqrt(mean((x - mean)**2))``,
    as in scikit-learn's ``StandardScaler``, computed on deviations divided by
    their largest magnitude so that tiny features do not underflow to 0.

    Examples
    --------
    >>> stats = fit_standardizer([[1.0, 3.0], [5.0, 5.0]])
    >>> stats.mean.ravel(), stats.scale.ravel()
    (array([2., 5.]), array([1., 1.]))
    """
    X = _matrix(X, "X", floating=True)
    if X.shape[1] == 0:
        raise ValueError(
            "X has 0 columns; fitting needs at least one example (X must be (n_x, m))"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        mean = X.mean(axis=1, keepdims=True)
        scale = _std(X - mean)
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))):
        raise ValueError("X has values too large to standardize (overflow)")
    constant = np.all(X == X[:, :1], axis=1, keepdims=True)
    mean = np.where(constant, X[:, :1], mean)  # exact, so constants map to 0
    scale = np.where(constant | (scale == 0), 1, scale)
    return Standardizer(_readonly(mean), _readonly(scale))


def _std(D: NDArray) -> NDArray:
    """Root mean square of each row, scaled first so squares cannot underflow."""
    top = np.max(np.abs(D), axis=1, keepdims=True)
    top = np.where(top == 0, 1, top)
    return top * np.sqrt(np.mean((D / top) ** 2, axis=1, keepdims=True))


def standardize(
    X: ArrayLike, stats: Standardizer | None = None
) -> tuple[NDArray, Standardizer]:
    """Scale each feature to mean 0 and standard deviation 1.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
        Features.
    stats : Standardizer, optional
        Statistics to apply, typically fitted on the training set so that new
        data are scaled the same way. Default: fit them on ``X``.

    Returns
    -------
    Z : ndarray of shape (n_x, m)
        ``(X - stats.mean) / stats.scale``, in X's floating dtype (float64 for
        integer X).
    stats : Standardizer
        The statistics used.

    Examples
    --------
    >>> Z, stats = standardize([[1.0, 2.0, 3.0]])
    >>> Z
    array([[-1.22474487,  0.        ,  1.22474487]])
    >>> standardize([[4.0]], stats)[0]
    array([[2.44948974]])
    """
    X = _matrix(X, "X", floating=True)
    if stats is None:
        stats = fit_standardizer(X)
    _check_stats(stats, X.shape[0])
    mean, scale = np.asarray(stats.mean, X.dtype), np.asarray(stats.scale, X.dtype)
    with np.errstate(over="ignore"):
        Z = (X - mean) / scale
    if not np.all(np.isfinite(Z)):
        i, k = np.argwhere(~np.isfinite(Z))[0]
        raise ValueError(
            f"standardizing X[{i}, {k}] = {X[i, k]} with stats.scale[{i}] = "
            f"{scale[i, 0]} overflows {X.dtype.name}"
        )
    return Z, stats


def split(
    X: ArrayLike, Y: ArrayLike, *, fraction: float = 0.2, seed: Seed = 0
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Shuffle the examples (columns) and split off a validation set.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
        Features, one example per column.
    Y : ndarray of shape (n_y, m)
        Targets, column ``i`` belonging to column ``i`` of ``X``.
    fraction : float, default 0.2
        Share of the examples that go to validation, in (0, 1); the validation
        set has ``round(fraction * m)`` examples (halves round up).
    seed : int or numpy.random.Generator, default 0
        Source of the permutation. A Generator is advanced, not copied.

    Returns
    -------
    X_train : ndarray of shape (n_x, m - m_val)
    Y_train : ndarray of shape (n_y, m - m_val)
    X_val : ndarray of shape (n_x, m_val)
    Y_val : ndarray of shape (n_y, m_val)

    Examples
    --------
    >>> X, Y = np.arange(10.0).reshape(1, 10), np.arange(10).reshape(1, 10) % 2
    >>> X_train, Y_train, X_val, Y_val = split(X, Y, fraction=0.3, seed=0)
    >>> X_train.shape, X_val.shape
    ((1, 7), (1, 3))
    >>> bool(np.all(X_val % 2 == Y_val))
    True
    """
    X, Y = _matrix(X, "X"), _matrix(Y, "Y")
    m = X.shape[1]
    if Y.shape[1] != m:
        raise ValueError(
            f"X has {m} columns but Y has {Y.shape[1]} "
            "(X must be (n_x, m) and Y (n_y, m))"
        )
    m_val = _validation_size(fraction, m)
    order = as_seed(seed).permutation(m)
    train, val = order[m_val:], order[:m_val]
    return X[:, train], Y[:, train], X[:, val], Y[:, val]


def one_hot(
    labels: ArrayLike, n_classes: int | None = None, *, dtype: DTypeLike = np.float64
) -> NDArray:
    """Turn integer class codes into one-hot columns.

    Parameters
    ----------
    labels : array_like of int, shape (m,)
        Class codes in ``0 .. n_classes - 1``.
    n_classes : int, optional
        Number of classes k. Default: ``max(labels) + 1``.
    dtype : floating or integer dtype, default float64

    Returns
    -------
    Y : ndarray of shape (k, m)
        ``Y[c, i] == 1`` where ``labels[i] == c``, else 0, so
        ``Y.argmax(axis=0)`` gives the labels back.

    Examples
    --------
    >>> one_hot([2, 0, 1])
    array([[0., 1., 0.],
           [0., 0., 1.],
           [1., 0., 0.]])
    """
    dt = _check_dtype(dtype, integers_ok=True)
    codes = _codes_array(labels)
    k = _n_classes(codes, n_classes)
    Y = np.zeros((k, codes.size), dtype=dt)
    Y[codes, np.arange(codes.size)] = 1
    return Y


# ---------------------------------------------------------------- checks


def _readonly(array: NDArray) -> NDArray:
    array.setflags(write=False)
    return array


def _check_dtype(dtype: DTypeLike, *, integers_ok: bool) -> np.dtype:
    expected = "a floating or integer dtype" if integers_ok else "a floating dtype"
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"dtype must be {expected} such as np.float64, found {dtype!r}"
        ) from None
    if dt.kind not in ("fiu" if integers_ok else "f"):
        raise TypeError(f"dtype must be {expected} such as np.float64, found {dt}")
    return dt


def _check_name(value: str, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a column name (str), found {type(value).__name__}"
        )
    return value


def _check_names(values: Sequence[str], name: str) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise TypeError(
            f"{name} must be a sequence of str such as a list, "
            f"found {type(values).__name__}"
            + (f" {values!r} (wrap it in a list)" if isinstance(values, str) else "")
        )
    names = tuple(_check_name(value, f"{name}[{i}]") for i, value in enumerate(values))
    if not names:
        raise ValueError(
            f"{name} must name at least one column, found an empty sequence"
        )
    if "" in names:
        raise ValueError(f"{name} must not contain an empty name, found {names}")
    repeated = sorted({value for value in names if names.count(value) > 1})
    if repeated:
        raise ValueError(
            f"{name} must not repeat a name, found {repeated} more than once"
        )
    return names


def _check_classes(classes: Sequence[str], task: str) -> tuple[str, ...]:
    if task == "regression":
        raise ValueError(
            f"classes applies to classification only, found classes={classes!r} "
            "with task='regression'"
        )
    names = _check_names(classes, "classes")
    wanted = tuple(_label(value, _parse(value, lambda: "classes")) for value in names)
    if len(set(wanted)) != len(wanted):
        raise ValueError(
            f"classes must be distinct, found {names} (numbers compare by value)"
        )
    if len(wanted) < 2 or (task == "binary" and len(wanted) != 2):
        expected = "exactly 2" if task == "binary" else "at least 2"
        raise ValueError(f"classes must list {expected} labels, found {names}")
    return wanted


def _check_stats(stats: Standardizer, n_x: int) -> None:
    if not isinstance(stats, Standardizer):
        raise TypeError(f"stats must be a Standardizer, found {type(stats).__name__}")
    for name in ("mean", "scale"):
        array = _matrix(getattr(stats, name), f"stats.{name}", floating=True)
        if array.shape != (n_x, 1):
            raise ValueError(
                f"X has {n_x} rows but stats.{name} has shape {array.shape} "
                f"(expected ({n_x}, 1): stats must come from the same features)"
            )
    if np.any(np.asarray(stats.scale) <= 0):
        raise ValueError(f"stats.scale must be positive, found {np.min(stats.scale)}")


def _matrix(X: ArrayLike, name: str, *, floating: bool = False) -> NDArray:
    """Validate a finite numeric 2-D array; with floating, cast integers to float64."""
    try:
        A = np.asarray(X)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} must be a 2-D numeric array, found {type(X).__name__} ({err})"
        ) from None
    if A.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, found dtype {A.dtype}")
    if A.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D, of shape (n, m) with one example per column, "
            f"found shape {A.shape}"
        )
    if floating and A.dtype.kind != "f":
        A = A.astype(np.float64)
    if A.dtype.kind == "f" and not np.all(np.isfinite(A)):
        i, k = np.argwhere(~np.isfinite(A))[0]
        raise ValueError(f"{name} must be finite, found {A[i, k]} at [{i}, {k}]")
    return A


def _validation_size(fraction: float, m: int) -> int:
    if isinstance(fraction, bool) or not isinstance(
        fraction, (int, float, np.floating, np.integer)
    ):
        raise TypeError(
            f"fraction must be a number in (0, 1), found {type(fraction).__name__}"
        )
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be strictly between 0 and 1, found {fraction}")
    m_val = math.floor(fraction * m + 0.5)
    if not 0 < m_val < m:
        raise ValueError(
            f"m={m} examples are too few for fraction={fraction}: it gives "
            f"{m_val} validation and {m - m_val} training examples, both must be >= 1"
        )
    return m_val


def _codes_array(labels: ArrayLike) -> NDArray:
    codes = np.asarray(labels)
    if codes.size == 0 and codes.ndim == 1:
        codes = codes.astype(np.intp)
    if codes.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers, found dtype {codes.dtype}")
    if codes.ndim != 1:
        raise ValueError(f"labels must be 1-D of shape (m,), found shape {codes.shape}")
    if codes.size and codes.min() < 0:
        i = int(np.argmin(codes))
        raise ValueError(f"labels must be >= 0, found {codes[i]} at index {i}")
    return codes


def _n_classes(codes: NDArray, n_classes: int | None) -> int:
    if n_classes is None:
        if codes.size == 0:
            raise ValueError(
                "labels is empty, so n_classes cannot be inferred; pass n_classes"
            )
        return int(codes.max()) + 1
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)):
        raise TypeError(f"n_classes must be an int, found {type(n_classes).__name__}")
    if n_classes < 1:
        raise ValueError(f"n_classes must be >= 1, found {n_classes}")
    if codes.size and codes.max() >= n_classes:
        i = int(np.argmax(codes))
        raise ValueError(
            f"labels must be < n_classes={n_classes}, found {codes[i]} at index {i}"
        )
    return int(n_classes)
