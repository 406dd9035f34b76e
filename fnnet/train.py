"""The training loop, on two backends that give the same numbers.

``backend="numpy"`` is the reference: literally the public pure functions
(:func:`forward_prop`, :func:`cost`, :func:`backward_prop`, an optimizer's
``update``) in a loop. ``backend="numba"`` runs whole epochs in compiled code
(:mod:`fnnet.kernels`) and is held to the reference by the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._run import (
    EarlyStopping,
    History,
    RunSpec,
    batch_orders,
    diverged,
)
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
from .losses import accuracy, check_target_values, cost, l2_penalty, resolve_loss
from .network import backward_prop, forward_prop
from .optim import Optimizer, check_state, sgd
from .params import Tree

Array = NDArray[np.floating]
BACKENDS = ("numpy", "numba")
DEFAULT_LEARNING_RATE = 0.1


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
    state: Any = None,
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
    state : optimizer state, optional
        Start from this state of ``optimizer`` (for example
        ``history.state`` of an earlier call) instead of ``optimizer.init``.
        With the returned parameters and the same Generator as ``seed``, two
        calls of 50 epochs give the parameters of one call of 100.

    Returns
    -------
    params : Tree
        The trained (or, with ``patience``, the best) parameters.
    history : History

    Raises
    ------
    TrainingDiverged
        (a ``FloatingPointError``) if the training or validation cost becomes
        NaN or infinite; ``.epoch`` is that epoch, and the message gives the
        last finite cost.

    Examples
    --------
    >>> import fnnet as fn
    >>> X, Y = fn.data.logic_gate("xor")
    >>> params, history = fn.train(fn.initialize((2, 4, 1), seed=0), X, Y,
    ...                            epochs=2000, learning_rate=1.2)
    >>> bool(history.costs[-1] < 0.05), fn.predict(params, X).tolist()
    (True, [[0, 1, 1, 0]])
    """
    run = prepare_run(
        params,
        X,
        Y,
        epochs=epochs,
        learning_rate=learning_rate,
        optimizer=optimizer,
        batch_size=batch_size,
        hidden=hidden,
        output=output,
        loss=loss,
        seed=seed,
        l2=l2,
        validation=validation,
        patience=patience,
        callback=callback,
        state=state,
    )
    return execute(run, backend)


def check_backend(name: str, backend: Any) -> str:
    """One of :data:`BACKENDS`, and importable (the compiled one needs Numba).

    Raises
    ------
    ImportError
        If ``backend="numba"`` and the compiled backend cannot be imported.
    """
    if check_choice(name, backend, BACKENDS) == "numba":
        try:
            from .kernels import compiled  # noqa: F401
        except ImportError as e:
            raise ImportError(
                f"{name} {backend!r} is not available ({e}); use the numpy backend"
            ) from None
    return backend


def execute(run: RunSpec, backend: str = "numpy") -> tuple[Tree, History]:
    """Run a validated :class:`RunSpec` on ``backend``."""
    if check_backend("backend", backend) == "numba":
        from .kernels.compiled import train_compiled

        return train_compiled(run)
    return _train_numpy(run)


def prepare_run(
    params: Any,
    X: Any,
    Y: Any,
    *,
    epochs: Any,
    learning_rate: Any = None,
    optimizer: Any = None,
    batch_size: Any = None,
    hidden: Any = "tanh",
    output: Any = "sigmoid",
    loss: Any = None,
    seed: Any = 0,
    l2: Any = 0.0,
    validation: Any = None,
    patience: Any = None,
    callback: Any = None,
    state: Any = None,
    assume_finite: bool = False,
) -> RunSpec:
    """Validate every argument of :func:`train` once, before any work.

    ``assume_finite=True`` skips the pass over the data for NaN and inf, for
    a caller that has just made (and checked) the arrays itself, as
    :func:`fnnet.model.fit` has.
    """
    _, dtype = check_params(params)
    check_choice("hidden", hidden, HIDDEN)
    loss = resolve_loss(output, loss)
    finite = not assume_finite
    X, Y = _check_data(params, X, Y, loss, dtype, ("X", "Y"), finite)
    X_val = Y_val = None
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise TypeError(
                f"validation must be a pair (X_val, Y_val), found {validation!r}"
            )
        names = ("X_val", "Y_val")
        X_val, Y_val = _check_data(params, *validation, loss, dtype, names, finite)
    if patience is not None:
        patience = check_positive_int("patience", patience)
        if validation is None:
            raise ValueError(
                "patience needs validation=(X_val, Y_val) to watch, found None"
            )
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, found {callback!r}")
    optimizer = _choose_optimizer(learning_rate, optimizer)
    if state is not None:
        state = check_state(optimizer, state, params)
    return RunSpec(
        params=Tree(params),
        X=X,
        Y=Y,
        epochs=check_positive_int("epochs", epochs),
        optimizer=optimizer,
        batch_size=None
        if batch_size is None
        else check_positive_int("batch_size", batch_size),
        hidden=hidden,
        output=output,
        loss=loss,
        rng=as_seed(seed),
        l2=check_positive_float("l2", l2, allow_zero=True),
        X_val=X_val,
        Y_val=Y_val,
        patience=patience,
        callback=callback,
        state=state,
    )


