"""``train(..., backend="numba")``: validate in Python, run epochs compiled.

The wrapper takes the already validated :class:`fnnet._run.RunSpec`, packs the
parameters into one flat vector, draws the minibatch permutations from the
same generator and in the same order as the reference, calls the compiled
kernel once (or once per chunk of epochs when a callback wants to see the
costs), and unpacks the result into an immutable tree. The kernel never sees
a dict or an unvalidated array, so no Numba typing error can reach a user.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from fnnet._run import History, RunSpec, batch_orders, diverged, make_history
from fnnet.kernels import _epochs as K
from fnnet.params import Tree, freeze, layer_keys

_ACTIVATION = {
    "tanh": K.TANH,
    "sigmoid": K.SIGMOID,
    "relu": K.RELU,
    "softmax": K.SOFTMAX,
    "identity": K.IDENTITY,
}
_OPTIMIZER = {"sgd": K.SGD, "momentum": K.MOMENTUM, "adam": K.ADAM}
#: Most permutation entries drawn ahead of one kernel call (bounds memory).
_MAX_ORDER_ENTRIES = 1 << 22
#: With a callback, aim for one kernel call about this often (seconds).
_CALLBACK_INTERVAL = 0.1


def train_compiled(s: RunSpec) -> tuple[Tree, History]:
    """Run :func:`fnnet.train` on the compiled backend. Twin: ``_train_numpy``."""
    theta, layout = pack(s.params)
    batch = s.batch_size or s.X.shape[1]
    X, Y, Xv, Yv = _arrays(s)
    hidden, output, opt, hyper = _codes(s)
    work = _Work(theta, K.buffers(theta, layout, X, Y, Xv, batch, hyper, s.full_batch))
    static = (layout, X, Y, Xv, Yv, batch, hidden, output, opt, hyper)
    static += (s.l2, s.patience or 0)
    chunks: list[NDArray] = []  # each call's metrics: (3, epochs it ran)
    chunk, done, stopped = _first_chunk(s), 0, False
    while done < s.epochs and not stopped:
        n = min(chunk, s.epochs - done)
        orders, start = _orders(s, n), time.perf_counter()
        metrics = np.full((3, n), np.nan)
        with np.errstate(over="ignore", invalid="ignore"):  # only without the JIT
            ran, status = K._epochs_kernel(*work.state(), metrics, orders, *static)
        chunks.append(metrics[:, :ran])
        _check_status(status, done + ran, metrics[:, ran : ran + 1], chunks)
        _report(s, done, metrics[0, :ran])
        done, stopped = done + ran, status == K.STOPPED
        work.best_meta[2] = done
        chunk = _next_chunk(chunk, time.perf_counter() - start, s)
    return _result(s, work, layout, np.concatenate(chunks, axis=1), stopped)


class _Work:
    """The kernel's working state, owned by one call of :func:`train_compiled`.

    The kernel works on unowned views of these arrays, so they must outlive
    every kernel call: they live as long as this object.
    """

    def __init__(self, theta: NDArray[np.floating], buffers: tuple) -> None:
        self.theta = theta
        self.s1, self.s2 = np.zeros_like(theta), np.zeros_like(theta)
        self.count = np.zeros(1, dtype=np.int64)
        self.best = theta.copy()
        self.best_meta = np.array([np.inf, -1.0, 0.0])  # cost, epoch, epochs done
        self.buffers = buffers  # grads, hyp, A, dZ, T, scratch, offsets

    def state(self) -> tuple[NDArray, ...]:
        """The arrays the kernel updates, in its argument order."""
        run = (self.theta, self.s1, self.s2, self.count, self.best, self.best_meta)
        return run + self.buffers


def pack(
    params: Mapping[str, NDArray[np.floating]],
) -> tuple[NDArray, NDArray[np.int64]]:
    """Parameters as one flat vector in layer order, and each layer's layout.

    ``layout[l] = (n_l, n_{l-1}, offset of W, offset of b)`` for layer ``l + 1``.
    """
    L = len(params) // 2
    parts, layout, at = [], np.empty((L, 4), dtype=np.int64), 0
    for l in range(1, L + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        layout[l - 1] = (W.shape[0], W.shape[1], at, at + W.size)
        parts += [W.ravel(), b.ravel()]
        at += W.size + b.size
    return np.concatenate(parts), layout


def unpack(theta: NDArray[np.floating], layout: NDArray[np.int64]) -> Tree:
    """The inverse of :func:`pack`: a fresh tree of read-only arrays."""
    out = {}
    keys = layer_keys(layout.shape[0])
    for l, (n, k, w_at, b_at) in enumerate(layout):
        out[keys[2 * l]] = theta[w_at : w_at + n * k].reshape(n, k).copy()
        out[keys[2 * l + 1]] = theta[b_at : b_at + n].reshape(n, 1).copy()
    return freeze(out)


def _codes(s: RunSpec) -> tuple[int, int, int, NDArray[np.float64]]:
    """Activation and optimizer codes and the optimizer's hyperparameters.

    Only fnnet's own optimizers compile; any other is a clear error.
    """
    opt = s.optimizer
    if (
        opt.name not in _OPTIMIZER
        or getattr(opt.update, "__module__", "") != "fnnet.optim"
    ):
        raise ValueError(
            "backend='numba' runs fnnet.optim.sgd, momentum and adam only, "
            f"found optimizer {opt.name!r}; use backend='numpy' for other optimizers"
        )
    h = opt.hyperparams
    b1 = h.get("beta1", h.get("beta", 0.0))
    b2 = h.get("beta2", 0.0)
    hyper = [h["learning_rate"], b1, 1.0 - b1, b2, 1.0 - b2, h.get("eps", 0.0)]
    codes = _ACTIVATION[s.hidden], _ACTIVATION[s.output], _OPTIMIZER[opt.name]
    return (*codes, np.array(hyper, dtype=np.float64))


def _arrays(s: RunSpec) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """X, Y, X_val, Y_val as writeable C-contiguous arrays (copied only if needed).

    One array type per dtype keeps the kernel to one compiled signature per
    dtype: a read-only or strided array would be another Numba type, and
    another compilation. Without validation data, empty ``(n, 0)`` arrays.
    """
    if s.X_val is None:
        Xv, Yv = s.X[:, :0], s.Y[:, :0]
    else:
        Xv, Yv = s.X_val, s.Y_val
    return tuple(np.require(a, requirements=["C", "W"]) for a in (s.X, s.Y, Xv, Yv))


def _max_chunk(s: RunSpec) -> int:
    return s.epochs if s.full_batch else max(1, _MAX_ORDER_ENTRIES // s.X.shape[1])


def _first_chunk(s: RunSpec) -> int:
    return 1 if s.callback is not None else _max_chunk(s)


def _next_chunk(chunk: int, elapsed: float, s: RunSpec) -> int:
    """With a callback, grow or shrink chunks towards one call per interval."""
    if s.callback is not None:
        if elapsed < _CALLBACK_INTERVAL / 2:
            chunk *= 2
        elif elapsed > 2 * _CALLBACK_INTERVAL:
            chunk = max(1, chunk // 2)
    return min(chunk, _max_chunk(s))


def _orders(s: RunSpec, n: int) -> NDArray[np.int64]:
    """The next ``n`` epochs' permutations, drawn exactly as the reference does."""
    m = s.X.shape[1]
    if s.full_batch:  # batch_orders draws nothing and returns None
        return np.empty((0, m), dtype=np.int64)
    drawn = [batch_orders(s.rng, m, s.batch_size) for _ in range(n)]
    return np.stack(drawn).astype(np.int64, copy=False)


def _check_status(status: int, epoch: int, failed: NDArray, chunks: list) -> None:
    """Raise the reference's error if the kernel stopped on a non-finite cost.

    ``failed`` is the metrics column of the failing epoch, ``chunks`` the
    metrics of the epochs before it.
    """
    if status in (K.TRAIN_FAILED, K.VAL_FAILED):
        row = 0 if status == K.TRAIN_FAILED else 1
        before = np.concatenate(chunks, axis=1)[row]
        raise diverged(epoch, float(failed[row, 0]), before)


def _report(s: RunSpec, done: int, costs: NDArray) -> None:
    if s.callback is not None:
        for i, J in enumerate(costs.tolist()):
            s.callback(done + i, J)


def _result(
    s: RunSpec, work: _Work, layout: NDArray, metrics: NDArray, stopped: bool
) -> tuple[Tree, History]:
    if s.patience is None:
        params, best_epoch = unpack(work.theta, layout), metrics.shape[1] - 1
    else:
        params, best_epoch = unpack(work.best, layout), int(work.best_meta[1])
    costs, val_costs, val_accs = metrics
    if s.X_val is None:
        val_costs = val_accs = metrics[1, :0]
    return params, make_history(costs, val_costs, val_accs, best_epoch, stopped)
