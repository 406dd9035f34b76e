"""Tests for fnnet.data: built-in data, CSV loading, scaling, splitting, one-hot."""

from __future__ import annotations

import importlib.util
import operator
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fnnet.data import (
    BUILTIN,
    GATES,
    TASK_CHOICES,
    TASK_OUTPUTS,
    TASKS,
    Dataset,
    Standardizer,
    as_multiclass,
    diabetes_csv,
    fit_standardizer,
    load_builtin,
    load_csv,
    logic_gate,
    one_hot,
    read_features,
    split,
    standardize,
    three_bit,
)
from fnnet.data.preprocessing import _apply_standardizer, _fit_standardizer, _split

ROOT = pathlib.Path(__file__).resolve().parents[1]
SMALL = settings(deadline=None)


def write(
    tmp_path: pathlib.Path, text: str | bytes, name: str = "d.csv"
) -> pathlib.Path:
    """Write text exactly as given (no newline translation) and return the path."""
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


# float32-representable and no subnormals: no quotient of two of them overflows.
VALUES = st.floats(-100, 100, width=32, allow_subnormal=False)


def matrices(max_side: int = 8, min_m: int = 1):
    """Bounded float64 matrices (n, m) with moderate, finite values."""
    shapes = st.tuples(st.integers(1, max_side), st.integers(min_m, max_side))
    return shapes.flatmap(lambda shape: hnp.arrays(np.float64, shape, elements=VALUES))


# ---------------------------------------------------------------- constants

TRUTH = {
    "and": operator.and_,
    "or": operator.or_,
    "xor": operator.xor,
    "nand": lambda a, b: 1 - (a & b),
    "nor": lambda a, b: 1 - (a | b),
    "xnor": lambda a, b: 1 - (a ^ b),
}


def test_gates_table_lists_the_six_gates():
    assert set(GATES) == set(TRUTH)
    with pytest.raises(TypeError):
        GATES["and"] = (1, 1, 1, 1)  # type: ignore[index]


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_logic_gate_truth_table(name):
    X, Y = logic_gate(name)
    assert X.shape == (2, 4) and Y.shape == (1, 4)
    assert X.dtype == Y.dtype == np.float64
    assert X.T.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert Y[0].tolist() == [TRUTH[name](a, b) for a, b in X.T.astype(int).tolist()]
    assert Y[0].tolist() == list(GATES[name])


def test_logic_gate_arrays_are_read_only_and_fresh():
    X, Y = logic_gate("xor")
    assert not X.flags.writeable and not Y.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        Y[0, 0] = 1
    X2, Y2 = logic_gate("xor")
    assert Y2[0].tolist() == [0, 1, 1, 0] and X2 is not X


def test_logic_gate_dtypes_and_errors():
    assert logic_gate("and", dtype=np.float32)[0].dtype == np.float32
    assert logic_gate("and", dtype=np.int8)[1].dtype == np.int8
    with pytest.raises(ValueError, match=r"name must be one of and, or, xor.*'xand'"):
        logic_gate("xand")
    with pytest.raises(TypeError, match="name must be a str"):
        logic_gate(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"dtype must be .* found complex128"):
        logic_gate("and", dtype=complex)


def test_three_bit_contents():
    X, Y = three_bit()
    assert X.shape == (3, 7) and Y.shape == (1, 7)
    expected = [
        [0, 1, 0],
        [0, 0, 1],
        [1, 0, 0],
        [1, 1, 0],
        [1, 1, 1],
        [0, 1, 1],
        [0, 1, 0],
    ]
    assert X.T.tolist() == expected
    assert Y.tolist() == [[1, 0, 0, 1, 1, 0, 1]]
    assert X.flags.c_contiguous
    assert not X.flags.writeable and not Y.flags.writeable


def test_builtin_names():
    assert BUILTIN == (*GATES, "three_bit", "diabetes")


