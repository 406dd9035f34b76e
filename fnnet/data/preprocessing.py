"""Preprocessing: standardizing features, splitting off validation data, one-hot.

Each public function checks its arguments once and hands the checked arrays
to a private core (:func:`_fit_standardizer`, :func:`_apply_standardizer`,
:func:`_split`). Library code that has already checked its arrays, such as
model fitting, calls the cores directly so no array is scanned twice.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .._validation import (
    as_seed,
    check_codes,
    check_dtype,
    check_fraction,
    check_int,
    check_matrix,
    check_same_m,
    check_standardizer,
)

Seed = int | np.integer | np.random.Generator


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
    return _fit_standardizer(_features(X))


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
    X = _features(X)
    if stats is None:
        stats = _fit_standardizer(X)
    else:
        check_standardizer("stats", stats, X.shape[0], f"X has {X.shape[0]} rows")
    return _apply_standardizer(X, stats), stats


def _features(X: ArrayLike) -> NDArray[np.floating]:
    """Checked features in a floating dtype: integers and bools become float64."""
    X = check_matrix("X", X, allow_empty=True)
    return X if X.dtype.kind == "f" else X.astype(np.float64)


def _fit_standardizer(X: NDArray[np.floating]) -> Standardizer:
    """:func:`fit_standardizer` on a checked, finite floating ``X``.

    Raises if ``X`` has no example or if the statistics overflow.
    """
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


def _apply_standardizer(X: NDArray[np.floating], stats: Standardizer) -> NDArray:
    """``(X - stats.mean) / stats.scale`` for a checked ``X`` and matching ``stats``.

    The result is a new array, so it is checked here: a tiny scale can make
    it overflow.
    """
    mean, scale = np.asarray(stats.mean, X.dtype), np.asarray(stats.scale, X.dtype)
    with np.errstate(over="ignore"):
        Z = (X - mean) / scale
    if not np.all(np.isfinite(Z)):
        i, k = np.argwhere(~np.isfinite(Z))[0]
        raise ValueError(
            f"standardizing X[{i}, {k}] = {X[i, k]} with stats.scale[{i}] = "
            f"{scale[i, 0]} overflows {X.dtype.name}"
        )
    return Z


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
    X = check_matrix("X", X, allow_empty=True)
    Y = check_matrix("Y", Y, allow_empty=True)
    check_same_m(X, Y)
    fraction = check_fraction("fraction", fraction, allow_zero=False)
    return _split(X, Y, fraction, seed)


def _split(
    X: NDArray, Y: NDArray, fraction: float, seed: Seed
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """:func:`split` of checked ``X`` and ``Y`` with as many examples.

    ``fraction`` must be in (0, 1); this raises only if it leaves no training
    or no validation example (or for a bad ``seed``).
    """
    m = X.shape[1]
    m_val = math.floor(fraction * m + 0.5)
    if not 0 < m_val < m:
        raise ValueError(
            f"m={m} examples are too few for fraction={fraction}: it gives "
            f"{m_val} validation and {m - m_val} training examples, both must be >= 1"
        )
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
    dt = check_dtype(dtype, "fiu")
    if n_classes is not None:
        n_classes = check_int("n_classes", n_classes, minimum=1)
    codes = check_codes("labels", labels, n_classes)
    if n_classes is None and codes.size == 0:
        raise ValueError(
            "labels is empty, so n_classes cannot be inferred; pass n_classes"
        )
    k = int(codes.max()) + 1 if n_classes is None else n_classes
    Y = np.zeros((k, codes.size), dtype=dt)
    Y[codes, np.arange(codes.size)] = 1
    return Y


def _readonly(array: NDArray) -> NDArray:
    """Mark a new array read-only (library constants, fitted statistics)."""
    array.setflags(write=False)
    return array
