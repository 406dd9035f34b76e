"""``train(..., backend="numba")``: validate in Python, run epochs compiled.

The wrapper takes the already validated :class:`fnnet._run.RunSpec`, packs the
parameters into one flat vector, draws the minibatch permutations from the
same generator and in the same order as the reference, calls the compiled
kernel once (or once per chunk of epochs when a callback wants to see the
costs), and unpacks the result into an immutable tree. The kernel never sees
a dict or an unvalidated array, so no Numba typing error can reach a user.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fnnet._run import History, RunSpec, batch_orders, diverged, make_history
from fnnet.kernels import _epochs as K
from fnnet.kernels._blas import one_thread
from fnnet.optim import AdamState, MomentumState, SgdState
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
#: Packed copies of at least this many bytes are made by several threads.
_THREADED_COPY_BYTES = 1 << 24
#: Examples per block of the packed copy: a block's source and copy stay in cache.
_COPY_BLOCK = 32
#: A full batch of rows (``X = rows.T``) this large is read as rows, in place.
_ROWS_IN_PLACE_BYTES = 1 << 22
#: Runs whose largest product has fewer multiply-adds keep BLAS on one thread.
_ONE_THREAD_MACS = 1 << 22


def train_compiled(run: RunSpec) -> tuple[Tree, History]:
    """Run :func:`fnnet.train` on the compiled backend. Twin: ``_train_numpy``."""
    theta, layout = pack(run.params)
    data, config = _data(run), _config(run, layout)
    state = _state(theta, run)
    work = K.buffers(data, config, theta)
    # The kernel works on unowned views of these records' arrays: they stay
    # referenced here until the last call has returned.
    chunks: list[tuple[K.Chunk, int]] = []  # each call's chunk, epochs it ran
    size, done, stopped = _first_chunk(run), 0, False
    small = _largest_product(run, layout) < _ONE_THREAD_MACS
    threads = one_thread if small else nullcontext  # see one_thread
    while done < run.epochs and not stopped:
        chunk = _chunk(run, done, min(size, run.epochs - done))
        start = time.perf_counter()
        # errstate matters only without the JIT.
        with threads(), np.errstate(over="ignore", invalid="ignore"):
            ran, status = K._epochs_kernel(data, config, state, work, chunk)
        chunks.append((chunk, ran))
        _check_status(status, chunks)
        _report(run, done, chunk.costs[:ran])
        done, stopped = done + ran, status == K.STOPPED
        size = _next_chunk(size, time.perf_counter() - start, run)
    return _result(run, state, layout, chunks, stopped)


def _largest_product(run: RunSpec, layout: NDArray[np.int64]) -> int:
    """Multiply-adds of the run's largest matrix product (a layer, one batch)."""
    m = run.X.shape[1] if run.full_batch else run.batch_size
    if run.X_val is not None:
        m = max(m, run.X_val.shape[1])
    return int((layout[:, 0] * layout[:, 1]).max()) * m


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


def _data(run: RunSpec) -> K.Data:
    """The examples as read-only C-ordered arrays, copied only where needed.

    One array type per dtype keeps the kernel to one compiled signature per
    dtype: the caller's arrays, writeable or not, are passed as read-only
    views (the kernel only reads them), and a strided array is copied.
    Without validation data, empty ``(n, 0)`` arrays (see ``Data``).

    A full batch is read in place as columns. When ``X`` is the transpose
    of a C-ordered array of rows (``rows.T``), a large one is read in place
    as rows, and one under ``_ROWS_IN_PLACE_BYTES`` is copied into columns:
    BLAS's small-matrix kernels multiply columns faster, and the copy costs
    less than an epoch. Minibatches are gathered from rows: one copy
    (:func:`_packed`), unless ``X`` is such a transpose. Gathering a
    minibatch's columns from ``X`` itself would read a cache line for every
    value.
    """
    X_val, Y_val = run.X_val, run.Y_val
    if X_val is None or Y_val is None:
        X_val, Y_val = run.X[:, :0], run.Y[:, :0]
    X, Y = run.X, run.Y
    if not run.full_batch:
        X_rows, Y_rows, X, Y = X.T, Y.T, X[:, :0], Y[:, :0]
    elif (
        X.T.flags.c_contiguous
        and not X.flags.c_contiguous
        and X.nbytes >= _ROWS_IN_PLACE_BYTES
    ):
        X_rows, Y_rows, X = X.T, Y[:, :0].T, X[:, :0]
    else:
        X_rows, Y_rows = X[:, :0].T, Y[:, :0].T
    return K.Data(
        *(_read_only(_packed(a)) for a in (X, Y, X_rows, Y_rows, X_val, Y_val))
    )