@pytest.mark.parametrize("name", BUILTIN)
def test_load_builtin(name):
    ds = load_builtin(name)
    assert isinstance(ds, Dataset)
    assert ds.task == "binary" and ds.classes == ("0", "1")
    assert ds.X.shape == (len(ds.feature_names), ds.Y.shape[1])
    assert ds.Y.shape[0] == 1 and set(np.unique(ds.Y)) <= {0.0, 1.0}
    assert not ds.X.flags.writeable and not ds.Y.flags.writeable


def test_load_builtin_errors_and_dtype():
    assert load_builtin("xor", dtype=np.float32).X.dtype == np.float32
    assert load_builtin("diabetes", dtype=np.float32).Y.dtype == np.float32
    with pytest.raises(ValueError, match=r"three_bit, diabetes; found 'iris'"):
        load_builtin("iris")


# ---------------------------------------------------------------- the shipped CSV


def test_diabetes_csv_loads():
    ds = load_csv(diabetes_csv(), "Diabetes")
    m = ds.X.shape[1]
    assert ds.X.shape == (2, m) and ds.Y.shape == (1, m) and m == 400
    assert ds.feature_names == ("Glucose", "BloodPressure")
    assert set(np.unique(ds.Y)) == {0.0, 1.0}
    assert np.array_equal(ds.X, np.round(ds.X))
    glucose, pressure = ds.X
    assert 40 <= glucose.min() and glucose.max() <= 300
    assert 30 <= pressure.min() and pressure.max() <= 130
    assert "SYNTHETIC" in diabetes_csv.__doc__


def test_diabetes_classes_overlap():
    """Logistic regression separates the classes only partly, as real data do."""
    ds = load_csv(diabetes_csv(), "Diabetes")
    Z, _ = standardize(ds.X)
    w, b = np.zeros((1, 2)), 0.0
    for _ in range(500):
        A = 1 / (1 + np.exp(-(w @ Z + b)))
        dZ = (A - ds.Y) / Z.shape[1]
        w, b = w - 0.5 * dZ @ Z.T, b - 0.5 * dZ.sum()
    accuracy = np.mean((A > 0.5) == ds.Y)
    assert 0.68 <= accuracy <= 0.85
    assert w[0, 0] > 0  # higher glucose, more diabetes