def _check_data(
    params: Mapping[str, Array],
    X: Any,
    Y: Any,
    loss: str,
    dtype: np.dtype,
    names: tuple[str, str],
    finite: bool,
) -> tuple[Array, Array]:
    L, (xn, yn) = len(params) // 2, names
    n_x, n_y = params["W1"].shape[1], params[f"W{L}"].shape[0]
    X = check_matrix(xn, X, dtype, rows=n_x, hint=f"W1 expects {n_x}", finite=finite)
    Y = check_matrix(
        yn, Y, dtype, rows=n_y, hint=f"W{L} gives {n_y} outputs", finite=finite
    )
    check_same_m(X, Y, xn, yn)
    return X, check_target_values(Y, loss, yn)


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


def _batches(
    order: NDArray[np.intp] | None, m: int, batch_size: int | None
) -> Iterator[Any]:
    if order is None:
        yield slice(None)
        return
    for start in range(0, m, batch_size):
        yield order[start : start + batch_size]


def _train_numpy(s: RunSpec) -> tuple[Tree, History]:
    """The reference loop: the public pure functions, epoch after epoch."""
    params, m = s.params, s.X.shape[1]
    state = s.optimizer.init(params) if s.state is None else s.state
    costs: list[float] = []
    tracker = EarlyStopping(s.patience, params)
    for epoch in range(s.epochs):
        order = batch_orders(s.rng, m, s.batch_size)
        with np.errstate(over="ignore", invalid="ignore"):  # caught just below
            params, state, J = _epoch_numpy(s, params, state, order)
        if not np.isfinite(J):
            raise diverged(epoch, J, costs)
        costs.append(J)
        if s.X_val is not None:
            tracker.record(epoch, params, *_validation_metrics(s, params))
        if s.callback is not None:
            s.callback(epoch, J)
        if tracker.should_stop(epoch):
            break
    return tracker.result(params, costs, state)


def _validation_metrics(s: RunSpec, params: Tree) -> tuple[float, float]:
    """Cost and accuracy on the validation data; cost NaN if the outputs are not
    finite (``cost`` would reject them), which ``EarlyStopping.record`` reports."""
    with np.errstate(over="ignore", invalid="ignore"):
        A, _ = forward_prop(params, s.X_val, s.hidden, s.output)
        if not np.isfinite(A).all():
            return float("nan"), float("nan")
        return cost(A, s.Y_val, s.loss), accuracy(A, s.Y_val, s.output)


def _epoch_numpy(
    s: RunSpec, params: Tree, state: Any, order: NDArray[np.intp] | None
) -> tuple[Tree, Any, float]:
    """One epoch of minibatch steps; returns the example-weighted mean cost."""
    m, J = s.X.shape[1], 0.0
    for idx in _batches(order, m, s.batch_size):
        Xb, Yb = s.X[:, idx], s.Y[:, idx]
        A, cache = forward_prop(params, Xb, s.hidden, s.output)
        if not np.isfinite(A).all():
            return params, state, np.nan  # cost would reject them
        Jb = cost(A, Yb, s.loss) + l2_penalty(params, s.l2, Xb.shape[1])
        grads = backward_prop(params, cache, Yb, loss=s.loss, l2=s.l2)
        params, state = s.optimizer.update(params, grads, state)
        J += Jb * Xb.shape[1] / m
        if not all(np.isfinite(v).all() for v in params.values()):
            return params, state, np.nan  # the next forward_prop would reject them
    return params, state, J
