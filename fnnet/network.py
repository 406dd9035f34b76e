"""Forward and backward propagation through a fully connected network.

Notation (one column per example, layer ``l = 1..L``)::

    Z[l] = W[l] @ A[l-1] + b[l]        A[0] = X
    A[l] = g(Z[l])                     g = hidden for l < L, output for l = L
    dZ[L] = (A[L] - Y) / m             (output with its canonical loss)
    dW[l] = dZ[l] @ A[l-1].T           db[l] = sum of dZ[l] over examples
    dZ[l-1] = (W[l].T @ dZ[l]) * g'(A[l-1])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._validation import check_choice, check_matrix, check_params, check_positive_float
from .activations import ACTIVATIONS, DERIVATIVES, HIDDEN, OUTPUTS, decide
from .losses import (
    accuracy,
    check_targets,
    cost,
    cost_from_logits,
    l2_penalty,
    resolve_loss,
)
from .params import Tree, freeze, layer_keys

Array = NDArray[np.floating]


def _check_inputs(params: Any, X: Any, hidden: str, output: str) -> tuple[int, Array]:
    L, dtype = check_params(params)
    check_choice("hidden", hidden, HIDDEN)
    check_choice("output", output, OUTPUTS)
    n_x = params["W1"].shape[1]
    return L, check_matrix("X", X, dtype, rows=n_x, hint=f"W1 expects {n_x}")


def _forward(
    params: Mapping[str, Array], X: Array, L: int, hidden: str, output: str
) -> dict:
    cache: dict[str, Any] = {"X": X, "A0": X, "hidden": hidden, "output": output}
    A = X
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A
        Z += params[f"b{l}"]
        A = ACTIVATIONS[hidden if l < L else output](Z)
        cache[f"Z{l}"], cache[f"A{l}"] = Z, A
    return cache


def forward_prop(
    params: Mapping[str, Array], X: Any, hidden: str = "tanh", output: str = "sigmoid"
) -> tuple[Array, Tree]:
    """Run the network forward on the examples in the columns of ``X``.

    Parameters
    ----------
    params : Params
        ``W1, b1, ..., WL, bL`` as made by :func:`fnnet.initialize`.
    X : ndarray of shape (n_x, m)
        Inputs, one example per column; cast to the parameters' dtype.
    hidden : {"tanh", "sigmoid", "relu"}
        Activation of every hidden layer.
    output : {"sigmoid", "softmax", "identity"}
        Activation of the output layer.

    Returns
    -------
    A : ndarray of shape (n_y, m)
        Output activations (read-only).
    cache : Tree
        ``X``, ``Z1, A1, ..., ZL, AL`` and the activation names: everything
        :func:`backward_prop` needs.

    Examples
    --------
    >>> from fnnet import initialize
    >>> params = initialize((2, 4, 1), seed=0)
    >>> A, cache = forward_prop(params, np.array([[0.0, 1.0], [1.0, 0.0]]))
    >>> A.shape, sorted(k for k in cache if k.startswith("Z"))
    ((1, 2), ['Z1', 'Z2'])
    """
    L, X = _check_inputs(params, X, hidden, output)
    cache = freeze(_forward(params, X, L, hidden, output))
    return cache[f"A{L}"], cache


def backward_prop(
    params: Mapping[str, Array],
    cache: Mapping[str, Any],
    Y: Any,
    *,
    loss: str | None = None,
    l2: float = 0.0,
) -> Tree:
    """Gradients of the cost with respect to every parameter.

    Parameters
    ----------
    params : Params
        The parameters that produced ``cache``.
    cache : Tree
        The cache returned by :func:`forward_prop`.
    Y : ndarray of shape (n_y, m)
        Targets for the examples in the cache.
    loss : str or None
        The output's canonical loss (``None`` means that one); any other
        loss raises ``ValueError`` instead of giving a wrong gradient.
    l2 : float
        L2 regularization strength; adds ``l2 / m * W`` to each ``dW``.

    Returns
    -------
    grads : Tree
        ``grads["W1"]`` is ``dJ/dW1``, and so on: the same keys and shapes as
        ``params``.

    Examples
    --------
    >>> from fnnet import initialize
    >>> params = initialize((2, 4, 1), seed=0)
    >>> X, Y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[1.0, 0.0]])
    >>> grads = backward_prop(params, forward_prop(params, X)[1], Y)
    >>> all(grads[k].shape == params[k].shape for k in params)
    True
    """
    L, dtype = check_params(params)
    hidden, output = _check_cache(cache, params, L)
    loss = resolve_loss(output, loss)
    Y = check_targets(Y, loss, cache[f"A{L}"].shape, dtype)
    l2 = check_positive_float("l2", l2, allow_zero=True)
    return freeze(_backward(params, cache, Y, L, hidden, l2))


def _check_cache(cache: Any, params: Mapping[str, Array], L: int) -> tuple[str, str]:
    needed = {"X", "hidden", "output", *(f"A{l}" for l in range(1, L + 1))}
    if not isinstance(cache, Mapping) or not needed <= set(cache):
        found = sorted(cache) if isinstance(cache, Mapping) else type(cache).__name__
        raise ValueError(
            f"cache must be the cache forward_prop returned for these {L}-layer "
            f"params, found {found}"
        )
    for l in range(1, L + 1):
        if cache[f"A{l}"].shape[0] != params[f"W{l}"].shape[0]:
            raise ValueError(
                f"cache['A{l}'] does not match params['W{l}']: wrong cache?"
            )
    return cache["hidden"], cache["output"]


def _backward(
    params: Mapping[str, Array],
    cache: Mapping[str, Any],
    Y: Array,
    L: int,
    hidden: str,
    l2: float,
) -> dict[str, Array]:
    m = Y.shape[1]
    grads: dict[str, Array] = {}
    dZ = (cache[f"A{L}"] - Y) / m
    for l in range(L, 0, -1):
        A_prev = cache[f"A{l - 1}"] if l > 1 else cache["X"]
        grads[f"W{l}"] = dZ @ A_prev.T
        if l2:
            grads[f"W{l}"] += (l2 / m) * params[f"W{l}"]
        grads[f"b{l}"] = dZ.sum(axis=1, keepdims=True)
        if l > 1:
            dZ = (params[f"W{l}"].T @ dZ) * DERIVATIVES[hidden](A_prev)
    return {k: grads[k] for k in layer_keys(L)}


def predict(
    params: Mapping[str, Array], X: Any, hidden: str = "tanh", output: str = "sigmoid"
) -> NDArray[Any]:
    """Predictions for the examples in the columns of ``X``.

    Returns
    -------
    labels : ndarray
        ``sigmoid``: 0/1 ints of shape ``(n_y, m)`` (threshold 0.5);
        ``softmax``: class indices of shape ``(m,)``;
        ``identity``: the outputs ``A`` of shape ``(n_y, m)``.

    Examples
    --------
    >>> from fnnet import initialize
    >>> predict(initialize((2, 1)), np.array([[1.0, -1.0], [0.0, 0.0]])).dtype.kind
    'i'
    """
    A, _ = forward_prop(params, X, hidden, output)
    return decide(A, output)


def evaluate(
    params: Mapping[str, Array], X: Any, Y: Any, hidden: str, output: str, loss: str
) -> tuple[float, float]:
    """Cost and accuracy of ``params`` on ``(X, Y)``; accuracy is nan for regression.

    Examples
    --------
    >>> from fnnet import data, initialize
    >>> X, Y = data.logic_gate("and")
    >>> J, acc = evaluate(initialize((2, 1)), X, Y, "tanh", "sigmoid", "logloss")
    >>> round(J, 4), acc
    (0.6938, 0.5)
    """
    A, _ = forward_prop(params, X, hidden, output)
    return cost(A, Y, loss), accuracy(A, Y, output)


def check_grads(
    params: Mapping[str, Array],
    X: Any,
    Y: Any,
    hidden: str = "tanh",
    output: str = "sigmoid",
    *,
    loss: str | None = None,
    l2: float = 0.0,
    eps: float = 1e-6,
) -> float:
    """Largest relative error between :func:`backward_prop` and finite differences.

    Everything is done in float64, whatever the parameters' dtype.

    Returns
    -------
    error : float
        ``max over keys k of |g_k - n_k| / max(|g_k| + |n_k|, 1e-12)``, where
        ``g_k`` is the analytic gradient of parameter ``k``, ``n_k`` its central
        difference estimate ``(J(p + eps) - J(p - eps)) / (2 eps)`` entry by
        entry, and ``|.|`` the Euclidean norm. Below ``1e-7`` is a pass.

    Notes
    -----
    ``J`` is evaluated from the output logits (:func:`fnnet.losses.cost_from_logits`),
    not from the clipped activations: near saturation ``log(1 - A)`` computed
    from a rounded ``A`` has a relative error of ``eps / (1 - A)``, which
    central differences would turn into a spurious gradient error.

    Examples
    --------
    >>> from fnnet import initialize
    >>> X, Y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[1.0, 0.0]])
    >>> check_grads(initialize((2, 3, 1), seed=1), X, Y) < 1e-7
    True
    """
    check_params(params)
    p64 = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    L, X = _check_inputs(p64, X, hidden, output)
    loss = resolve_loss(output, loss)
    eps = check_positive_float("eps", eps)
    grads = backward_prop(
        p64, forward_prop(p64, X, hidden, output)[1], Y, loss=loss, l2=l2
    )
    Y = np.asarray(Y, dtype=np.float64)  # validated by backward_prop

    def J(p: Mapping[str, Array]) -> float:
        Z = _forward(p, X, L, hidden, output)[f"Z{L}"]
        return cost_from_logits(output, Z, Y) + l2_penalty(p, l2, X.shape[1])

    worst = 0.0
    for k, g in grads.items():
        n = np.empty_like(g)
        for i in np.ndindex(g.shape):
            n[i] = (J(_nudged(p64, k, i, eps)) - J(_nudged(p64, k, i, -eps))) / (
                2 * eps
            )
        err = np.linalg.norm(g - n) / max(np.linalg.norm(g) + np.linalg.norm(n), 1e-12)
        worst = max(worst, float(err))
    return worst


def _nudged(
    params: Mapping[str, Array], key: str, index: tuple[int, ...], h: float
) -> dict:
    moved = params[key].copy()
    moved[index] += h
    return {**params, key: moved}