def test_diabetes_csv_regenerates_byte_for_byte(tmp_path):
    script = ROOT / "scripts" / "make_diabetes_csv.py"
    spec = importlib.util.spec_from_file_location("make_diabetes_csv", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = module.write_diabetes_csv(tmp_path / "diabetes.csv")
    assert out.read_bytes() == diabetes_csv().read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["diabetes.csv"]  # no temp left


# ---------------------------------------------------------------- CSV: accepted

PLAIN = "Glucose,BloodPressure,Diabetes\n85,66,0\n183,64,1\n89,66,0\n"


@pytest.mark.parametrize(
    "text",
    [
        PLAIN,
        PLAIN.replace("\n", "\r\n"),
        "\ufeff" + PLAIN,
        PLAIN + "\n\n  \n",
        PLAIN.rstrip("\n"),
        " Glucose , BloodPressure,Diabetes \n 85 ,66 , 0\n183,\t64,1\n89,66,0 \n",
        '"Glucose","BloodPressure",Diabetes\n"85",66,"0"\n183, "64" ,1\n89,66,0\n',
        "\ufeff" + PLAIN.replace("\n", "\r\n") + "\r\n\r\n",
    ],
    ids=[
        "plain",
        "crlf",
        "bom",
        "blank-tail",
        "no-final-newline",
        "spaces",
        "quotes",
        "all",
    ],
)
def test_load_csv_accepts_quirks(tmp_path, text):
    ds = load_csv(write(tmp_path, text), "Diabetes")
    assert ds.feature_names == ("Glucose", "BloodPressure")
    assert ds.X.tolist() == [[85, 183, 89], [66, 64, 66]]
    assert ds.Y.tolist() == [[0, 1, 0]]
    assert ds.classes == ("0", "1") and ds.task == "binary"
    assert ds.X.dtype == np.float64 and ds.X.flags.c_contiguous


def test_load_csv_quoted_header_with_commas(tmp_path):
    text = '\ufeff"Glucose, mg/dL" , "Pressure, mmHg",Diabetes\r\n1,2,yes\r\n3,4,no\r\n'
    ds = load_csv(write(tmp_path, text), "Diabetes")
    assert ds.feature_names == ("Glucose, mg/dL", "Pressure, mmHg")
    assert ds.X.tolist() == [[1, 3], [2, 4]]


def test_load_csv_feature_selection_and_order(tmp_path):
    text = "id,a,y,b\nrow one,1,0,2\nrow two,3,1,4\n"
    ds = load_csv(write(tmp_path, text), "y", ["b", "a"], dtype=np.float32)
    assert ds.feature_names == ("b", "a")
    assert ds.X.dtype == ds.Y.dtype == np.float32
    assert ds.X.tolist() == [[2, 4], [1, 3]]
    with pytest.raises(ValueError, match=r"line 2, column 'id': expected a number"):
        load_csv(write(tmp_path, text), "y")


def test_load_csv_line_numbers_count_physical_lines(tmp_path):
    text = '"a\nb",y\n1,0\n2,"1\n"\nx,1\n'
    with pytest.raises(ValueError, match=r"line 6, column 'a\\nb': expected a number"):
        load_csv(write(tmp_path, text), "y")


# ---------------------------------------------------------------- CSV: errors

ERRORS = [
    ("a,b,y\n1,2,0\n3,,1\n", {}, r"line 3, column 'b': missing value \(empty cell\)"),
    (
        "a,b,y\n1,2,0\n3,abc,1\n",
        {},
        r"line 3, column 'b': expected a number, found 'abc'",
    ),
    ("a,b,y\n1,nan,0\n3,4,1\n", {}, r"line 2, column 'b': found 'nan', not a finite"),
    ("a,b,y\n1,2,0\n3,-Inf,1\n", {}, r"line 3, column 'b': found '-Inf', not a finite"),
    (
        "a,b,y\n1,1e999,0\n3,4,1\n",
        {},
        r"line 2, column 'b': found '1e999', not a finite",
    ),
    (
        "a,b,y\n1,1_000,0\n3,4,1\n",
        {},
        r"line 2, column 'b': expected a number, found '1_000'",
    ),
    ("a,b,y\n1,2,0\n3,4\n", {}, r"line 3: expected 3 fields as in the header, found 2"),
    (
        "a,b,y\n1,2,0,9\n3,4,1\n",
        {},
        r"line 2: expected 3 fields as in the header, found 4",
    ),
    ("a,b,y\n1,2,0\n\n3,4,1\n", {}, r"line 3: expected 3 fields .* found a blank line"),
    ("", {}, r"d\.csv: the file is empty"),
    ("\n \r\n\n", {}, r"d\.csv: the file is empty"),
    ("a,b,y\n\n", {}, r"d\.csv: the file has a header but no data rows"),
    ("\na,b,y\n1,2,0\n", {}, r"line 1: expected the header row, found a blank line"),
    ("a,b,a\n1,2,0\n", {}, r"line 1: duplicate column name 'a' \(fields 1 and 3\)"),
    ("a,,y\n1,2,0\n", {}, r"line 1: header field 2 has no name"),
    (
        "a,b,y\n1,2,0\n",
        {"target": "z"},
        r"target column 'z' not found; available columns: 'a', 'b', 'y'",
    ),
    (
        "a,b,y\n1,2,0\n",
        {"features": ["a", "c"]},
        r"feature column 'c' not found; available columns: 'a', 'b', 'y'",
    ),
    (
        "a,b,y\n1,2,0\n",
        {"features": ["a", "y"]},
        r"features must not include the target column 'y'",
    ),
    (
        "a,b,y\n1,2,0\n",
        {"features": ["a", "a"]},
        r"features must not repeat a name, found \['a'\]",
    ),
    ("a,b,y\n1,2,0\n3,4,\n", {}, r"line 3, column 'y': missing value"),
    ("a,b,y\n1,2,0\n3,4,NaN\n", {}, r"line 3, column 'y': found 'NaN', not a finite"),
    ('a,b,y\n1,2,0\n3,4,"1\n5,6,0\n', {}, r"line 3: a quoted field is never closed"),
    ("a,y\n1,cat\n2,cat\n", {}, r"target column 'y' has a single value 'cat'"),
    ("a,y\n1,1\n2,1\n", {}, r"target column 'y' has a single value '1'"),
    (
        "a,y\n1,cat\n2,dog\n3,emu\n",
        {"task": "binary"},
        r"binary target needs exactly 2 classes .* has 3: 'cat', 'dog', 'emu'",
    ),
    (
        "a,y\n1,cat\n2,cat\n",
        {"task": "multiclass"},
        r"multiclass target needs at least 2 classes",
    ),
    (
        "a,y\n1,0.5\n2,high\n",
        {"task": "regression"},
        r"line 3, column 'y': a regression target must be numeric, found 'high'",
    ),
    (
        "a,y\n1,yes\n2,maybe\n",
        {"classes": ["no", "yes"]},
        r"line 3, column 'y': label 'maybe' is not one of the classes \('no', 'yes'\)",
    ),
    (
        "a,y\n1e39,1\n2,0\n",
        {"dtype": np.float32},
        r"line 2, column 'a': '1e39' is out of range for float32",
    ),
]


@pytest.mark.parametrize(("text", "kwargs", "message"), ERRORS)
def test_load_csv_errors_name_file_line_column_and_value(
    tmp_path, text, kwargs, message
):
    kwargs = {"target": "y", **kwargs}
    with pytest.raises(ValueError, match=message) as info:
        load_csv(write(tmp_path, text), **kwargs)
    assert "d.csv" in str(info.value) or "features" in str(info.value)


def test_load_csv_argument_errors(tmp_path):
    path = write(tmp_path, PLAIN)
    with pytest.raises(
        ValueError, match=r"task must be one of auto, binary, .*'ordinal'"
    ):
        load_csv(path, "Diabetes", task="ordinal")
    with pytest.raises(ValueError, match=r"classes applies to classification only"):
        load_csv(path, "Diabetes", task="regression", classes=["0", "1"])
    with pytest.raises(ValueError, match=r"classes must list exactly 2 labels"):
        load_csv(path, "Diabetes", task="binary", classes=["0", "1", "2"])
    with pytest.raises(ValueError, match=r"classes must be distinct"):
        load_csv(path, "Diabetes", classes=["1", "1.0"])
    with pytest.raises(
        TypeError, match=r"features must be a sequence of str .*'Glucose'"
    ):
        load_csv(path, "Diabetes", "Glucose")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"target must be a column name"):
        load_csv(path, 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"dtype must be a floating dtype"):
        load_csv(path, "Diabetes", dtype=np.int64)
    with pytest.raises(
        TypeError, match=r"path must be a str or os.PathLike, found int"
    ):
        load_csv(3, "Diabetes")  # type: ignore[arg-type]


