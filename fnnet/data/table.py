"""The exact CSV reader: a file read into a header and rows of stripped cells.

This is the lowest layer of the CSV loader. It knows the file format (UTF-8,
quoting, ragged rows) and how a cell becomes a number, and it names the file,
line and column of any problem. It reads a whole file (:func:`_read_table`)
or, for files larger than memory, the rest of one from any line on, a table
of rows at a time (:func:`_exact_tables`). The fast reader
(:mod:`fnnet.data.blocks`) hands it whatever it cannot vouch for;
:mod:`fnnet.data.csvfile` chooses the columns and :mod:`fnnet.data.tasks`
reads the target.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import pathlib
import re
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO, NamedTuple

import numpy as np
from numpy.typing import NDArray

StrPath = str | os.PathLike

#: Bytes the streaming exact reader decodes at a time (cut to whole lines).
TEXT_BYTES = 1 << 20
_SENTINEL = "\x00end of fnnet input\x00"
# Plain decimal notation only: no "nan", "inf", "1_000", "0x1p3".
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class _Table(NamedTuple):
    """A parsed CSV file: every data row has as many cells as the header."""

    path: str  # as the caller gave it, for messages
    header: tuple[str, ...]
    rows: list[tuple[int, list[str]]]  # (line number, stripped cells)


def _read_table(path: StrPath) -> _Table:
    """Read and parse the CSV file at ``path``; no cell is interpreted yet.

    The whole file is decoded and parsed before the rows are checked, so a
    decoding or quoting error anywhere comes before a ragged row.
    """
    name, text = _read_text(path)
    lines = io.StringIO(f"{text}\n{_SENTINEL}\n", newline="")
    records = list(_records(name, lines))
    header, rows = _header_and_rows(name, iter(records))
    return _Table(name, header, list(rows))


def _file_of(path: StrPath) -> tuple[str, pathlib.Path]:
    """The name of the file for messages, and the file; not a directory."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"path must be a str or os.PathLike, found {type(path).__name__}"
        )
    name, file = os.fspath(path), pathlib.Path(path)
    if file.is_dir():
        raise ValueError(f"path {name!r} is a directory, expected a CSV file")
    return name, file


def _missing(name: str) -> FileNotFoundError:
    return FileNotFoundError(f"path {name!r}: no such file")


def _read_text(path: StrPath) -> tuple[str, str]:
    """The name of the file for messages, and its text decoded from UTF-8."""
    name, file = _file_of(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise _missing(name) from None
    return name, _decode(name, raw, 1, "utf-8-sig")


def _decode(name: str, raw: bytes, line: int, encoding: str = "utf-8") -> str:
    """``raw`` (whole lines from line ``line``) as text, or name the first bad byte."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as err:
        line += raw[: err.start].count(b"\n")
        bad = raw[err.start : err.start + 1]
        raise ValueError(
            f"path {name!r} is not UTF-8 text: line {line} has the byte {bad!r}"
        ) from None


def _records(
    name: str, lines: Iterable[str], line: int = 1
) -> Iterator[tuple[int, list[str]]]:
    """CSV records as (first line number, stripped cells); ``line`` is the first's.

    ``lines`` must end with the line ``_SENTINEL``: the reader is lenient
    about text after a closing quote (``"a" ,``), and would also silently read
    an unclosed quote to the end of the file, so if a quote is still open the
    sentinel record is swallowed, and that is an error.
    """
    reader = csv.reader(lines, skipinitialspace=True)
    start, held = line, None
    try:
        for fields in reader:
            if held is not None:
                yield held
            held = (start, [field.strip() for field in fields])
            start = line + reader.line_num
    except csv.Error as err:
        raise ValueError(f"{name}, line {start}: malformed CSV ({err})") from None
    if held is None or held[1] != [_SENTINEL]:
        raise ValueError(
            f"{name}, line {held[0] if held else line}: a quoted field is never "
            "closed (unbalanced double quote)"
        )


def _header_and_rows(
    name: str, records: Iterator[tuple[int, list[str]]]
) -> tuple[tuple[str, ...], Iterator[tuple[int, list[str]]]]:
    """The checked header, and the data rows (checked as they are read)."""
    first = None
    for line, cells in records:
        first = first or (line, cells)
        if not _blank(cells):
            break
    else:
        raise ValueError(f"{name}: the file is empty (expected a header row)")
    header = _header(name, *first)  # a blank line before it is an error
    return header, _rows(name, header, records, first=True)


def _rows(
    name: str,
    header: tuple[str, ...],
    records: Iterator[tuple[int, list[str]]],
    first: bool,
) -> Iterator[tuple[int, list[str]]]:
    """Data records with as many cells as the header; blank ones only at the end.

    Blank records are held until a record follows them, as trailing blank
    lines are no data. ``first``: these are all the file's rows, so none is
    an error.
    """
    held: list[tuple[int, list[str]]] = []
    for line, cells in records:
        if _blank(cells):
            held.append((line, cells))
            continue
        for record in [*held, (line, cells)]:
            if len(record[1]) != len(header):
                raise _ragged(name, header, *record)
            yield record
        held, first = [], False
    if first:
        raise ValueError(f"{name}: the file has a header but no data rows")


def _ragged(
    name: str, header: tuple[str, ...], line: int, cells: list[str]
) -> ValueError:
    found = "a blank line" if _blank(cells) else f"{len(cells)} fields"
    return ValueError(
        f"{name}, line {line}: expected {len(header)} fields as in the header, "
        f"found {found}"
    )


def _exact_tables(
    name: str,
    file: pathlib.Path,
    header: tuple[str, ...] | None,
    offset: int = 0,
    line: int = 1,
    rows: int = 1 << 16,
) -> Iterator[_Table]:
    """The file from byte ``offset`` (line ``line``), as tables of ``rows`` rows.

    The exact reader, streaming: ``header`` None means ``offset`` is 0 and
    the header is read here. Rows are checked as :func:`_read_table` checks
    them, but each problem is found when its part of the file is read.
    """
    records = _records(name, _lines(name, file, offset, line), line)
    if header is None:
        header, data = _header_and_rows(name, records)
    else:
        data = _rows(name, header, records, first=False)
    while batch := list(itertools.islice(data, rows)):
        yield _Table(name, header, batch)


def _lines(name: str, file: pathlib.Path, offset: int, line: int) -> Iterator[str]:
    """The text lines of the file from byte ``offset`` (line ``line``), then
    the sentinel line, decoded :data:`TEXT_BYTES` at a time (whole lines)."""
    size, encoding = TEXT_BYTES, "utf-8-sig" if offset == 0 else "utf-8"
    with _open(name, file) as f:
        f.seek(offset)
        carry = b""
        while data := f.read(size):
            raw = carry + data
            end = raw.rfind(b"\n") + 1
            raw, carry = raw[:end], raw[end:]
            if raw:
                yield from io.StringIO(_decode(name, raw, line, encoding), newline="")
                line, encoding = line + raw.count(b"\n"), "utf-8"
        last = _decode(name, carry, line, encoding)
        yield from io.StringIO(f"{last}\n{_SENTINEL}\n", newline="")


def _open(name: str, file: pathlib.Path) -> BinaryIO:
    try:
        return file.open("rb")
    except FileNotFoundError:
        raise _missing(name) from None


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
