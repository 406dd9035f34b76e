"""The task policy: the tasks, the output each takes, how a target is read.

This is the one place that knows the tasks. A :class:`Dataset` holds one of
:data:`TASKS`; :func:`fnnet.data.load_csv` also takes ``"auto"``
(:data:`TASK_CHOICES`) and then infers the task from the target column
(:func:`_infer_task`), which :func:`_target` reads into ``Y`` from the exact
reader's cells and :func:`_target_of` from the fast reader's blocks, by the
same rules.
:data:`TASK_OUTPUTS` names the output layer each task trains with; a binary
target can also train a softmax output as two one-hot classes, which
:func:`as_multiclass` makes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from .._validation import check_names
from .blocks import _Text, _Unusual
from .preprocessing import one_hot
from .table import _NUMBER, _cast, _parse, _Table, _where

#: The learning tasks: a :class:`Dataset`'s ``task`` is one of these.
TASKS: tuple[str, ...] = ("binary", "multiclass", "regression")
#: The ``task`` choices of :func:`fnnet.data.load_csv`: a task, or ``"auto"``.
TASK_CHOICES: tuple[str, ...] = ("auto", *TASKS)
#: The output layer each task trains with (a binary target also trains a
#: softmax output once :func:`as_multiclass` has made it two classes).
TASK_OUTPUTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"binary": ("sigmoid",), "multiclass": ("softmax",), "regression": ("identity",)}
)


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
        One of :data:`TASKS`: ``"binary"``, ``"multiclass"`` or ``"regression"``.
    """

    X: NDArray
    Y: NDArray
    feature_names: tuple[str, ...]
    classes: tuple[str, ...] | None
    task: str


def as_multiclass(ds: Dataset) -> Dataset:
    """A binary data set as two one-hot classes, for a softmax output.

    Parameters
    ----------
    ds : Dataset
        A ``"binary"`` data set: ``Y`` of shape (1, m) with 0/1 codes.

    Returns
    -------
    dataset : Dataset
        The same data with task ``"multiclass"`` and ``Y`` of shape (2, m),
        ``Y[c, i] == 1`` where example ``i`` has code ``c``; ``classes`` and
        the features are unchanged.

    Examples
    --------
    >>> from fnnet.data import load_builtin
    >>> ds = as_multiclass(load_builtin("and"))
    >>> ds.task, ds.Y
    ('multiclass', array([[1., 1., 1., 0.],
           [0., 0., 0., 1.]]))
    """
    if not isinstance(ds, Dataset):
        raise TypeError(f"ds must be a Dataset, found {type(ds).__name__}")
    if ds.task != "binary":
        raise ValueError(f"ds must be a binary Dataset, found task {ds.task!r}")
    Y = one_hot(ds.Y[0].astype(np.intp), 2, dtype=ds.Y.dtype)
    return ds._replace(Y=Y, task="multiclass")


# ---------------------------------------------------------------- target column


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
    task = _infer_task(table, j, task, classes, numeric, len(set(labels)), labels[0])
    if task == "regression":
        return _regression(table, j, values, dtype), None, task
    if classes is None:
        classes = _class_list(table, j, task, numeric, labels)
    codes = _codes(table, j, labels, classes)
    if task == "binary":
        return codes[np.newaxis].astype(dtype), classes, task
    return one_hot(codes, len(classes), dtype=dtype), classes, task