def test_load_csv_file_errors(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError, match=r"nope\.csv'?: no such file"):
        load_csv(missing, "y")
    with pytest.raises(ValueError, match=r"is a directory"):
        load_csv(tmp_path, "y")
    latin1 = write(tmp_path, "name,y\ncaf\xe9,1\n".encode("latin-1"))
    with pytest.raises(
        ValueError, match=r"d\.csv' is not UTF-8 text: line 2 has the byte b'\\xe9'"
    ):
        load_csv(latin1, "y")


# ---------------------------------------------------------------- CSV: targets


def test_binary_string_labels_are_sorted_and_kept(tmp_path):
    ds = load_csv(write(tmp_path, "a,y\n1,yes\n2,no\n3,yes\n"), "y")
    assert ds.task == "binary" and ds.classes == ("no", "yes")
    assert ds.Y.tolist() == [[1, 0, 1]]


def test_multiclass_string_labels(tmp_path):
    text = "a,species\n1, virginica\n2,setosa\n3,versicolor\n4,setosa\n"
    ds = load_csv(write(tmp_path, text), "species")
    assert ds.task == "multiclass"
    assert ds.classes == ("setosa", "versicolor", "virginica")
    assert ds.Y.shape == (3, 4) and ds.Y.sum(axis=0).tolist() == [1, 1, 1, 1]
    decoded = [ds.classes[k] for k in ds.Y.argmax(axis=0)]
    assert decoded == ["virginica", "setosa", "versicolor", "setosa"]


