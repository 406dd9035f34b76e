"""The CSV table: a file read into a header and rows of stripped cells.

This is the lowest layer of the CSV loader. It knows the file format (UTF-8,
quoting, ragged rows) and how a cell becomes a number, and it names the file,
line and column of any problem; :mod:`fnnet.data.csvfile` chooses the columns
and :mod:`fnnet.data.tasks` reads the target.
"""

from __future__ import annotations

import csv
import io
import math
import os
import pathlib
import re
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

StrPath = str | os.PathLike

_SENTINEL = "\x00end of fnnet input\x00"
# Plain decimal notation only: no "nan", "inf", "1_000", "0x1p3".
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class _Table(NamedTuple):
    """A parsed CSV file: every data row has as many cells as the header."""

    path: str  # as the caller gave it, for messages
    header: tuple[str, ...]
    rows: list[tuple[int, list[str]]]  # (line number, stripped cells)


def _read_table(path: StrPath) -> _Table:
    """Read and parse the CSV file at ``path``; no cell is interpreted yet."""
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
    """The name of the file for messages, and its text decoded from UTF-8."""
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