def _read_only(a: NDArray) -> NDArray:
    """A read-only view of ``a``: the one array type the kernel is compiled for."""
    view = a.view()
    view.flags.writeable = False
    return view


def _packed(a: NDArray) -> NDArray:
    """``a`` as a C-ordered array: ``a`` itself if it is one, else a copy.

    A large copy (the rows of a C-ordered ``X``, hundreds of megabytes at
    MNIST's size) is made block by block, so that the strided reads of a
    block stay in cache, and by up to four threads: NumPy releases the GIL
    while it copies, and the page faults of the fresh copy, which cost as
    much as the copying, are then taken on every core.
    """
    if a.flags.c_contiguous:
        return a
    threads = min(4, _cores())
    if a.nbytes < _THREADED_COPY_BYTES or threads < 2:
        return np.ascontiguousarray(a)
    out = np.empty(a.shape, a.dtype)
    step = -(-a.shape[0] // threads)
    step += -step % _COPY_BLOCK

    def copy(start: int) -> None:
        for i in range(start, min(start + step, a.shape[0]), _COPY_BLOCK):
            out[i : i + _COPY_BLOCK] = a[i : i + _COPY_BLOCK]

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(copy, range(0, a.shape[0], step)))
    return out


def _cores() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _config(run: RunSpec, layout: NDArray[np.int64]) -> K.Config:
    """Codes and plain Python numbers: one Numba type whatever the caller passed.

    Only fnnet's own optimizers compile; any other is a clear error.
    """
    opt = run.optimizer
    if (
        opt.name not in _OPTIMIZER
        or getattr(opt.update, "__module__", "") != "fnnet.optim"
    ):
        raise ValueError(
            "backend='numba' runs fnnet.optim.sgd, momentum and adam only, "
            f"found optimizer {opt.name!r}; use backend='numpy' for other optimizers"
        )
    h = opt.hyperparams
    return K.Config(
        layout=layout,
        batch_size=int(run.batch_size or run.X.shape[1]),
        hidden=_ACTIVATION[run.hidden],
        output=_ACTIVATION[run.output],
        optimizer=K.OptimizerConfig(
            code=_OPTIMIZER[opt.name],
            lr=float(h["learning_rate"]),
            beta1=float(h.get("beta1", h.get("beta", 0.0))),
            beta2=float(h.get("beta2", 0.0)),
            eps=float(h.get("eps", 0.0)),
        ),
        l2=float(run.l2),
        patience=int(run.patience or 0),
    )


def _state(theta: NDArray[np.floating], run: RunSpec) -> K.State:
    """The run's starting state: the parameters, the optimizer's moments (zero,
    or packed from ``run.state``), no best yet."""
    mu, nu, count = np.zeros_like(theta), np.zeros_like(theta), 0
    given = run.state
    if isinstance(given, MomentumState):
        mu = pack(given.velocity)[0]
    elif isinstance(given, AdamState):
        mu, nu, count = pack(given.mu)[0], pack(given.nu)[0], given.count
    return K.State(
        theta=theta,
        mu=mu,
        nu=nu,
        count=np.full(1, count, np.int64),
        best=theta.copy(),
        best_cost=np.full(1, np.inf),
        best_epoch=np.full(1, -1, np.int64),
    )


