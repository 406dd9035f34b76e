"""PyTorch, JAX and scikit-learn doing the work of a workload, when installed.

Each trains the same network from the same initial arrays with the same
optimizer, records one cost per epoch and returns NumPy arrays, so its result
can be checked against fnnet's reference. Each is imported only when its row
is built; a missing one raises :class:`~bench.trial.Unavailable`.

- PyTorch: a plain eager loop, autograd gradients, ``torch.optim.SGD`` (no
  momentum) or ``torch.optim.Adam``, the cost from the logits
  (``binary_cross_entropy_with_logits`` / ``log_softmax``), float dtype as the
  workload, ``torch.set_num_threads(<cores>)``; and the same on one thread.
- JAX: the whole run is one ``jax.jit``-compiled ``lax.fori_loop`` over the
  epochs (an inner ``fori_loop`` over the minibatches), ``jax.value_and_grad``
  of the same cost; float64 needs ``jax_enable_x64``, which is switched on.
- scikit-learn: ``MLPClassifier`` with the same architecture, activation and
  solver (``sgd`` without momentum, or ``adam``), ``alpha=0``, ``tol=0``,
  ``batch_size=m`` for full batch, started from fnnet's initial arrays via
  ``warm_start``. It shuffles minibatches with its own generator, and its
  Adam adds epsilon to ``sqrt(v)`` before the bias correction (in effect
  ``eps / sqrt(1 - beta2**t)``, 30x larger at the first step), so Adam and
  minibatch rows cannot match the reference exactly.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .trial import Outcome, Trial, Unavailable, n_cores
from .workloads import Task

__all__ = ["jax_trial", "sklearn_trial", "torch_1t_trial", "torch_trial"]

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


def _import(module: str, package: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise Unavailable(f"{package} is not installed") from exc


def _to_outcome(keys: list[str], arrays: list[Any], costs: Any) -> Outcome:
    params = {k: np.array(a) for k, a in zip(keys, arrays, strict=True)}
    return Outcome(params, np.asarray(costs, dtype=np.float64))


# ------------------------------------------------------------------ PyTorch


def _torch_loss(torch: ModuleType, output: str) -> Callable[[Any, Any], Any]:
    F = torch.nn.functional

    def logloss(Z: Any, Y: Any) -> Any:
        return F.binary_cross_entropy_with_logits(Z, Y, reduction="sum") / Z.shape[1]

    def cross_entropy(Z: Any, Y: Any) -> Any:
        return -(Y * torch.log_softmax(Z, dim=0)).sum() / Z.shape[1]

    def mse(Z: Any, Y: Any) -> Any:
        return ((Z - Y) ** 2).sum() / (2 * Z.shape[1])

    return {"sigmoid": logloss, "softmax": cross_entropy, "identity": mse}[output]


def _torch_batches(
    X: Any, Y: Any, order: Any | None, batch_size: int | None
) -> Iterator[tuple[Any, Any]]:
    if order is None:
        yield X, Y
        return
    for i in range(0, X.shape[1], batch_size):
        idx = order[i : i + batch_size]
        yield X[:, idx], Y[:, idx]


def torch_trial(task: Task, threads: int | None = None) -> Trial:
    """A plain PyTorch eager loop with autograd and ``torch.optim``.

    ``threads`` is set with ``torch.set_num_threads`` before every call
    (default: the cores); the setting is global, so each row sets its own.
    """
    torch = _import("torch", "PyTorch")
    threads = threads or n_cores()
    w, keys = task.workload, list(task.params0)
    X, Y = (torch.from_numpy(np.array(a)) for a in (task.X, task.Y))
    orders = None if task.orders is None else torch.from_numpy(np.array(task.orders))
    act = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}[w.hidden]
    loss, m = _torch_loss(torch, w.output), task.X.shape[1]

    def forward(params: list[Any], A: Any) -> Any:
        for l in range(0, len(params) - 2, 2):
            A = act(params[l] @ A + params[l + 1])
        return params[-2] @ A + params[-1]

    def run() -> Outcome:
        params = [
            torch.tensor(np.array(task.params0[k]), requires_grad=True) for k in keys
        ]
        if w.optimizer == "adam":
            opt = torch.optim.Adam(
                params, lr=w.learning_rate, betas=(BETA1, BETA2), eps=EPS
            )
        else:
            opt = torch.optim.SGD(params, lr=w.learning_rate)
        costs = torch.zeros(task.epochs, dtype=torch.float64)
        for epoch in range(task.epochs):
            order = None if orders is None else orders[epoch]
            for xb, yb in _torch_batches(X, Y, order, w.batch_size):
                opt.zero_grad(set_to_none=True)
                J = loss(forward(params, xb), yb)
                J.backward()
                opt.step()
                costs[epoch] += J.detach() * (xb.shape[1] / m)
        return _to_outcome(keys, [p.detach().numpy() for p in params], costs.numpy())

    def setup() -> None:
        torch.set_num_threads(threads)

    name = "torch" if threads == n_cores() else f"torch-{threads}t"
    note = f"eager, autograd, {threads} thread{'s' if threads > 1 else ''}"
    return Trial(name, run, setup=setup, note=note)


def torch_1t_trial(task: Task) -> Trial:
    """:func:`torch_trial` on one thread: small operations gain nothing from
    more, and on a busy machine PyTorch's spinning OpenMP threads cost a lot.
    """
    return torch_trial(task, threads=1)


# ---------------------------------------------------------------------- JAX


def _jax_cost(jax: ModuleType, w: Any) -> Callable[[tuple, Any, Any], Any]:
    jnp = jax.numpy
    act = {"tanh": jnp.tanh, "sigmoid": jax.nn.sigmoid, "relu": jax.nn.relu}[w.hidden]

    def cost(params: tuple, X: Any, Y: Any) -> Any:
        A = X
        for l in range(0, len(params) - 2, 2):
            A = act(params[l] @ A + params[l + 1])
        Z, m = params[-2] @ A + params[-1], X.shape[1]
        if w.output == "sigmoid":
            return jnp.sum(jnp.logaddexp(0, Z) - Y * Z) / m
        if w.output == "softmax":
            return -jnp.sum(Y * jax.nn.log_softmax(Z, axis=0)) / m
        return jnp.sum((Z - Y) ** 2) / (2 * m)

    return cost


def _jax_optimizer(jax: ModuleType, w: Any) -> tuple[Callable, Callable]:
    """``(init, update)`` of SGD or Adam on tuples, as fnnet.optim defines them."""
    jnp, lr = jax.numpy, w.learning_rate

    def sgd_update(params: tuple, grads: tuple, state: Any) -> tuple[tuple, Any]:
        return tuple(p - lr * g for p, g in zip(params, grads, strict=True)), state

    if w.optimizer == "sgd":
        return (lambda params: ()), sgd_update

    def adam_init(params: tuple) -> tuple:
        zeros = tuple(jnp.zeros_like(p) for p in params)
        return jnp.zeros((), jnp.int64), zeros, zeros

    def adam_update(params: tuple, grads: tuple, state: tuple) -> tuple[tuple, tuple]:
        t = state[0] + 1
        mu = tuple(
            BETA1 * m + (1 - BETA1) * g for m, g in zip(state[1], grads, strict=True)
        )
        nu = tuple(
            BETA2 * v + (1 - BETA2) * g**2 for v, g in zip(state[2], grads, strict=True)
        )
        c1 = (1 - BETA1 ** t.astype(jnp.float64)).astype(params[0].dtype)
        c2 = (1 - BETA2 ** t.astype(jnp.float64)).astype(params[0].dtype)
        new = tuple(
            p - lr * (m / c1) / (jnp.sqrt(v / c2) + EPS)
            for p, m, v in zip(params, mu, nu, strict=True)
        )
        return new, (t, mu, nu)

    return adam_init, adam_update


def _jax_program(jax: ModuleType, task: Task) -> Callable[..., tuple[tuple, Any]]:
    """The whole training run as one function of ``(params, X, Y[, orders])``."""
    jnp, lax, w = jax.numpy, jax.lax, task.workload
    value_and_grad = jax.value_and_grad(_jax_cost(jax, w))
    init, update = _jax_optimizer(jax, w)
    m, epochs, dtype = task.X.shape[1], task.epochs, np.dtype(w.dtype)

    def step(carry: tuple, X: Any, Y: Any, weight: float) -> tuple:
        params, state, J = carry
        Jb, grads = value_and_grad(params, X, Y)
        params, state = update(params, grads, state)
        return params, state, J + Jb * weight

    def full_batch(params: tuple, X: Any, Y: Any) -> tuple[tuple, Any]:
        def epoch(i: Any, carry: tuple) -> tuple:
            params, state, costs = carry
            params, state, J = step((params, state, jnp.zeros((), dtype)), X, Y, 1.0)
            return params, state, costs.at[i].set(J)

        carry = (params, init(params), jnp.zeros(epochs, dtype))
        params, _, costs = lax.fori_loop(0, epochs, epoch, carry)
        return params, costs

    def minibatch(params: tuple, X: Any, Y: Any, orders: Any) -> tuple[tuple, Any]:
        bs = w.batch_size
        n_full, rest = divmod(m, bs)

        def batch(j: Any, carry: tuple, Xp: Any, Yp: Any) -> tuple:
            xb = lax.dynamic_slice_in_dim(Xp, j * bs, bs, axis=1)
            yb = lax.dynamic_slice_in_dim(Yp, j * bs, bs, axis=1)
            return step(carry, xb, yb, bs / m)

        def epoch(i: Any, carry: tuple) -> tuple:
            params, state, costs = carry
            Xp, Yp = jnp.take(X, orders[i], axis=1), jnp.take(Y, orders[i], axis=1)
            inner = (params, state, jnp.zeros((), dtype))
            inner = lax.fori_loop(0, n_full, lambda j, c: batch(j, c, Xp, Yp), inner)
            if rest:
                tail = slice(n_full * bs, m)
                inner = step(inner, Xp[:, tail], Yp[:, tail], rest / m)
            return inner[0], inner[1], costs.at[i].set(inner[2])

        carry = (params, init(params), jnp.zeros(epochs, dtype))
        params, _, costs = lax.fori_loop(0, epochs, epoch, carry)
        return params, costs

    return full_batch if task.orders is None else minibatch


def jax_trial(task: Task) -> Trial:
    """One ``jax.jit``-compiled ``lax.fori_loop`` over the epochs."""
    jax = _import("jax", "JAX")
    jax.config.update("jax_enable_x64", True)
    keys = list(task.params0)
    program = jax.jit(_jax_program(jax, task))
    params = tuple(jax.numpy.asarray(np.array(task.params0[k])) for k in keys)
    data = [jax.numpy.asarray(np.array(a)) for a in (task.X, task.Y)]
    if task.orders is not None:
        data.append(jax.numpy.asarray(np.array(task.orders)))

    def run() -> Outcome:
        new, costs = jax.block_until_ready(program(params, *data))
        return _to_outcome(keys, list(new), costs)

    return Trial("jax", run, note="jit(fori_loop); first call = trace + compile")


# ------------------------------------------------------------- scikit-learn


def _sklearn_model(task: Task) -> Any:
    nn = _import("sklearn.neural_network", "scikit-learn")
    w = task.workload
    activation = {"tanh": "tanh", "sigmoid": "logistic", "relu": "relu"}[w.hidden]
    common: dict[str, Any] = {
        "hidden_layer_sizes": w.sizes[1:-1],
        "activation": activation,
        "alpha": 0.0,
        "batch_size": w.batch_size or w.m,
        "learning_rate_init": w.learning_rate,
        "max_iter": task.epochs,
        "tol": 0.0,
        "n_iter_no_change": task.epochs,
        "shuffle": w.batch_size is not None,
        "random_state": 0,
        "warm_start": True,
    }
    if w.optimizer == "adam":
        common |= {"solver": "adam", "beta_1": BETA1, "beta_2": BETA2, "epsilon": EPS}
    else:
        common |= {"solver": "sgd", "momentum": 0.0, "nesterovs_momentum": False}
        common |= {"learning_rate": "constant"}
    return nn.MLPClassifier(**common)


def _sklearn_labels(task: Task) -> NDArray[np.intp]:
    Y = np.asarray(task.Y)
    return Y.argmax(axis=0) if task.workload.output == "softmax" else Y[0].astype(int)


def sklearn_trial(task: Task) -> Trial:
    """``MLPClassifier`` started from the same arrays (``warm_start``)."""
    w = task.workload
    if w.output not in ("sigmoid", "softmax"):
        raise Unavailable(f"MLPClassifier has no {w.output!r} output")
    if w.output == "sigmoid" and w.sizes[-1] != 1:
        raise Unavailable("multi-label sigmoid outputs are not set up for sklearn")
    model = _sklearn_model(task)
    Xr, y = np.ascontiguousarray(task.X.T), _sklearn_labels(task)
    L = task.n_layers

    def setup() -> None:
        if not hasattr(model, "coefs_"):  # one short fit allocates everything
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.set_params(max_iter=1).fit(Xr, y)
            model.set_params(max_iter=task.epochs)
        for l in range(L):
            model.coefs_[l][...] = task.params0[f"W{l + 1}"].T
            model.intercepts_[l][...] = task.params0[f"b{l + 1}"][:, 0]
        model.loss_curve_, model.best_loss_, model._no_improvement_count = [], np.inf, 0

    def run() -> Outcome:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(Xr, y)
        arrays = [
            a for l in range(L) for a in (model.coefs_[l].T, model.intercepts_[l])
        ]
        arrays = [a.reshape(-1, 1) if a.ndim == 1 else a for a in arrays]
        return _to_outcome(list(task.params0), arrays, model.loss_curve_)

    comparable = w.batch_size is None and w.optimizer == "sgd"
    note = "sgd, no momentum" if w.optimizer == "sgd" else "adam, eps unscaled"
    if w.batch_size is not None:
        note += ", own shuffling"
    if not comparable:
        note += ": not comparable"
    return Trial("sklearn", run, setup=setup, note=note, comparable=comparable)
