"""The fast CSV reader and the streaming readers against the exact reader.

The fast reader (NumPy's C parser on blocks of plain lines) must give what the
exact reader (every cell in Python) gives, or hand the file over; the blocks of
``iter_features`` and ``iter_csv`` must join up to what the whole-file
functions give. Hypothesis draws the files: mostly plain, with the quirks and
faults the exact reader knows about, and blocks made tiny so that files cross
many of them.
"""

from __future__ import annotations

import contextlib
import pathlib
import tempfile
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fnnet.data import blocks, iter_csv, iter_features, load_csv, read_features, table
from fnnet.data.blocks import _Unusual
from fnnet.data.csvfile import _load_exact, _load_fast, _read_fast
from fnnet.data.table import _features, _read_table

FUZZ = settings(
    deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow]
)
# NumPy's reader warns of a block without rows: the fast reader never makes one
pytestmark = pytest.mark.filterwarnings("error::UserWarning")

# ---------------------------------------------------------------- files

NUMBERS = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(-1e6, 1e6).map(lambda v: f"{v:.4f}"),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["+.5", "5.", "-0", "0001", "1E5", "2e-3", "1e-400", "-0.0"]),
)
ODD = st.sampled_from(
    [
        "",
        " ",
        "nan",
        "-Inf",
        "infinity",
        "1e400",
        "1_000",
        "0x1p3",
        "1d5",
        "\u0661",
        "\uff11",
        "\xa01",
        "1\x0b",
        "\x1c2",
        "\x0c3",
        '"3"',
        '"a,b"',
        'x"y',
        "1\x002",
        "1 2",
        "é",
        "\u20032",
        "\x85",
        "a\rb",
    ]
)
LABELS = st.sampled_from(["yes", "no", " cat", "dog ", "é", "1", "2"])
TARGETS = st.sampled_from(
    [st.sampled_from(["0", "1", "1.0", "0.0"]), LABELS, NUMBERS, st.just("1")]
)
SPACE = st.sampled_from(["", "", "", " ", "\t", "  "])
FAULTS = st.lists(
    st.sampled_from(
        ["odd", "odd", "label", "ragged", "blank", "header", "byte", "cr", "quote"]
    ),
    max_size=2,
)


