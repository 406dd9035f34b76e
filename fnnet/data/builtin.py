"""The built-in data: the logic-gate truth tables and the tutorials' data sets.

Library constants are returned as read-only arrays so that no caller can
corrupt them for the next one.
"""

from __future__ import annotations

import pathlib
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .._validation import check_choice, check_dtype
from .csvfile import load_csv
from .preprocessing import _readonly
from .tasks import Dataset

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
    dt = check_dtype(dtype, "fiu")
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
    dt = check_dtype(dtype, "fiu")
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
    package = pathlib.Path(__file__).resolve().parents[1]  # fnnet/, above data/
    return package / "datasets" / "diabetes.csv"


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
    check_dtype(dtype, "f")
    if name == "diabetes":
        X, Y, names, classes, task = load_csv(diabetes_csv(), "Diabetes", dtype=dtype)
        return Dataset(_readonly(X), _readonly(Y), names, classes, task)
    X, Y = (
        three_bit(dtype=dtype) if name == "three_bit" else logic_gate(name, dtype=dtype)
    )
    names = tuple(f"x{i}" for i in range(1, X.shape[0] + 1))
    return Dataset(X, Y, names, ("0", "1"), "binary")
