"""Rosenblatt's perceptron: a step activation and the perceptron learning rule.

No gradients: after each example, ``w += lr * (y - y_hat) * x`` and
``b += lr * (y - y_hat)``, where ``y_hat = step(w . x + b)``. It converges on
linearly separable data (AND, OR) and never settles on XOR, which no single
line separates. Parameters use the network's convention: ``W1`` of shape
``(1, n_x)`` and ``b1`` of shape ``(1, 1)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._validation import (
    as_seed,
    check_matrix,
    check_params,
    check_positive_float,
    check_positive_int,
    check_same_m,
)
from .params import Tree, freeze

Array = NDArray[np.floating]


class PerceptronHistory(NamedTuple):
    """``errors[e]`` misclassified examples during epoch ``e``; ``converged_epoch``
    the first epoch without errors (``None`` if it never converged)."""

    errors: NDArray[np.int64]
    converged_epoch: int | None


def step(Z: Any) -> NDArray[np.int64]:
    """Heaviside step: 1 where ``Z > 0``, else 0.

    Examples
    --------
    >>> step(np.array([-1.0, 0.0, 2.0])).tolist()
    [0, 0, 1]
    """
    return (np.asarray(Z) > 0).astype(np.int64)


def initialize(
    n_x: int, *, seed: int | np.random.Generator = 0, scale: float = 0.5
) -> Tree:
    """Small random weights ``U(-scale, scale)`` and a zero bias.

    Examples
    --------
    >>> {k: v.shape for k, v in initialize(2).items()}
    {'W1': (1, 2), 'b1': (1, 1)}
    """
    n_x = check_positive_int("n_x", n_x)
    scale = check_positive_float("scale", scale, allow_zero=True)
    W1 = as_seed(seed).uniform(-scale, scale, size=(1, n_x))
    return freeze({"W1": W1, "b1": np.zeros((1, 1))})


def predict(params: Mapping[str, Array], X: Any) -> NDArray[np.int64]:
    """0/1 predictions of shape ``(1, m)``."""
    X = _check(params, X)
    return step(params["W1"] @ X + params["b1"])


def train(
    params: Mapping[str, Array],
    X: Any,
    Y: Any,
    *,
    epochs: int = 100,
    learning_rate: float = 0.1,
) -> tuple[Tree, PerceptronHistory]:
    """Apply the perceptron rule example by example, in column order.

    Stops after the first epoch without a mistake, or after ``epochs``.

    Returns
    -------
    params : Tree
    history : PerceptronHistory

    Examples
    --------
    >>> from fnnet.data import logic_gate
    >>> X, Y = logic_gate("and")
    >>> params, history = train(initialize(2, seed=0), X, Y, learning_rate=0.1)
    >>> predict(params, X).tolist(), history.converged_epoch is not None
    ([[0, 0, 0, 1]], True)
    """
    X = _check(params, X)
    Y = check_matrix("Y", Y, X.dtype, rows=1, hint="a perceptron has one output")
    check_same_m(X, Y)
    if not np.isin(Y, (0, 1)).all():
        raise ValueError(f"Y must hold 0/1 labels, found {np.unique(Y)[:5]}")
    epochs = check_positive_int("epochs", epochs)
    lr = check_positive_float("learning_rate", learning_rate)
    w, b = params["W1"][0].copy(), float(params["b1"][0, 0])
    errors: list[int] = []
    for _ in range(epochs):
        mistakes = 0
        for x, y in zip(X.T, Y[0], strict=True):
            delta = y - (w @ x + b > 0)
            w += lr * delta * x
            b += lr * delta
            mistakes += int(delta != 0)
        errors.append(mistakes)
        if mistakes == 0:
            break
    converged = len(errors) - 1 if errors[-1] == 0 else None
    new = freeze({"W1": w[None, :], "b1": np.array([[b]])})
    return new, PerceptronHistory(np.array(errors, dtype=np.int64), converged)


def _check(params: Mapping[str, Array], X: Any) -> Array:
    L, dtype = check_params(params)
    if L != 1 or params["W1"].shape[0] != 1:
        raise ValueError(
            f"params must be a perceptron (W1 of shape (1, n_x), b1 (1, 1)), "
            f"found {L} layers with W1 {params['W1'].shape}"
        )
    n_x = params["W1"].shape[1]
    return check_matrix("X", X, dtype, rows=n_x, hint=f"W1 expects {n_x}")