def padded(cell: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(SPACE, cell, SPACE).map("".join)


@st.composite
def csv_files(draw: st.DrawFn, faults: bool = True) -> bytes:
    """A CSV file: header x0, x1, ..., y; numeric features, a target column of
    classes or values; and then, maybe, a fault or two, or a quirk."""
    n = draw(st.sampled_from([1, 2, 2, 3, 3, 4]))
    names = [f"x{i}" for i in range(n - 1)] + ["y"]
    target = padded(draw(TARGETS))
    rows = [
        [draw(padded(NUMBERS)) for _ in range(n - 1)] + [draw(target)]
        for _ in range(draw(st.sampled_from([0, *range(1, 9), *range(2, 9)])))
    ]
    end = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    chosen = draw(FAULTS) if faults else []
    for fault in chosen:
        i, j = draw(st.integers(0, len(rows))), draw(st.integers(0, n - 1))
        if fault == "header":
            names[j] = draw(st.sampled_from(["", "x0", '"y"', ' "y" ']))
        elif fault == "cr":
            end = "\r"
        elif i < len(rows) and j < len(rows[i]) and fault in ("odd", "label", "quote"):
            cell = draw(ODD if fault == "odd" else LABELS)
            rows[i][j] = f'"{rows[i][j]}"' if fault == "quote" else cell
        elif i < len(rows) and fault == "ragged":
            rows[i] = rows[i][:-1] if draw(st.booleans()) else [*rows[i], "1"]
        elif fault == "blank":
            rows.insert(i, [draw(SPACE)])
    lines = [",".join(names)] + [",".join(row) for row in rows]
    text = end.join(lines) + draw(st.sampled_from(["", end, end * 3, end + " " + end]))
    raw = (draw(st.sampled_from(["", "\ufeff"])) + text).encode("utf-8")
    if "byte" in chosen:
        cut = draw(st.integers(0, len(raw)))
        raw = raw[:cut] + b"\xff" + raw[cut:]
    return raw


OPTIONS = st.fixed_dictionaries(
    {
        "target": st.sampled_from(["y"] * 6 + ["x0", "z"]),
        "features": st.sampled_from([None] * 4 + [("x0",), ("x1", "x0"), ("y",)]),
        "task": st.sampled_from(["auto"] * 4 + ["binary", "multiclass", "regression"]),
        "classes": st.sampled_from([None] * 6 + [("0", "1"), ("no", "yes", "cat")]),
        "dtype": st.sampled_from([np.float64] * 3 + [np.float32]),
    }
)
SIZES = st.tuples(st.sampled_from([1, 7, 16, 40, 1 << 20]), st.sampled_from([1, 9]))


@contextlib.contextmanager
def written(raw: bytes) -> Iterator[pathlib.Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "d.csv"
        path.write_bytes(raw)
        yield path


@contextlib.contextmanager
def small_blocks(sizes: tuple[int, int]) -> Iterator[None]:
    """Blocks of a few bytes (fast reader) and of a few rows (exact reader)."""
    block, rows = sizes
    with (
        mock.patch.object(blocks, "BLOCK_BYTES", block),
        mock.patch.object(table, "TEXT_BYTES", max(block, 2)),
        mock.patch("fnnet.data.stream.EXACT_ROWS", rows),
    ):
        yield


def outcome(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except (ValueError, TypeError, _Unusual) as err:
        return err


def assert_same(found: Any, expected: Any) -> None:
    """Equal results (arrays bit for bit, dtype and layout), or the same error."""
    if isinstance(expected, Exception):
        assert type(found) is type(expected), (found, expected)
        return
    assert not isinstance(found, Exception), (found, expected)
    if isinstance(expected, np.ndarray):
        found, expected = (found,), (expected,)
    for a, b in zip(found, expected, strict=True):
        if isinstance(b, np.ndarray):
            assert a.dtype == b.dtype and a.flags.c_contiguous
            assert np.array_equal(a, b) and np.array_equal(np.signbit(a), np.signbit(b))
        else:
            assert a == b


def options_of(kw: dict[str, Any]) -> tuple:
    """load_csv's arguments as the cores take them (checked, canonical)."""
    classes = kw["classes"] if kw["task"] != "regression" else None
    if classes is not None and kw["task"] == "binary" and len(classes) != 2:
        classes = None
    return (kw["target"], kw["features"], kw["task"], classes, np.dtype(kw["dtype"]))


# ---------------------------------------------------------------- fast = exact


@FUZZ
@given(csv_files(), OPTIONS, SIZES)
def test_fast_reader_gives_what_the_exact_reader_gives(raw, kw, sizes):
    args = options_of(kw)
    with written(raw) as path, small_blocks(sizes):
        fast = outcome(lambda: _load_fast(path, *args, None))
        exact = outcome(lambda: _load_exact(path, *args))
        if not isinstance(fast, _Unusual):
            assert_same(fast, exact)
        public = outcome(lambda: load_csv(path, **{**kw, "classes": args[3]}))
    if isinstance(exact, Exception) and isinstance(fast, _Unusual):
        assert str(public) == str(exact)  # the exact reader's own words
    else:
        assert_same(public, exact)


@FUZZ
@given(csv_files(faults=False), OPTIONS, SIZES)
def test_plain_files_take_the_fast_path(raw, kw, sizes):
    args = options_of({**kw, "dtype": np.float64})
    with written(raw) as path, small_blocks(sizes):
        fast = outcome(lambda: _load_fast(path, *args, None))
        exact = outcome(lambda: _load_exact(path, *args))
    if isinstance(exact, Exception):
        assert isinstance(fast, _Unusual) or type(fast) is type(exact)
    else:
        assert_same(fast, exact)  # read by the fast reader, not handed over


@FUZZ
@given(csv_files(), st.sampled_from([("x0",), ("y",), ("x1", "x0")]), SIZES)
def test_read_features_fast_equals_exact(raw, names, sizes):
    with written(raw) as path, small_blocks(sizes):
        fast = outcome(lambda: _read_fast(path, names, np.dtype(np.float64)))
        exact = outcome(lambda: _features(_read_table(path), names, np.float64))
        public = outcome(lambda: read_features(path, names))
    if not isinstance(fast, _Unusual):
        assert_same(fast, exact)
    assert_same(public, exact)


# ---------------------------------------------------------------- blocks = whole


@FUZZ
@given(csv_files(), st.sampled_from([("x0",), ("y",), ("x1", "x0")]), SIZES)
def test_feature_blocks_join_up_to_read_features(raw, names, sizes):
    rows = sizes[1] + 2
    with written(raw) as path, small_blocks(sizes):
        whole = outcome(lambda: read_features(path, names))
        parts = outcome(lambda: list(iter_features(path, names, rows=rows)))
    if isinstance(parts, list):
        assert all(X.shape[1] == rows for X in parts[:-1])
        assert 0 < parts[-1].shape[1] <= rows
        parts = np.concatenate(parts, axis=1)
    assert_same(parts, whole)


@FUZZ
@given(csv_files(), OPTIONS, SIZES)
def test_dataset_blocks_join_up_to_load_csv(raw, kw, sizes):
    task = kw["task"] if kw["task"] != "auto" else "binary"
    classes = None if task == "regression" else ("no", "yes", "1", "0")[:2]
    if task == "multiclass":
        classes = ("0", "1", "2", "cat", "dog", "no", "yes", "é")
    features = kw["features"] or ("x0",)
    options = {"task": task, "classes": classes, "dtype": kw["dtype"]}
    with written(raw) as path, small_blocks(sizes):
        whole = outcome(lambda: load_csv(path, kw["target"], features, **options))
        parts = outcome(
            lambda: list(iter_csv(path, kw["target"], features, rows=3, **options))
        )
    if isinstance(parts, list):
        assert {(ds.feature_names, ds.classes, ds.task) for ds in parts} == {
            (features, classes, task)
        }
        X = np.concatenate([ds.X for ds in parts], axis=1)
        Y = np.concatenate([ds.Y for ds in parts], axis=1)
        parts = (X, Y)
    if not isinstance(whole, Exception):
        whole = (whole.X, whole.Y)
    assert_same(parts, whole)


# ---------------------------------------------------------------- errors, lines


def test_an_error_in_a_later_block_names_its_line(tmp_path):
    lines = ["a,b,y"] + [f"{i},{i + 1},{i % 2}" for i in range(200)]
    lines[150] = "149,x,1"
    path = tmp_path / "late.csv"
    path.write_text("\n".join(lines) + "\n")
    with small_blocks((64, 16)):
        blocks_read = iter_features(path, ["a", "b"], rows=10)
        first = next(blocks_read)
        assert first.tolist()[0] == list(range(10))
        with pytest.raises(ValueError, match=r"line 151, column 'b': expected a num"):
            list(blocks_read)
        with pytest.raises(ValueError, match=r"line 151, column 'b': expected a num"):
            read_features(path, ["a", "b"])


def test_iter_csv_needs_the_task_and_classes(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n1,0\n2,1\n")
    with pytest.raises(ValueError, match=r"task must be one of binary"):
        next(iter_csv(path, "y", ["a"], task="auto", classes=["0", "1"]))
    with pytest.raises(ValueError, match=r"classes must be given for a binary"):
        next(iter_csv(path, "y", ["a"], task="binary"))
    with pytest.raises(ValueError, match=r"classes must be given .* regression"):
        next(iter_csv(path, "y", ["a"], task="regression", classes=["0", "1"]))
    with pytest.raises(ValueError, match=r"rows must be a positive int"):
        next(iter_features(path, ["a"], rows=0))


def test_load_csv_reports_progress(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(100)))
    seen: list[tuple[int, int]] = []
    with small_blocks((100, 16)):
        load_csv(path, "y", progress=lambda done, total: seen.append((done, total)))
    size = path.stat().st_size
    assert len(seen) > 3 and seen[-1] == (size, size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
