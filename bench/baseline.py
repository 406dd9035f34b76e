"""The baseline: a plain, tutorial-style NumPy training loop.

This is the classic "neural network from scratch" code, the yardstick every
other implementation is divided by: dictionaries of arrays updated in place,
``forward_propagation`` / ``compute_cost`` / ``backward_propagation`` /
``update_parameters``, a naive ``1 / (1 + np.exp(-z))`` sigmoid and the cost
computed from the probabilities. It does the same maths as
``fnnet.train(backend="numpy")`` (same initial arrays, same optimizer, same
minibatches, one cost per epoch), so it is a fair yardstick and its final
parameters can be checked against fnnet's. It is deliberately *not* written
the fnnet way: it is what fnnet's users would otherwise write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from numpy.typing import NDArray

__all__ = ["backward_propagation", "compute_cost", "forward_propagation", "train"]

Array = NDArray[np.floating]


def sigmoid(Z: Array) -> Array:
    """The textbook sigmoid (it overflows, harmlessly here, for very negative Z)."""
    return 1 / (1 + np.exp(-Z))


def relu(Z: Array) -> Array:
    """``max(Z, 0)``."""
    return np.maximum(Z, 0)


def softmax(Z: Array) -> Array:
    """Column-wise softmax, shifted by the column maximum as tutorials do."""
    expZ = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return expZ / np.sum(expZ, axis=0, keepdims=True)


def identity(Z: Array) -> Array:
    """The identity output of regression."""
    return Z


#: Hidden activations and their derivatives written in terms of the output A.
HIDDEN: Mapping[str, tuple[Callable[[Array], Array], Callable[[Array], Array]]] = {
    "tanh": (np.tanh, lambda A: 1 - A**2),
    "sigmoid": (sigmoid, lambda A: A * (1 - A)),
    "relu": (relu, lambda A: (A > 0).astype(A.dtype)),
}
OUTPUT: Mapping[str, Callable[[Array], Array]] = {
    "sigmoid": sigmoid,
    "softmax": softmax,
    "identity": identity,
}


def forward_propagation(
    parameters: Mapping[str, Array], X: Array, L: int, hidden: str, output: str
) -> dict[str, Array]:
    """Run the network; the cache holds ``A0 = X, A1, ..., AL``.

    Returns
    -------
    cache : dict
        ``cache[f"A{l}"]`` is the activation of layer ``l``, shape ``(n_l, m)``.
    """
    activation = HIDDEN[hidden][0]
    cache = {"A0": X}
    A = X
    for l in range(1, L + 1):
        Z = parameters[f"W{l}"] @ A + parameters[f"b{l}"]
        A = activation(Z) if l < L else OUTPUT[output](Z)
        cache[f"A{l}"] = A
    return cache


def compute_cost(AL: Array, Y: Array, output: str) -> float:
    """Mean log-loss, cross-entropy or half mean squared error over the m columns."""
    m = Y.shape[1]
    if output == "sigmoid":
        return float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m)
    if output == "softmax":
        return float(-np.sum(Y * np.log(AL)) / m)
    return float(np.sum((AL - Y) ** 2) / (2 * m))


def backward_propagation(
    parameters: Mapping[str, Array],
    cache: Mapping[str, Array],
    Y: Array,
    L: int,
    hidden: str,
) -> dict[str, Array]:
    """Gradients ``dW1, db1, ..., dWL, dbL`` of the mean cost.

    Notes
    -----
    Every output is paired with its canonical loss, so ``dZL = AL - Y`` and
    ``dW_l = dZ_l A_{l-1}^T / m``, ``db_l = sum(dZ_l) / m``,
    ``dZ_{l-1} = W_l^T dZ_l * g'(A_{l-1})``.
    """
    m = Y.shape[1]
    derivative = HIDDEN[hidden][1]
    grads = {}
    dZ = cache[f"A{L}"] - Y
    for l in range(L, 0, -1):
        A_prev = cache[f"A{l - 1}"]
        grads[f"dW{l}"] = dZ @ A_prev.T / m
        grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True) / m
        if l > 1:
            dZ = (parameters[f"W{l}"].T @ dZ) * derivative(A_prev)
    return grads


def update_parameters(
    parameters: dict[str, Array], grads: Mapping[str, Array], learning_rate: float
) -> None:
    """Gradient descent, in place: ``W -= learning_rate * dW``."""
    for key in parameters:
        parameters[key] -= learning_rate * grads["d" + key]


class Adam:
    """Adam with bias correction, the tutorial way (moments in dicts, in place).

    ``p -= lr * (v / (1 - beta1**t)) / (sqrt(s / (1 - beta2**t)) + eps)``.
    """

    def __init__(
        self,
        parameters: Mapping[str, Array],
        learning_rate: float,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
    ) -> None:
        self.learning_rate, self.beta1, self.beta2 = learning_rate, beta1, beta2
        self.epsilon, self.t = epsilon, 0
        self.v = {k: np.zeros_like(p) for k, p in parameters.items()}
        self.s = {k: np.zeros_like(p) for k, p in parameters.items()}

    def update(self, parameters: dict[str, Array], grads: Mapping[str, Array]) -> None:
        """One step on every parameter, in place."""
        self.t += 1
        c1, c2 = 1 - self.beta1**self.t, 1 - self.beta2**self.t
        for k in parameters:
            g = grads["d" + k]
            self.v[k] = self.beta1 * self.v[k] + (1 - self.beta1) * g
            self.s[k] = self.beta2 * self.s[k] + (1 - self.beta2) * g**2
            v_corrected = self.v[k] / c1
            s_corrected = self.s[k] / c2
            step = v_corrected / (np.sqrt(s_corrected) + self.epsilon)
            parameters[k] -= self.learning_rate * step


def _batches(order: NDArray | None, m: int, batch_size: int | None) -> list:
    """Index sets of one epoch: everything, or consecutive slices of ``order``."""
    if order is None:
        return [slice(None)]
    return [order[i : i + batch_size] for i in range(0, m, batch_size)]


def train(
    parameters: Mapping[str, Array],
    X: Array,
    Y: Array,
    *,
    epochs: int,
    learning_rate: float,
    optimizer: str = "sgd",
    hidden: str = "tanh",
    output: str = "sigmoid",
    batch_size: int | None = None,
    orders: NDArray | None = None,
) -> tuple[dict[str, Array], NDArray[np.float64]]:
    """Train by gradient descent or Adam, recording one cost per epoch.

    Parameters
    ----------
    parameters : mapping of str to ndarray
        Initial ``W1, b1, ...``; copied, never modified.
    X : ndarray of shape (n_x, m)
    Y : ndarray of shape (n_y, m)
    epochs : int
    learning_rate : float
    optimizer : {"sgd", "adam"}
    hidden, output : str
    batch_size : int, optional
    orders : ndarray of shape (epochs, m), optional
        Example order of each epoch for minibatches (``None``: full batch).

    Returns
    -------
    parameters : dict of str to ndarray
    costs : ndarray of shape (epochs,)
        Mean over the epoch's minibatch costs (each before its update),
        weighted by batch size, as ``fnnet.train`` records it.

    Examples
    --------
    >>> X = np.array([[0.0, 0, 1, 1], [0, 1, 0, 1]]); Y = np.array([[0.0, 1, 1, 0]])
    >>> rng = np.random.default_rng(0)
    >>> p0 = {"W1": rng.normal(size=(4, 2)), "b1": np.zeros((4, 1)),
    ...       "W2": rng.normal(size=(1, 4)), "b2": np.zeros((1, 1))}
    >>> p, costs = train(p0, X, Y, epochs=3000, learning_rate=1.2)
    >>> bool(costs[-1] < 0.05 < costs[0])
    True
    """
    parameters = {k: np.array(v) for k, v in parameters.items()}
    L, m = len(parameters) // 2, X.shape[1]
    adam = Adam(parameters, learning_rate) if optimizer == "adam" else None
    costs = np.zeros(epochs)
    for epoch in range(epochs):
        order = None if orders is None else orders[epoch]
        for idx in _batches(order, m, batch_size):
            X_batch, Y_batch = X[:, idx], Y[:, idx]
            cache = forward_propagation(parameters, X_batch, L, hidden, output)
            cost = compute_cost(cache[f"A{L}"], Y_batch, output)
            costs[epoch] += cost * X_batch.shape[1] / m
            grads = backward_propagation(parameters, cache, Y_batch, L, hidden)
            if adam is None:
                update_parameters(parameters, grads, learning_rate)
            else:
                adam.update(parameters, grads)
    return parameters, costs