def test_numeric_labels(tmp_path):
    as_floats = load_csv(write(tmp_path, "a,y\n1,1.0\n2,0.0\n"), "y")
    assert as_floats.classes == ("0", "1") and as_floats.Y.tolist() == [[1, 0]]
    other_codes = load_csv(write(tmp_path, "a,y\n1,2\n2,1\n"), "y")
    assert other_codes.classes == ("1", "2") and other_codes.Y.tolist() == [[1, 0]]
    text = "a,y\n1,10\n2,9\n3,2\n4,9\n"
    codes = load_csv(write(tmp_path, text), "y", task="multiclass")
    assert codes.classes == ("2", "9", "10")  # numeric order, not text order
    assert codes.Y.argmax(axis=0).tolist() == [2, 1, 0, 1]
    ones = load_csv(write(tmp_path, "a,y\n1,1\n2,1\n"), "y", task="binary")
    assert ones.classes == ("0", "1") and ones.Y.tolist() == [[1, 1]]


def test_imposed_classes(tmp_path):
    path = write(tmp_path, "a,y\n1,yes\n2,yes\n")
    ds = load_csv(path, "y", classes=["yes", "no"])
    assert ds.task == "binary" and ds.classes == ("yes", "no")
    assert ds.Y.tolist() == [[0, 0]]
    three = load_csv(path, "y", classes=["maybe", "no", "yes"])
    assert three.task == "multiclass" and three.Y.tolist() == [[0, 0], [0, 0], [1, 1]]
    numeric = load_csv(write(tmp_path, "a,y\n1,1.0\n"), "y", classes=["0", "1"])
    assert numeric.Y.tolist() == [[1]]


def test_regression_target(tmp_path):
    ds = load_csv(write(tmp_path, "x,price\n1,3.5\n2,-1e2\n3,7\n"), "price")
    assert ds.task == "regression" and ds.classes is None
    assert ds.Y.tolist() == [[3.5, -100.0, 7.0]]
    two_values = load_csv(write(tmp_path, "x,p\n1,3.5\n2,7\n"), "p", task="regression")
    assert two_values.Y.tolist() == [[3.5, 7.0]]


# ---------------------------------------------------------------- read_features


def test_read_features_with_and_without_target(tmp_path):
    with_target = write(tmp_path, "a,b,y\n1,2,yes\n3,4,no\n", "with.csv")
    without = write(tmp_path, "b,extra,a\n2,text,1\n4,more,3\n", "without.csv")
    for path in (with_target, without):
        X = read_features(path, ["a", "b"])
        assert X.tolist() == [[1, 3], [2, 4]] and X.flags.c_contiguous
    assert read_features(without, ("b",), dtype=np.float32).dtype == np.float32