def _optimizer_state(name: str, state: K.State, layout: NDArray[np.int64]) -> Any:
    """The kernel's moments as the optimizer's own state (``fnnet.optim``)."""
    if name == "momentum":
        return MomentumState(unpack(state.mu, layout))
    if name == "adam":
        mu, nu = unpack(state.mu, layout), unpack(state.nu, layout)
        return AdamState(int(state.count[0]), mu, nu)
    return SgdState()


def _chunk(run: RunSpec, first: int, n: int) -> K.Chunk:
    """Epochs ``first`` to ``first + n - 1``: their orders, NaN metrics."""
    return K.Chunk(
        first_epoch=first,
        orders=_orders(run, n),
        costs=np.full(n, np.nan),
        val_costs=np.full(n, np.nan),
        val_accuracies=np.full(n, np.nan),
    )


def _max_chunk(run: RunSpec) -> int:
    return (
        run.epochs if run.full_batch else max(1, _MAX_ORDER_ENTRIES // run.X.shape[1])
    )


def _first_chunk(run: RunSpec) -> int:
    return 1 if run.callback is not None else _max_chunk(run)


def _next_chunk(chunk: int, elapsed: float, run: RunSpec) -> int:
    """With a callback, grow or shrink chunks towards one call per interval."""
    if run.callback is not None:
        if elapsed < _CALLBACK_INTERVAL / 2:
            chunk *= 2
        elif elapsed > 2 * _CALLBACK_INTERVAL:
            chunk = max(1, chunk // 2)
    return min(chunk, _max_chunk(run))


def _orders(run: RunSpec, n: int) -> NDArray[np.int64]:
    """The next ``n`` epochs' permutations, drawn exactly as the reference does."""
    m = run.X.shape[1]
    if run.full_batch:  # batch_orders draws nothing and returns None
        return np.empty((0, m), dtype=np.int64)
    drawn = [batch_orders(run.rng, m, run.batch_size) for _ in range(n)]
    return np.stack(drawn).astype(np.int64, copy=False)


def _check_status(status: int, chunks: list[tuple[K.Chunk, int]]) -> None:
    """Raise the reference's error if the last call stopped on a non-finite cost."""
    if status in (K.TRAIN_FAILED, K.VAL_FAILED):
        field = "costs" if status == K.TRAIN_FAILED else "val_costs"
        chunk, ran = chunks[-1]
        J = float(getattr(chunk, field)[ran])
        raise diverged(chunk.first_epoch + ran, J, _joined(chunks, field))


def _joined(chunks: list[tuple[K.Chunk, int]], field: str) -> NDArray:
    """One metric of every epoch run, in order."""
    return np.concatenate([getattr(chunk, field)[:ran] for chunk, ran in chunks])


def _report(run: RunSpec, done: int, costs: NDArray) -> None:
    if run.callback is not None:
        for i, J in enumerate(costs.tolist()):
            run.callback(done + i, J)


def _result(
    run: RunSpec,
    state: K.State,
    layout: NDArray,
    chunks: list[tuple[K.Chunk, int]],
    stopped: bool,
) -> tuple[Tree, History]:
    costs = _joined(chunks, "costs")
    if run.patience is None:
        params, best_epoch = unpack(state.theta, layout), costs.size - 1
    else:
        params, best_epoch = unpack(state.best, layout), int(state.best_epoch[0])
    val_costs, val_accs = (
        _joined(chunks, "val_costs"),
        _joined(chunks, "val_accuracies"),
    )
    if run.X_val is None:
        val_costs = val_accs = costs[:0]
    opt_state = _optimizer_state(run.optimizer.name, state, layout)
    history = make_history(costs, val_costs, val_accs, best_epoch, stopped, opt_state)
    return params, history
