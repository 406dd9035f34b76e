"""The fast CSV reader: whole lines, a few MiB at a time, parsed by ``np.loadtxt``.

The common file is read here at the speed of NumPy's C parser, one block of
lines in memory at a time. This module never judges a file: at anything it
cannot vouch for it raises :class:`_Unusual`, and the caller hands the file,
or the rest of it, to the exact reader (:mod:`fnnet.data.table`), which
decides what it means and words any error. A block is accepted only where
the exact reader would read the same values:

- no double quote, NUL byte or lone carriage return, and valid UTF-8;
- one field per header column in every line, and one row per line (the C
  parser skips blank lines, which are the exact reader's to judge);
- finite numbers in the feature columns (the target column may hold text,
  which :func:`fnnet.data.tasks._target_of` reads as the exact reader does).
"""

from __future__ import annotations

import codecs
import io
import os
import pathlib
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from .table import _SENTINEL, StrPath, _file_of, _header, _open, _records, _Table

#: Bytes read at a time (a block is this, cut back to the last whole line).
BLOCK_BYTES = 1 << 20
_SPACE = b" \t\r\n\x0b\x0c"  # what bytes.rstrip() strips: trailing blank lines
_TEXT_WIDTH = 32  # characters first allowed for a text target cell


class _Unusual(Exception):
    """The fast reader cannot vouch for the file from byte ``offset`` on.

    ``line`` is the line number at ``offset``; both are None where the raiser
    does not know them (for a header that is not one plain line: from 0).
    """

    def __init__(self, offset: int | None = None, line: int | None = None) -> None:
        super().__init__(offset, line)
        self.offset, self.line = offset, line


class _Layout(NamedTuple):
    """A file whose header is one plain line: the header, where the data start."""

    table: _Table  # the name for messages and the header, no rows
    file: pathlib.Path
    start: int  # byte offset of line 2, the first data line
    size: int  # of the file, in bytes


class _Spec(NamedTuple):
    """What to read from each row."""

    columns: tuple[int, ...]  # feature columns, in the order wanted
    target: int | None  # the target column, if one is read
    dtype: np.dtype  # of the features


class _Text(NamedTuple):
    """A block's target column where some cell is not a number."""

    cells: NDArray  # the distinct raw cells (str), sorted
    index: NDArray  # (r,) each row's cell: an index into ``cells``


class _Block(NamedTuple):
    """Rows read by the fast reader."""

    offset: int  # byte offset of the first row
    line: int  # its line number
    X: NDArray  # (k, r) features in the dtype asked for
    target: NDArray | _Text | None  # (r,) float64 values, or the cells as text


def _layout(path: StrPath) -> _Layout:
    """The header, parsed by the exact reader; _Unusual if not one plain line."""
    name, file = _file_of(path)
    with _open(name, file) as f:
        head = f.readline(1 << 20)
        size = os.fstat(f.fileno()).st_size
    if not head.endswith(b"\n"):
        raise _Unusual()
    try:
        text = head.removeprefix(codecs.BOM_UTF8).decode("utf-8")
        (line, cells), *_ = _records(name, [text, "\n", f"{_SENTINEL}\n"])
        header = _header(name, line, cells)
    except (UnicodeDecodeError, ValueError):
        raise _Unusual() from None
    return _Layout(_Table(name, header, []), file, len(head), size)


def _fast_blocks(
    layout: _Layout,
    spec: _Spec,
    progress: Callable[[int, int], Any] | None = None,
) -> Iterator[_Block]:
    """The data rows block by block; _Unusual at the first block not plain.

    ``progress(bytes_done, bytes_in_file)`` is called after each block.
    """
    line, width = 2, 0  # width 0: the target is read as numbers
    for offset, chunk in _chunks(layout):
        try:
            X, target, width = _parse(chunk, spec, len(layout.table.header), width)
        except _Unusual:
            raise _Unusual(offset, line) from None
        yield _Block(offset, line, X, target)
        line += X.shape[1]
        if progress is not None:
            progress(offset + len(chunk), layout.size)


def _chunks(layout: _Layout) -> Iterator[tuple[int, bytes]]:
    """(byte offset, whole lines) from line 2, without the trailing blank lines.

    Lines with nothing but white space are held back until a line with
    something follows them, so blank lines at the end are never read, and
    every block has a line with something on it.
    """
    size = BLOCK_BYTES  # read here, so that tests can make blocks small
    with _open(layout.table.path, layout.file) as f:
        f.seek(layout.start)
        offset, carry = layout.start, b""
        while data := f.read(size):
            buf = carry + data
            whole = buf[: buf.rfind(b"\n") + 1]
            filled = len(whole.rstrip(_SPACE))  # up to the last byte not blank
            end = filled and whole.find(b"\n", filled) + 1
            if end:
                yield offset, buf[:end]
            offset, carry = offset + end, buf[end:]
        if last := carry.rstrip(_SPACE):
            yield offset, last


def _parse(
    chunk: bytes, spec: _Spec, n: int, width: int
) -> tuple[NDArray, NDArray | _Text | None, int]:
    """Features (k, r), the target column and its text width, from whole lines."""
    if b'"' in chunk or b"\x00" in chunk:
        raise _Unusual()
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError:
        raise _Unusual() from None
    rows = _loadtxt(text, _fields(n, spec, width))
    if rows is None and spec.target is not None and not width:
        width = _TEXT_WIDTH  # text labels: read the target column as text
        rows = _loadtxt(text, _fields(n, spec, width))
    while width and rows is not None and _longest(rows, spec) >= width:
        width *= 4  # a cell may have been cut short: read again, wider
        rows = _loadtxt(text, _fields(n, spec, width))
    if rows is None or len(rows) != chunk.count(b"\n") + (chunk[-1:] != b"\n"):
        raise _Unusual()
    return _features(rows, spec), _target_cells(rows, spec), width


def _loadtxt(text: str, fields: np.dtype) -> NDArray | None:
    """The rows of ``text`` as a structured array; None if NumPy cannot read them."""
    try:
        return np.loadtxt(
            io.StringIO(text),
            dtype=fields,
            delimiter=",",
            comments=None,
            quotechar=None,
            ndmin=1,
        )
    except ValueError:
        return None


def _fields(n: int, spec: _Spec, width: int) -> np.dtype:
    """One field per column: float64 for those read as numbers, else short text."""
    kinds = ["U1"] * n  # a column not read: its text is not kept
    for j in spec.columns:
        kinds[j] = "f8"
    if spec.target is not None:
        kinds[spec.target] = f"U{width}" if width else "f8"
    return np.dtype([(f"c{j}", kind) for j, kind in enumerate(kinds)])


def _longest(rows: NDArray, spec: _Spec) -> int:
    return int(np.strings.str_len(rows[f"c{spec.target}"]).max(initial=0))


def _features(rows: NDArray, spec: _Spec) -> NDArray:
    """The feature columns as a (k, r) array; _Unusual unless all finite."""
    X = np.empty((len(spec.columns), len(rows)), spec.dtype)
    with np.errstate(over="ignore"):  # a value out of range becomes inf
        for i, j in enumerate(spec.columns):
            X[i] = rows[f"c{j}"]
    if not np.isfinite(X).all():
        raise _Unusual()
    return X


def _target_cells(rows: NDArray, spec: _Spec) -> NDArray | _Text | None:
    """The target column: a copy of its values, or its text made small."""
    if spec.target is None:
        return None
    cells = rows[f"c{spec.target}"]
    if cells.dtype.kind == "f":
        return np.array(cells)
    return _Text(*np.unique(cells, return_inverse=True))