def test_read_features_errors(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n3,x\n")
    with pytest.raises(
        ValueError, match=r"line 3, column 'b': expected a number, found 'x'"
    ):
        read_features(path, ["a", "b"])
    assert read_features(path, ["a"]).tolist() == [[1, 3]]
    with pytest.raises(
        ValueError, match=r"feature column 'y' not found; available columns: 'a', 'b'"
    ):
        read_features(path, ["a", "y"])
    with pytest.raises(TypeError, match=r"feature_names must be a sequence of str"):
        read_features(path, "a")  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=r"feature_names must name at least one column"
    ):
        read_features(path, [])


# ---------------------------------------------------------------- standardize


@SMALL
@given(matrices())
def test_standardize_gives_mean_0_and_std_1(X):
    Z, stats = standardize(X)
    assert Z.shape == X.shape and stats.mean.shape == stats.scale.shape == (
        X.shape[0],
        1,
    )
    constant = np.ptp(X, axis=1) == 0
    assert np.all(Z[constant] == 0) and np.all(stats.scale[constant] == 1)
    spread = np.ptp(X, axis=1) > 1e-6 * np.maximum(1, np.abs(X).max(axis=1))
    assert np.allclose(Z[spread].mean(axis=1), 0, atol=1e-9)
    assert np.allclose(Z[spread].std(axis=1), 1, atol=1e-9)


@SMALL
@given(st.data())
def test_training_statistics_apply_to_new_data(data):
    X_train = data.draw(matrices())
    X_new = data.draw(
        hnp.arrays(
            np.float64,
            (X_train.shape[0], data.draw(st.integers(1, 8))),
            elements=VALUES,
        )
    )
    Z_train, stats = standardize(X_train)
    Z_new, same = standardize(X_new, stats)
    assert same is stats
    assert np.array_equal(Z_new, (X_new - stats.mean) / stats.scale)
    assert np.array_equal(standardize(X_train, stats)[0], Z_train)
    both = standardize(np.hstack([X_train, X_new]), stats)[0]
    assert np.array_equal(both, np.hstack([Z_train, Z_new]))


def test_constant_feature():
    X = np.array([[0.1, 0.1, 0.1], [1.0, 2.0, 3.0]])
    stats = fit_standardizer(X)
    assert stats.scale[0, 0] == 1 and stats.mean[0, 0] == 0.1
    Z, _ = standardize(X)
    assert Z[0].tolist() == [0, 0, 0]
    assert not stats.mean.flags.writeable and not stats.scale.flags.writeable


def test_standardize_dtypes():
    X32 = np.array([[1, 2, 4]], dtype=np.float32)
    Z, stats = standardize(X32)
    assert Z.dtype == stats.mean.dtype == np.float32
    assert standardize(np.array([[1, 2, 4]]))[0].dtype == np.float64
    assert (
        standardize(X32, fit_standardizer(X32.astype(np.float64)))[0].dtype
        == np.float32
    )


def test_standardize_errors():
    stats = fit_standardizer(np.ones((2, 3)))
    with pytest.raises(
        ValueError, match=r"X has 3 rows but stats.mean has shape \(2, 1\)"
    ):
        standardize(np.ones((3, 4)), stats)
    with pytest.raises(ValueError, match=r"X must be 2-D.* found shape \(4,\)"):
        standardize(np.ones(4))
    with pytest.raises(ValueError, match=r"X must be finite, found nan at \[1, 0\]"):
        standardize([[1.0, 2.0], [np.nan, 1.0]])
    with pytest.raises(ValueError, match="X has 0 columns"):
        fit_standardizer(np.ones((2, 0)))
    with pytest.raises(TypeError, match="stats must be a Standardizer, found tuple"):
        standardize(np.ones((2, 3)), (np.zeros((2, 1)), np.ones((2, 1))))
    with pytest.raises(ValueError, match=r"stats\.scale must be positive"):
        standardize(np.ones((1, 3)), Standardizer(np.zeros((1, 1)), np.zeros((1, 1))))
    tiny = Standardizer(np.zeros((1, 1)), np.full((1, 1), 1e-300))
    with pytest.raises(ValueError, match=r"X\[0, 0\] = 1e\+300 .* overflows float64"):
        standardize([[1e300]], tiny)
    with pytest.raises(TypeError, match="X must be a numeric array, found dtype <U1"):
        standardize([["a", "b"]])