def _target_of(
    table: _Table,
    j: int,
    parts: list[NDArray | _Text],
    task: str,
    classes: tuple[str, ...] | None,
    dtype: np.dtype,
) -> tuple[NDArray, tuple[str, ...] | None, str]:
    """:func:`_target` for a column read by the fast reader, block by block.

    ``parts`` hold float64 values, or the raw text of a block where some cell
    is not a number. Errors about the whole column are raised as
    :func:`_target` raises them; where it would name a row, this raises
    ``_Unusual`` so that the exact reader finds the row.
    """
    values, text, labels = _column_values(parts)
    numeric = not labels
    distinct, inverse = np.unique(values[text < 0], return_inverse=True)
    named = [_label("", float(value)) for value in distinct[:3]]
    count = len(distinct) + len(labels)
    task = _infer_task(table, j, task, classes, numeric, count, [*named, *labels][0])
    if task == "regression":
        if not numeric:
            raise _Unusual()
        with np.errstate(over="ignore"):
            Y = values[np.newaxis].astype(dtype)
        if not np.isfinite(Y).all():
            raise _Unusual()
        return Y, None, task
    named = [_label("", float(value)) for value in distinct]
    if classes is None:
        classes = _class_list(table, j, task, numeric, named + labels)
    index = {label: code for code, label in enumerate(classes)}
    lookup = np.array([index.get(label, -1) for label in named + labels], np.intp)
    if (lookup < 0).any():
        raise _Unusual()
    codes = np.where(text < 0, 0, text + len(named))
    codes[text < 0] = inverse
    codes = lookup[codes]
    if task == "binary":
        return codes[np.newaxis].astype(dtype), classes, task
    return one_hot(codes, len(classes), dtype=dtype), classes, task


def _column_values(
    parts: list[NDArray | _Text],
) -> tuple[NDArray, NDArray, list[str]]:
    """Values (NaN for text), text label ids (-1 for numbers) and the text labels.

    Each distinct raw cell is read once, as :func:`_target` reads a cell;
    ``_Unusual`` for a cell it would reject (empty, NaN or infinite).
    """
    labels: dict[str, int] = {}
    values, text = [], []
    for part in parts:
        if isinstance(part, _Text):
            read = [_number_or_label(str(cell).strip(), labels) for cell in part.cells]
            values.append(np.array([value for value, _ in read])[part.index])
            text.append(np.array([label for _, label in read], np.intp)[part.index])
            continue
        if not np.isfinite(part).all():
            raise _Unusual()
        values.append(part)
        text.append(np.full(len(part), -1, np.intp))
    return np.concatenate(values), np.concatenate(text), list(labels)


def _number_or_label(cell: str, labels: dict[str, int]) -> tuple[float, int]:
    """(value, -1) for a number, (NaN, label id) for text; _Unusual if invalid."""
    try:
        value = _parse(cell, lambda: "")
    except ValueError:
        raise _Unusual() from None
    if value is None:
        return np.nan, labels.setdefault(cell, len(labels))
    return value, -1


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
    count: int,
    first: str,
) -> str:
    """The task of target column ``j``: ``task`` itself unless it is ``"auto"``.

    ``"auto"``: given ``classes`` mean classification (binary for 2 classes);
    otherwise a numeric column with more than 2 distinct values is
    regression, and labels are classes (binary for 2 distinct labels).
    ``count`` is the number of distinct labels and ``first`` one of them.
    """
    if task != "auto":
        return task
    if classes is not None:
        return "binary" if len(classes) == 2 else "multiclass"
    if numeric and count > 2:
        return "regression"
    if count == 1:
        raise ValueError(
            f"{table.path}: target column {table.header[j]!r} has a single value "
            f"{first!r}; cannot infer the task (pass task= and classes=)"
        )
    return "binary" if count == 2 else "multiclass"


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


def _check_classes(classes: Sequence[str], task: str) -> tuple[str, ...]:
    """The ``classes=`` given to :func:`fnnet.data.load_csv`, as canonical labels."""
    if task == "regression":
        raise ValueError(
            f"classes applies to classification only, found classes={classes!r} "
            "with task='regression'"
        )
    names = check_names("classes", classes, "class")
    wanted = tuple(_label(value, _parse(value, lambda: "classes")) for value in names)
    if len(set(wanted)) != len(wanted):
        raise ValueError(
            f"classes must be distinct, found {names} (numbers compare by value)"
        )
    if len(wanted) < 2 or (task == "binary" and len(wanted) != 2):
        expected = "exactly 2" if task == "binary" else "at least 2"
        raise ValueError(f"classes must list {expected} labels, found {names}")
    return wanted
