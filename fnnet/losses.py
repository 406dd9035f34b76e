"""Losses, each paired with the output activation it is canonical for.

All costs are means over the ``m`` examples (columns) and sums over output
units, so for every canonical pair the gradient at the output's input is
``dJ/dZ_L = (A - Y) / m``:

- ``logloss`` (sigmoid): ``-sum(Y log A + (1 - Y) log(1 - A)) / m``
- ``cross_entropy`` (softmax): ``-sum(Y log A) / m``
- ``mse`` (identity): ``sum((A - Y)**2) / (2 m)``

Logs are taken of ``A`` clipped to ``[tiny, 1 - epsneg]`` of its dtype, so
saturated outputs (``A`` exactly 0 or 1) give a large but finite cost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._validation import check_choice, check_matrix, check_positive_float
from .activations import decide

Array = NDArray[np.floating]


def _clip01(A: Array) -> Array:
    info = np.finfo(A.dtype)
    return np.clip(A, info.tiny, 1 - info.epsneg)


def logloss(A: Array, Y: Array) -> float:
    """Binary cross-entropy, summed over output units, mean over examples."""
    Ac = _clip01(A)
    return float(-(Y * np.log(Ac) + (1 - Y) * np.log1p(-Ac)).sum() / A.shape[1])


def cross_entropy(A: Array, Y: Array) -> float:
    """Categorical cross-entropy ``-sum(Y log A) / m`` for softmax outputs."""
    return float(-(Y * np.log(_clip01(A))).sum() / A.shape[1])


def mse(A: Array, Y: Array) -> float:
    """Half mean squared error ``sum((A - Y)**2) / (2 m)``."""
    D = A - Y
    return float((D * D).sum() / (2 * A.shape[1]))


LOSSES: Mapping[str, Callable[[Array, Array], float]] = MappingProxyType(
    {"logloss": logloss, "cross_entropy": cross_entropy, "mse": mse}
)
CANONICAL_LOSS: Mapping[str, str] = MappingProxyType(
    {"sigmoid": "logloss", "softmax": "cross_entropy", "identity": "mse"}
)


def resolve_loss(output: str, loss: str | None) -> str:
    """The loss to use with ``output``: its canonical one, which ``loss`` must match."""
    from .activations import OUTPUTS

    check_choice("output", output, OUTPUTS)
    canonical = CANONICAL_LOSS[output]
    if loss is not None and loss != canonical:
        check_choice("loss", loss, tuple(LOSSES))
        raise ValueError(
            f"loss {loss!r} does not match output {output!r}: its gradient would be "
            f"wrong; use loss={canonical!r} (or loss=None) with output={output!r}"
        )
    return canonical


def check_targets(Y: Any, loss: str, shape: tuple[int, int], dtype: np.dtype) -> Array:
    """Validate ``Y`` for ``loss``: the shape of ``A`` and values in range."""
    Y = check_matrix("Y", Y, dtype)
    if Y.shape != shape:
        raise ValueError(f"Y must have shape {shape} (n_y, m) like A, found {Y.shape}")
    return check_target_values(Y, loss)


def check_target_values(Y: Array, loss: str, name: str = "Y") -> Array:
    """Targets in range for ``loss``: in [0, 1], and one-hot for cross-entropy.

    ``Y`` is a matrix already checked (:func:`fnnet._validation.check_matrix`).
    """
    if loss in ("logloss", "cross_entropy") and ((Y < 0).any() or (Y > 1).any()):
        bad = Y[(Y < 0) | (Y > 1)].flat[0]
        raise ValueError(f"{name} must lie in [0, 1] for loss {loss!r}, found {bad!r}")
    if loss == "cross_entropy" and not np.allclose(Y.sum(axis=0), 1):
        raise ValueError(
            f"{name} must be one-hot (each column sums to 1) for loss 'cross_entropy', "
            f"found column sums {Y.sum(axis=0)[:5]}"
        )
    return Y


def cost(A: Any, Y: Any, loss: str = "logloss") -> float:
    """Mean cost of predictions ``A`` against targets ``Y``.

    Parameters
    ----------
    A : ndarray of shape (n_y, m)
        Output activations, as returned by :func:`fnnet.forward_prop`.
    Y : ndarray of shape (n_y, m)
        Targets: 0/1 (``logloss``), one-hot columns (``cross_entropy``) or
        real values (``mse``).
    loss : {"logloss", "cross_entropy", "mse"}

    Returns
    -------
    J : float
        The cost, a Python float; finite even for saturated ``A``.

    Examples
    --------
    >>> cost(np.array([[0.9, 0.2]]), np.array([[1.0, 0.0]]))  # doctest: +ELLIPSIS
    0.164...
    >>> cost(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])) < np.inf
    True
    """
    check_choice("loss", loss, tuple(LOSSES))
    A = np.asarray(A)
    A = check_matrix(
        "A", A, A.dtype if A.dtype in (np.float32, np.float64) else np.float64
    )
    if loss != "mse" and ((A < 0).any() or (A > 1).any()):
        raise ValueError(
            f"A must lie in [0, 1] for loss {loss!r}, found values outside"
        )
    Y = check_targets(Y, loss, A.shape, A.dtype)
    return LOSSES[loss](A, Y)


def cost_from_logits(output: str, Z: Array, Y: Array) -> float:
    """The canonical loss of ``output`` computed from its logits ``Z = Z_L``.

    Exact where ``cost(A, Y)`` must round: ``log(sigmoid(z))`` is
    ``-logaddexp(0, -z)`` and softmax's ``log A`` is ``Z - logsumexp(Z)``, with
    no clipping. Used by :func:`fnnet.check_grads`, whose finite differences
    need the cost to full precision even for saturated outputs.

    Examples
    --------
    >>> Z, Y = np.array([[40.0]]), np.array([[0.0]])
    >>> round(cost_from_logits("sigmoid", Z, Y), 12)
    40.0
    """
    m = Z.shape[1]
    if output == "sigmoid":
        return float((Y * np.logaddexp(0, -Z) + (1 - Y) * np.logaddexp(0, Z)).sum() / m)
    if output == "softmax":
        top = Z.max(axis=0, keepdims=True)
        log_sum = top + np.log(np.exp(Z - top).sum(axis=0, keepdims=True))
        return float(-(Y * (Z - log_sum)).sum() / m)
    return mse(Z, Y)


def accuracy(A: Array, Y: Array, output: str) -> float:
    """Share of examples whose decision (:func:`fnnet.activations.decide`) is right.

    Targets are decided by the same rule as outputs; nan for ``identity``
    (regression has no accuracy).

    Examples
    --------
    >>> accuracy(np.array([[0.9, 0.2, 0.6]]), np.array([[1.0, 0.0, 0.0]]), "sigmoid")
    0.6666666666666666
    """
    if output == "identity":
        return float("nan")
    return float((decide(A, output) == decide(Y, output)).mean())


def l2_penalty(params: Mapping[str, Array], l2: float, m: int) -> float:
    """L2 regularization term ``l2 / (2 m) * sum_l ||W_l||^2`` (biases excluded).

    Examples
    --------
    >>> l2_penalty({"W1": np.ones((2, 2)), "b1": np.ones((2, 1))}, 0.5, 4)
    0.25
    """
    l2 = check_positive_float("l2", l2, allow_zero=True)
    if l2 == 0:
        return 0.0
    squares = sum(float((v * v).sum()) for k, v in params.items() if k.startswith("W"))
    return l2 / (2 * m) * squares