# ---------------------------------------------------------------- split


def test_split_is_seeded():
    X, Y = np.arange(40.0).reshape(2, 20), np.arange(20).reshape(1, 20)
    first, again = split(X, Y, seed=3), split(X, Y, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    other = split(X, Y, seed=4)
    assert not np.array_equal(first[0], other[0])
    generator = split(X, Y, seed=np.random.default_rng(3))
    assert all(np.array_equal(a, b) for a, b in zip(first, generator, strict=True))


@SMALL
@given(st.integers(2, 60), st.floats(0.01, 0.99), st.integers(0, 2**32))
def test_split_partitions_the_columns(m, fraction, seed):
    m_val = int(np.floor(fraction * m + 0.5))
    X = np.stack([np.arange(m), -np.arange(m)]).astype(float)
    Y = np.arange(m).reshape(1, m) * 10
    if not 0 < m_val < m:
        with pytest.raises(ValueError, match=f"m={m} examples are too few"):
            split(X, Y, fraction=fraction, seed=seed)
        return
    X_train, Y_train, X_val, Y_val = split(X, Y, fraction=fraction, seed=seed)
    assert X_val.shape == (2, m_val) and Y_train.shape == (1, m - m_val)
    order = np.concatenate([X_train[0], X_val[0]])
    assert sorted(order.tolist()) == list(range(m))  # disjoint and complete
    assert np.array_equal(Y_train[0], X_train[0] * 10)  # pairs stay together
    assert np.array_equal(Y_val[0], X_val[0] * 10)


def test_split_errors():
    X, Y = np.ones((2, 10)), np.ones((1, 10))
    with pytest.raises(ValueError, match=r"X has 10 examples but Y has 9"):
        split(X, Y[:, :9])
    for fraction in (0, 1, 1.5, float("nan")):
        with pytest.raises(
            ValueError, match="fraction must be strictly between 0 and 1"
        ):
            split(X, Y, fraction=fraction)
    with pytest.raises(TypeError, match="fraction must be a number"):
        split(X, Y, fraction=True)
    with pytest.raises(ValueError, match="m=1 examples are too few"):
        split(X[:, :1], Y[:, :1])
    with pytest.raises(
        TypeError, match=r"seed must be an int or a numpy\.random\.Generator"
    ):
        split(X, Y, seed=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed must be a non-negative int, found -1"):
        split(X, Y, seed=-1)
    with pytest.raises(ValueError, match=r"Y must be 2-D"):
        split(X, np.ones(10))


# ---------------------------------------------------------------- one_hot


@SMALL
@given(
    st.integers(1, 8).flatmap(
        lambda k: st.tuples(st.just(k), st.lists(st.integers(0, k - 1), max_size=8))
    )
)
def test_one_hot_round_trip(case):
    k, labels = case
    Y = one_hot(np.array(labels, dtype=np.int64), k)
    assert Y.shape == (k, len(labels)) and Y.dtype == np.float64
    assert np.array_equal(Y.argmax(axis=0), labels)
    assert np.all(Y.sum(axis=0) == 1) and set(np.unique(Y)) <= {0.0, 1.0}
    if labels:
        assert one_hot(labels).shape == (max(labels) + 1, len(labels))


def test_one_hot_errors():
    assert one_hot([1, 0], dtype=np.int8).tolist() == [[0, 1], [1, 0]]
    with pytest.raises(ValueError, match=r"labels must be >= 0, found -1 at index 1"):
        one_hot([0, -1])
    with pytest.raises(
        ValueError, match=r"labels must be < n_classes=2, found 2 at index 2"
    ):
        one_hot([0, 1, 2], 2)
    with pytest.raises(TypeError, match="labels must be integers, found dtype float64"):
        one_hot([0.0, 1.0])
    with pytest.raises(
        ValueError, match=r"labels must be 1-D of shape \(m,\), found shape \(1, 2\)"
    ):
        one_hot([[0, 1]])
    with pytest.raises(ValueError, match="labels is empty"):
        one_hot([])
    assert one_hot([], 3).shape == (3, 0)
    with pytest.raises(TypeError, match="n_classes must be an int, found bool"):
        one_hot([0], True)


# ---------------------------------------------------------------- purity


@SMALL
@given(matrices(min_m=2))
def test_inputs_are_never_mutated(X):
    X.setflags(write=False)  # writing to a read-only input would raise
    before = X.copy()
    labels = np.arange(X.shape[1]) % 3
    labels.setflags(write=False)
    Y = labels.reshape(1, -1)
    stats = fit_standardizer(X)
    standardize(X)
    standardize(X, stats)
    split(X, Y, fraction=0.5, seed=0)
    one_hot(labels)
    assert np.array_equal(X, before) and np.array_equal(
        labels, np.arange(X.shape[1]) % 3
    )


def test_dataset_fields():
    assert Dataset._fields == ("X", "Y", "feature_names", "classes", "task")
    assert Standardizer._fields == ("mean", "scale")


# ---------------------------------------------------------------- tasks


def test_task_policy():
    assert TASKS == ("binary", "multiclass", "regression")
    assert TASK_CHOICES == ("auto", *TASKS)
    assert dict(TASK_OUTPUTS) == {
        "binary": ("sigmoid",),
        "multiclass": ("softmax",),
        "regression": ("identity",),
    }
    with pytest.raises(TypeError):
        TASK_OUTPUTS["binary"] = ("softmax",)  # type: ignore[index]


def test_as_multiclass_makes_two_one_hot_classes():
    ds = load_builtin("xor", dtype=np.float32)
    multi = as_multiclass(ds)
    assert multi.task == "multiclass" and multi.classes == ds.classes
    assert multi.Y.dtype == np.float32 and multi.Y.shape == (2, 4)
    assert np.array_equal(multi.Y.argmax(axis=0), ds.Y[0])
    assert multi.X is ds.X and ds.task == "binary"
    with pytest.raises(ValueError, match="ds must be a binary Dataset, found task"):
        as_multiclass(multi)
    with pytest.raises(TypeError, match="ds must be a Dataset, found tuple"):
        as_multiclass(tuple(ds))  # type: ignore[arg-type]


# ---------------------------------------------------------------- unchecked cores


@SMALL
@given(matrices(min_m=2))
def test_cores_give_what_the_checked_functions_give(X):
    stats = fit_standardizer(X)
    for got, want in zip(_fit_standardizer(X), stats, strict=True):
        assert np.array_equal(got, want)
    assert np.array_equal(_apply_standardizer(X, stats), standardize(X, stats)[0])
    Y = np.arange(X.shape[1]).reshape(1, -1)
    for got, want in zip(
        _split(X, Y, 0.5, 3), split(X, Y, fraction=0.5, seed=3), strict=True
    ):
        assert np.array_equal(got, want)


def test_each_array_is_checked_for_nan_once(monkeypatch):
    from fnnet import _validation
    from fnnet.data import preprocessing

    calls = []
    original = _validation.check_finite

    def counting(name, X):
        calls.append(name)
        original(name, X)

    monkeypatch.setattr(_validation, "check_finite", counting)
    X, Y = np.ones((2, 6)), np.ones((1, 6))
    stats = preprocessing.fit_standardizer(X)
    assert calls == ["X"]
    calls.clear()
    preprocessing.standardize(X)
    preprocessing.standardize(X, stats)
    assert calls == ["X", "X"]
    calls.clear()
    preprocessing.split(X, Y)
    assert calls == ["X", "Y"]
