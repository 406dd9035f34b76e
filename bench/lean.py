"""The lean baseline: the plain NumPy loop a competent user writes.

The headline yardstick. Rows are examples (``X_rows`` is ``(m, n_x)``, so a
minibatch is a contiguous row gather), ``Z = A @ W.T; Z += b``, activations
and their derivatives in place, Adam in place, and no cost computed per
epoch (it returns an empty cost array; the check compares parameters only).
Same maths, same initial arrays, same minibatches as ``fnnet.train``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

__all__ = ["train"]

Array = NDArray[np.floating]


def _forward(Ws, bs, A, hidden, output):
    """Activations of every layer, rows = examples; ``acts[0]`` is ``A``."""
    acts = [A]
    L = len(Ws)
    for l in range(L):
        Z = A @ Ws[l].T
        Z += bs[l]
        code = hidden if l < L - 1 else output
        if code == "tanh":
            np.tanh(Z, out=Z)
        elif code == "relu":
            np.maximum(Z, 0, out=Z)
        elif code == "sigmoid":
            np.negative(Z, out=Z)
            np.exp(Z, out=Z)
            Z += 1
            np.reciprocal(Z, out=Z)
        elif code == "softmax":
            Z -= Z.max(axis=1, keepdims=True)
            np.exp(Z, out=Z)
            Z /= Z.sum(axis=1, keepdims=True)
        acts.append(Z)
        A = Z
    return acts


def _backward(Ws, acts, Yb, hidden):
    """Gradients ``(dW, db)`` per layer of the mean canonical loss."""
    L, mb = len(Ws), Yb.shape[0]
    dZ = acts[L] - Yb
    dZ /= mb
    grads = [None] * L
    for l in range(L - 1, -1, -1):
        A_prev = acts[l]
        grads[l] = (dZ.T @ A_prev, dZ.sum(axis=0))
        if l > 0:
            dZ = dZ @ Ws[l]
            if hidden == "tanh":
                d = A_prev * A_prev
                np.subtract(1, d, out=d)
                dZ *= d
            elif hidden == "relu":
                dZ *= A_prev > 0
            else:
                dZ *= A_prev * (1 - A_prev)
    return grads


def _adam_step(params, grads, mu, nu, t, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Adam with bias correction, every array in place."""
    c1, c2 = 1 - b1**t, 1 - b2**t
    for p, g, m, v in zip(params, grads, mu, nu, strict=True):
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        den = v / c2
        np.sqrt(den, out=den)
        den += eps
        step = m / c1
        step /= den
        step *= lr
        p -= step


def train(
    parameters: Mapping[str, Array],
    X_rows: Array,
    Y_rows: Array,
    *,
    epochs: int,
    learning_rate: float,
    optimizer: str = "sgd",
    hidden: str = "tanh",
    output: str = "sigmoid",
    batch_size: int | None = None,
    orders: NDArray | None = None,
) -> dict[str, Array]:
    """Train from rows of examples; return fnnet-shaped parameters.

    Examples
    --------
    >>> X = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]]); Y = np.array([[0.0], [1], [1], [0]])
    >>> rng = np.random.default_rng(0)
    >>> p0 = {"W1": rng.normal(size=(4, 2)), "b1": np.zeros((4, 1)),
    ...       "W2": rng.normal(size=(1, 4)), "b2": np.zeros((1, 1))}
    >>> p = train(p0, X, Y, epochs=3000, learning_rate=1.2)
    >>> p["W1"].shape, p["b1"].shape
    ((4, 2), (4, 1))
    """  # noqa: E501
    L, m = len(parameters) // 2, X_rows.shape[0]
    Ws = [np.array(parameters[f"W{l}"]) for l in range(1, L + 1)]
    bs = [np.array(parameters[f"b{l}"]).ravel() for l in range(1, L + 1)]
    flat = [a for pair in zip(Ws, bs, strict=True) for a in pair]
    mu = [np.zeros_like(a) for a in flat]
    nu = [np.zeros_like(a) for a in flat]
    mb, t = batch_size or m, 0
    with np.errstate(over="ignore"):
        for epoch in range(epochs):
            order = None if orders is None or mb >= m else orders[epoch]
            for start in range(0, m, mb):
                if order is None:
                    Xb, Yb = X_rows, Y_rows
                else:
                    idx = order[start : start + mb]
                    Xb, Yb = X_rows[idx], Y_rows[idx]
                acts = _forward(Ws, bs, Xb, hidden, output)
                grads = [g for pair in _backward(Ws, acts, Yb, hidden) for g in pair]
                if optimizer == "adam":
                    t += 1
                    _adam_step(flat, grads, mu, nu, t, learning_rate)
                else:
                    for p, g in zip(flat, grads, strict=True):
                        g *= learning_rate
                        p -= g
                if order is None:
                    break
    out = {}
    for l in range(L):
        out[f"W{l + 1}"], out[f"b{l + 1}"] = Ws[l], bs[l].reshape(-1, 1)
    return out
