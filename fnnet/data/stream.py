"""CSV files in blocks of examples, to predict and evaluate in bounded memory.

:func:`iter_features` and :func:`iter_csv` read a file once, front to back,
and give what :func:`~fnnet.data.read_features` and
:func:`~fnnet.data.load_csv` give, cut into blocks of ``rows`` columns. Plain
blocks go through the fast reader (:mod:`fnnet.data.blocks`); from the first
block it cannot vouch for, the rest of the file goes through the exact reader
(:mod:`fnnet.data.table`), so an error is worded as the whole-file functions
word it, with the same line and column. As the file is not read whole first,
a file with two problems reports the first one met; the blocks before it
have been given out by then.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .._validation import (
    check_choice,
    check_dtype,
    check_name,
    check_names,
    check_positive_int,
)
from .blocks import _fast_blocks, _layout, _Spec, _Text, _Unusual
from .csvfile import _columns, _feature_names
from .table import StrPath, _column, _exact_tables, _features, _file_of, _Table
from .tasks import TASKS, Dataset, _check_classes, _target, _target_of

#: Rows of a block the exact reader holds as text at a time.
EXACT_ROWS = 4096

Part = tuple[NDArray, NDArray | None]  # (X, Y) of some examples, Y None if not read


class _Read(NamedTuple):
    """What to read: the feature names and, for :func:`iter_csv`, the target."""

    names: tuple[str, ...]
    target: str | None
    task: str
    classes: tuple[str, ...] | None
    dtype: np.dtype


def iter_features(
    path: StrPath,
    feature_names: Sequence[str],
    *,
    dtype: DTypeLike = np.float64,
    rows: int = 1 << 16,
) -> Iterator[NDArray]:
    """Read the named feature columns of a CSV file, ``rows`` examples at a time.

    Parameters and validation as for :func:`~fnnet.data.read_features`.

    Yields
    ------
    X : ndarray of shape (n_x, rows)
        The next ``rows`` examples (the last block: those left). Joined side
        by side, the blocks are what ``read_features`` returns.

    Examples
    --------
    >>> from fnnet.data import diabetes_csv
    >>> blocks = iter_features(diabetes_csv(), ["Glucose"], rows=256)
    >>> [X.shape for X in blocks]
    [(1, 256), (1, 144)]
    """
    read = _Read(check_names("feature_names", feature_names), None, "", None, dtype)
    for X, _ in _rebatched(_parts(path, _checked(read)), _rows(rows)):
        yield X


def iter_csv(
    path: StrPath,
    target: str,
    features: Sequence[str],
    *,
    task: str,
    classes: Sequence[str] | None = None,
    dtype: DTypeLike = np.float64,
    rows: int = 1 << 16,
) -> Iterator[Dataset]:
    """:func:`~fnnet.data.load_csv` ``rows`` examples at a time, for a known task.

    As the blocks are read one after another, the task and the classes are
    not inferred: give them (as a saved model holds them).

    Parameters
    ----------
    path, target, dtype
        As for :func:`~fnnet.data.load_csv`.
    features : sequence of str
        The feature columns, in the order wanted.
    task : {"binary", "multiclass", "regression"}
    classes : sequence of str
        The class list, in code order; required for classification, and not
        given for regression.
    rows : int
        Examples per block.

    Yields
    ------
    dataset : Dataset
        The next ``rows`` examples (the last block: those left), with the
        same names, classes and task in every block.

    Examples
    --------
    >>> from fnnet.data import diabetes_csv
    >>> blocks = iter_csv(diabetes_csv(), "Diabetes", ["Glucose"], task="binary",
    ...                   classes=["0", "1"], rows=300)
    >>> [(ds.X.shape, ds.Y.shape) for ds in blocks]
    [((1, 300), (1, 300)), ((1, 100), (1, 100))]
    """
    check_choice("task", task, TASKS)
    if (classes is None) != (task == "regression"):
        raise ValueError(
            f"classes must be given for a {task} target read in blocks, and only "
            f"for classification; found classes={classes!r}"
        )
    wanted = None if classes is None else _check_classes(classes, task)
    names = check_names("features", features)
    read = _checked(_Read(names, check_name("target", target), task, wanted, dtype))
    for X, Y in _rebatched(_parts(path, read), _rows(rows)):
        yield Dataset(X, Y, names, wanted, task)


def _checked(read: _Read) -> _Read:
    return read._replace(dtype=check_dtype(read.dtype, "f"))


def _rows(rows: int) -> int:
    return check_positive_int("rows", rows)


def _parts(path: StrPath, read: _Read) -> Iterator[Part]:
    """(X, Y) block by block: the fast reader's, then the exact reader's."""
    try:
        layout = _layout(path)
    except _Unusual:
        name, file = _file_of(path)
        yield from _exact_parts(_Table(name, (), []), 0, 1, file, read)
        return
    table = layout.table
    j, names = _chosen(table, read)
    spec = _Spec(_columns(table, names), j, read.dtype)
    resume = (table._replace(header=()), 0, 1)  # no rows: the exact reader says so
    try:
        for block in _fast_blocks(layout, spec):
            resume = (table, block.offset, block.line)
            yield block.X, _fast_target(table, j, block.target, read)
        if resume[1]:
            return
    except _Unusual as where:  # from this block on, the exact reader
        if where.offset is not None:
            resume = (table, where.offset, where.line)
    yield from _exact_parts(*resume, layout.file, read)


def _chosen(table: _Table, read: _Read) -> tuple[int | None, tuple[str, ...]]:
    """The target column (None if not read) and the feature names, by the header."""
    if read.target is None:
        return None, read.names
    j = _column(table, read.target, "target")
    return j, _feature_names(table, read.target, read.names)


def _fast_target(
    table: _Table, j: int | None, cells: NDArray | _Text | None, read: _Read
) -> NDArray | None:
    if j is None:
        return None
    return _target_of(table, j, [cells], read.task, read.classes, read.dtype)[0]


def _exact_parts(
    table: _Table, offset: int, line: int, file: pathlib.Path, read: _Read
) -> Iterator[Part]:
    """(X, Y) from byte ``offset`` (line ``line``) on, by the exact reader.

    ``table`` has no header when ``offset`` is 0: it is read here.
    """
    header = table.header or None
    for batch in _exact_tables(table.path, file, header, offset, line, EXACT_ROWS):
        j, names = _chosen(batch, read)
        X = _features(batch, names, read.dtype)
        if j is None:
            yield X, None
        else:
            yield X, _target(batch, j, read.task, read.classes, read.dtype)[0]


def _rebatched(parts: Iterator[Part], rows: int) -> Iterator[Part]:
    """The parts cut and joined into blocks of ``rows`` columns, then the rest."""
    held: list[Part] = []
    count = 0
    for part in parts:
        held.append(part)
        count += part[0].shape[1]
        if count < rows:
            continue
        X, Y = _joined(held)
        full = count - count % rows
        for start in range(0, full, rows):
            yield _cut(X, start, start + rows), _cut(Y, start, start + rows)
        held = [(_cut(X, full, count), _cut(Y, full, count))] if count > full else []
        count -= full
    if held:
        yield _joined(held)


def _joined(held: list[Part]) -> Part:
    if len(held) == 1:
        return held[0]
    X = np.concatenate([X for X, _ in held], axis=1)
    if held[0][1] is None:
        return X, None
    return X, np.concatenate([Y for _, Y in held], axis=1)


def _cut(A: NDArray | None, start: int, stop: int) -> NDArray | None:
    return None if A is None else np.ascontiguousarray(A[:, start:stop])
