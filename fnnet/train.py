"""The training loop, on two backends that give the same numbers.

``backend="numpy"`` is the reference: literally the public pure functions
(:func:`forward_prop`, :func:`cost`, :func:`backward_prop`, an optimizer's
``update``) in a loop. ``backend="numba"`` runs whole epochs in compiled code
(:mod:`fnnet.kernels`) and is held to the reference by the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._validation import (
    as_seed,
    check_choice,
    check_matrix,
    check_params,
    check_positive_float,
    check_positive_int,
    check_same_m,
)
from .activations import HIDDEN
from .losses import check_targets, cost, l2_penalty, resolve_loss
from .network import backward_prop, forward_prop
from .optim import Optimizer, sgd
from .params import Tree

Array = NDArray[np.floating]
BACKENDS = ("numpy", "numba")
DEFAULT_LEARNING_RATE = 0.1


class History(NamedTuple):
    """What happened during :func:`train`, one entry per epoch run.

    ``costs[e]`` is the training cost seen during epoch ``e`` (the mean of the
    minibatch costs, each before its update; with full batches, the cost of
    the parameters entering the epoch). ``val_costs[e]`` and
    ``val_accuracies[e]`` are measured on the validation data after epoch
    ``e`` (``None`` without validation data; accuracy is ``nan`` for
    regression). ``best_epoch`` is the epoch whose parameters were returned.
    """

    costs: Array
    val_costs: Array | None
    val_accuracies: Array | None
    best_epoch: int
    stopped_early: bool


class Setup(NamedTuple):
    """Validated arguments of :func:`train`, shared by both backends."""

    params: Tree
    X: Array
    Y: Array
    epochs: int
    optimizer: Optimizer
    batch_size: int | None
    hidden: str
    output: str
    loss: str
    rng: np.random.Generator
    l2: float
    X_val: Array | None
    Y_val: Array | None
    patience: int | None
    callback: Callable[[int, float], Any] | None


def train(
    params: Mapping[str, Array],
    X: Any,
    Y: Any,
    *,
    epochs: int,
    learning_rate: float | None = None,
    optimizer: Optimizer | None = None,
    batch_size: int | None = None,
    hidden: str = "tanh",
    output: str = "sigmoid",
    loss: str | None = None,
    backend: str = "numpy",
    seed: int | np.random.Generator = 0,
    l2: float = 0.0,
    validation: tuple[Any, Any] | None = None,
    patience: int | None = None,
    callback: Callable[[int, float], Any] | None = None,
) -> tuple[Tree, History]:
    """Train a network by gradient descent.

    Parameters
    ----------
    params : Params
        Initial parameters (:func:`fnnet.initialize`); their dtype is used
        throughout.
    X : ndarray of shape (n_x, m)
    Y : ndarray of shape (n_y, m)
    epochs : int
        Passes over the data.
    learning_rate : float, optional
        Plain gradient descent at this rate (``fnnet.optim.sgd``). Give this
        or ``optimizer``, not both; with neither, ``sgd(0.1)``.
    optimizer : Optimizer, optional
        ``fnnet.optim.sgd``, ``momentum`` or ``adam``.
    batch_size : int, optional
        Minibatch size; ``None`` (or ``>= m``) means full batch. Minibatches
        come from a fresh permutation of the examples each epoch, drawn from
        ``seed``; the last batch of an epoch may be smaller.
    hidden, output, loss : str
        Activations and loss; ``loss=None`` means the output's canonical loss.
    backend : {"numpy", "numba"}
        ``"numpy"`` is the reference; ``"numba"`` the compiled loop.
    seed : int or numpy.random.Generator
        Source of the minibatch permutations.
    l2 : float
        L2 regularization strength (see :func:`fnnet.losses.l2_penalty`).
    validation : (X_val, Y_val), optional
        Data to measure after every epoch.
    patience : int, optional
        Stop when the validation cost has not improved for this many epochs
        and return the best parameters seen. Needs ``validation``.
    callback : callable, optional
        ``callback(epoch, cost)`` after each epoch, in order (with
        ``backend="numba"``, after each compiled chunk of epochs).

    Returns
    -------
    params : Tree
        The trained (or, with ``patience``, the best) parameters.
    history : History

    Raises
    ------
    FloatingPointError
        If the cost becomes NaN or infinite; the message gives the epoch and
        the last finite cost.

    Examples
    --------
    >>> import fnnet as fn
    >>> X, Y = fn.data.logic_gate("xor")
    >>> params, history = fn.train(fn.initialize((2, 4, 1), seed=0), X, Y,
    ...                            epochs=2000, learning_rate=1.2)
    >>> bool(history.costs[-1] < 0.05), fn.predict(params, X).tolist()
    (True, [[0, 1, 1, 0]])
    """
    setup = _prepare(
        params,
        X,
        Y,
        epochs,
        learning_rate,
        optimizer,
        batch_size,
        hidden,
        output,
        loss,
        seed,
        l2,
        validation,
        patience,
        callback,
    )
    if check_choice("backend", backend, BACKENDS) == "numba":
        from .kernels.train import train_numba

        return train_numba(setup)
    return _train_numpy(setup)


def _prepare(
    params: Any,
    X: Any,
    Y: Any,
    epochs: Any,
    learning_rate: Any,
    optimizer: Any,
    batch_size: Any,
    hidden: Any,
    output: Any,
    loss: Any,
    seed: Any,
    l2: Any,
    validation: Any,
    patience: Any,
    callback: Any,
) -> Setup:
    """Validate every argument of :func:`train` once, before any work."""
    _, dtype = check_params(params)
    check_choice("hidden", hidden, HIDDEN)
    loss = resolve_loss(output, loss)
    X, Y = _check_data(params, X, Y, loss, dtype, "X", "Y")
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise TypeError(
                f"validation must be a pair (X_val, Y_val), found {validation!r}"
            )
        validation = _check_data(params, *validation, loss, dtype, "X_val", "Y_val")
    if patience is not None:
        patience = check_positive_int("patience", patience)
        if validation is None:
            raise ValueError(
                "patience needs validation=(X_val, Y_val) to watch, found None"
            )
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, found {callback!r}")
    return Setup(
        Tree(params),
        X,
        Y,
        check_positive_int("epochs", epochs),
        _choose_optimizer(learning_rate, optimizer),
        None if batch_size is None else check_positive_int("batch_size", batch_size),
        hidden,
        output,
        loss,
        as_seed(seed),
        check_positive_float("l2", l2, allow_zero=True),
        *(validation or (None, None)),
        patience,
        callback,
    )


def _check_data(
    params: Mapping[str, Array],
    X: Any,
    Y: Any,
    loss: str,
    dtype: np.dtype,
    xn: str,
    yn: str,
) -> tuple[Array, Array]:
    L = len(params) // 2
    n_x, n_y = params["W1"].shape[1], params[f"W{L}"].shape[0]
    X = check_matrix(xn, X, dtype, rows=n_x, hint=f"W1 expects {n_x}")
    Y = check_matrix(yn, Y, dtype, rows=n_y, hint=f"W{L} gives {n_y} outputs")
    check_same_m(X, Y, xn, yn)
    return X, check_targets(Y, loss, Y.shape, dtype)


def _choose_optimizer(learning_rate: Any, optimizer: Any) -> Optimizer:
    if optimizer is None:
        lr = DEFAULT_LEARNING_RATE if learning_rate is None else learning_rate
        return sgd(check_positive_float("learning_rate", lr))
    if learning_rate is not None:
        raise ValueError(
            "give learning_rate or optimizer, not both: the optimizer has its own "
            f"learning rate; found learning_rate={learning_rate!r} and {optimizer.name}"
            if isinstance(optimizer, Optimizer)
            else f"optimizer must be an fnnet.optim.Optimizer, found {optimizer!r}"
        )
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be an fnnet.optim.Optimizer, found {optimizer!r}"
        )
    return optimizer


def batch_orders(
    rng: np.random.Generator, m: int, batch_size: int | None
) -> NDArray[np.intp] | None:
    """The example order of one epoch: ``None`` for full batch, else a permutation.

    Both backends call this once per epoch, so they see the same batches.
    """
    if batch_size is None or batch_size >= m:
        return None
    return rng.permutation(m)


def _batches(
    order: NDArray[np.intp] | None, m: int, batch_size: int | None
) -> Iterator[Any]:
    if order is None:
        yield slice(None)
        return
    for start in range(0, m, batch_size):
        yield order[start : start + batch_size]


def epoch_failed(
    epoch: int, J: float, costs: list[float] | Array
) -> FloatingPointError:
    """The error raised when the cost stops being finite."""
    last = f"{costs[-1]:.6g} at epoch {len(costs) - 1}" if len(costs) else "none"
    return FloatingPointError(
        f"training diverged: the cost became {J} at epoch {epoch} (last finite cost: "
        f"{last}); lower the learning rate or standardize X"
    )


def evaluate(
    params: Mapping[str, Array], X: Array, Y: Array, hidden: str, output: str, loss: str
) -> tuple[float, float]:
    """Cost and accuracy of ``params`` on ``(X, Y)``; accuracy is nan for regression."""
    A, _ = forward_prop(params, X, hidden, output)
    return cost(A, Y, loss), accuracy(A, Y, output)


def accuracy(A: Array, Y: Array, output: str) -> float:
    """Share of correct predictions: thresholded at 0.5 (sigmoid), argmax (softmax)."""
    if output == "sigmoid":
        return float(((A > 0.5) == (Y > 0.5)).mean())
    if output == "softmax":
        return float((A.argmax(axis=0) == Y.argmax(axis=0)).mean())
    return float("nan")


def _train_numpy(s: Setup) -> tuple[Tree, History]:
    """The reference loop: the public pure functions, epoch after epoch."""
    params, state, m = s.params, s.optimizer.init(s.params), s.X.shape[1]
    costs: list[float] = []
    tracker = EarlyStopping(s.patience, params)
    for epoch in range(s.epochs):
        order = batch_orders(s.rng, m, s.batch_size)
        with np.errstate(over="ignore", invalid="ignore"):  # caught just below
            params, state, J = _epoch_numpy(s, params, state, order)
        if not np.isfinite(J):
            raise epoch_failed(epoch, J, costs)
        costs.append(J)
        if s.X_val is not None:
            with np.errstate(over="ignore", invalid="ignore"):  # checked in record
                metrics = evaluate(params, s.X_val, s.Y_val, s.hidden, s.output, s.loss)
            tracker.record(epoch, params, *metrics)
        if s.callback is not None:
            s.callback(epoch, J)
        if tracker.should_stop(epoch):
            break
    return tracker.result(params, costs)


def _epoch_numpy(
    s: Setup, params: Tree, state: Any, order: NDArray[np.intp] | None
) -> tuple[Tree, Any, float]:
    """One epoch of minibatch steps; returns the example-weighted mean cost."""
    m, J = s.X.shape[1], 0.0
    for idx in _batches(order, m, s.batch_size):
        Xb, Yb = s.X[:, idx], s.Y[:, idx]
        A, cache = forward_prop(params, Xb, s.hidden, s.output)
        Jb = cost(A, Yb, s.loss) + l2_penalty(params, s.l2, Xb.shape[1])
        grads = backward_prop(params, cache, Yb, loss=s.loss, l2=s.l2)
        params, state = s.optimizer.update(params, grads, state)
        J += Jb * Xb.shape[1] / m
        if not all(np.isfinite(v).all() for v in params.values()):
            return params, state, np.nan  # the next forward_prop would reject them
    return params, state, J


class EarlyStopping:
    """Book-keeping for validation metrics and patience (no effect on the maths)."""

    def __init__(self, patience: int | None, params: Tree) -> None:
        self.patience, self.best_params = patience, params
        self.val_costs: list[float] = []
        self.val_accuracies: list[float] = []
        self.best_epoch, self.best_cost = -1, np.inf
        self.stopped = False

    def record(self, epoch: int, params: Tree, val_cost: float, val_acc: float) -> None:
        if not np.isfinite(val_cost):
            raise epoch_failed(epoch, val_cost, self.val_costs)
        self.val_costs.append(val_cost)
        self.val_accuracies.append(val_acc)
        if val_cost < self.best_cost:
            self.best_epoch, self.best_cost, self.best_params = epoch, val_cost, params

    def should_stop(self, epoch: int) -> bool:
        """True (and remembered) once ``patience`` epochs passed without improvement."""
        if self.patience is not None and epoch - self.best_epoch >= self.patience:
            self.stopped = True
        return self.stopped

    def result(self, params: Tree, costs: list[float] | Array) -> tuple[Tree, History]:
        if self.patience is None:
            self.best_params, self.best_epoch = params, len(costs) - 1
        history = make_history(
            costs, self.val_costs, self.val_accuracies, self.best_epoch, self.stopped
        )
        return self.best_params, history


def make_history(
    costs: Sequence[float],
    val_costs: Sequence[float],
    val_accuracies: Sequence[float],
    best_epoch: int,
    stopped: bool,
) -> History:
    """A :class:`History` of read-only float64 arrays (``None`` without validation)."""

    def frozen(values: Sequence[float]) -> Array | None:
        if len(values) == 0:
            return None
        arr = np.array(values, dtype=np.float64)
        arr.setflags(write=False)
        return arr

    return History(
        frozen(costs), frozen(val_costs), frozen(val_accuracies), best_epoch, stopped
    )
