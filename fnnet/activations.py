"""Activation functions and their derivatives, as name-to-function tables.

Every derivative is a function of the activation's *output* ``A`` (not of its
input ``Z``), as in scikit-learn's ``DERIVATIVES``: ``tanh'`` is ``1 - A**2``,
``sigmoid'`` is ``A * (1 - A)``, ``relu'`` is ``A > 0``. The output layer's
derivative is never needed on its own: each output is paired with its
canonical loss so that ``dJ/dZ_L = (A - Y) / m`` (see :mod:`fnnet.losses`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]


def sigmoid(Z: Array) -> Array:
    """Logistic function, stable for any input.

    Notes
    -----
    With ``e = exp(-|Z|)`` (which never overflows),
    ``sigmoid(Z) = 1 / (1 + e)`` for ``Z >= 0`` and ``e / (1 + e)`` otherwise.
    The Numba kernels compute the same formula.

    Examples
    --------
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1, e) / (1 + e)


def tanh(Z: Array) -> Array:
    """Hyperbolic tangent (``numpy.tanh``)."""
    return np.tanh(Z)


def relu(Z: Array) -> Array:
    """Rectified linear unit, ``max(Z, 0)``."""
    return np.maximum(Z, 0)


def softmax(Z: Array) -> Array:
    """Column-wise softmax: each column of the result sums to 1.

    Notes
    -----
    The column maximum is subtracted before ``exp``, so logits of +-1000 do not
    overflow.

    Examples
    --------
    >>> softmax(np.array([[1000.0], [1000.0]]))
    array([[0.5],
           [0.5]])
    """
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def identity(Z: Array) -> Array:
    """The identity, for regression outputs."""
    return Z


def _tanh_prime(A: Array) -> Array:
    return 1 - A * A


def _sigmoid_prime(A: Array) -> Array:
    return A * (1 - A)


def _relu_prime(A: Array) -> Array:
    return (A > 0).astype(A.dtype)


ACTIVATIONS: Mapping[str, Callable[[Array], Array]] = MappingProxyType(
    {
        "tanh": tanh,
        "sigmoid": sigmoid,
        "relu": relu,
        "softmax": softmax,
        "identity": identity,
    }
)
#: Derivatives of the hidden activations, as functions of their output ``A``.
DERIVATIVES: Mapping[str, Callable[[Array], Array]] = MappingProxyType(
    {"tanh": _tanh_prime, "sigmoid": _sigmoid_prime, "relu": _relu_prime}
)
HIDDEN: tuple[str, ...] = ("tanh", "sigmoid", "relu")
OUTPUTS: tuple[str, ...] = ("sigmoid", "softmax", "identity")


def decide(A: NDArray[np.floating], output: str) -> NDArray[Any]:
    """The decision each output makes: the one rule behind every prediction.

    ``sigmoid``: 0/1 ints of the same shape as ``A`` (threshold 0.5);
    ``softmax``: the class index of each column, shape ``(m,)``;
    ``identity``: ``A`` itself.

    Examples
    --------
    >>> decide(np.array([[0.2, 0.7]]), "sigmoid")
    array([[0, 1]])
    >>> decide(np.array([[0.2, 0.7], [0.8, 0.3]]), "softmax")
    array([1, 0])
    """
    if output == "sigmoid":
        return (A > 0.5).astype(np.int64)
    if output == "softmax":
        return A.argmax(axis=0)
    return A
