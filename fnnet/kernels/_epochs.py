"""The compiled training loop: whole epochs of forward, backward and update.

Twin: ``fnnet.train._train_numpy``, and each function names the step it
mirrors. The kernel takes the records below, built by ``compiled.py``.

Layout: every array is flat and indexed by offsets, through unowned blocks
(:func:`_block`), so the epoch loop counts no references. ``theta`` holds
``W1`` (row-major), ``b1``, ``W2``, ...; ``layout[l] = (n, k, w_at, b_at)``:
layer ``l + 1``'s ``W`` is ``(n, k)``, and ``W`` and ``b`` start at ``w_at``
and ``b_at``. A batch of ``m`` examples is row-major with stride ``m``:
``A`` holds each layer's activations and ``dZ`` their gradients, from
``offsets[l]``; a full batch (its inputs as columns or as rows) and the
validation set are read in place. A minibatch is gathered
from copies of ``X`` and ``Y`` with one example per row (``Data.X_rows``), its
inputs into ``A``'s first block as rows (``(m, n_x)``, one contiguous copy per
example: the first layer's products read them transposed) and its targets
into ``T`` as columns. The kernel allocates nothing and works on unowned
views (:func:`_unowned`).

Products of ``BLAS_MIN_MACS`` multiply-adds or more go to NumPy's own BLAS
(:mod:`fnnet.kernels._blas`), smaller ones to loop nests: the backends agree
to rounding.

Numba's cache checks only a kernel's own file, so the kernel's callees all
live here, which makes this file long (for ``_math.py`` see ``_config.py``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, types
from numba.extending import lower_builtin, type_callable
from numba.np.arrayobj import populate_array
from numpy.typing import NDArray

from fnnet.kernels._blas import gemm
from fnnet.kernels._config import CACHE, FASTMATH
from fnnet.kernels._math import elementwise, positive_log

TANH, SIGMOID, RELU, SOFTMAX, IDENTITY = 0, 1, 2, 3, 4
SGD, MOMENTUM, ADAM = 0, 1, 2
OK, STOPPED, TRAIN_FAILED, VAL_FAILED = 0, 1, 2, 3
#: Products with at least this many multiply-adds go to BLAS (:func:`gemm`)...
BLAS_MIN_MACS = 4096
#: ...except back-propagation through fewer output rows than this: with so
#: few multiply-adds per result it is bound by memory, and a loop that writes
#: each result once beats BLAS.
BLAS_MIN_DEPTH = 8

_jit = njit(cache=CACHE, fastmath=FASTMATH, error_model="numpy")
_inl = njit(fastmath=FASTMATH, error_model="numpy", inline="always")


class Data(NamedTuple):
    """The examples; only read. ``m_val = 0``: no validation set.

    Full batches are read in place: the targets from ``Y``, the inputs as
    columns from ``X`` or, if ``X`` is empty ``(n_x, 0)``, as rows from
    ``X_rows``; ``Y_rows`` is empty ``(0, n_y)``. Minibatches are gathered
    from ``X_rows`` and ``Y_rows`` (``X.T`` and ``Y.T``, C-ordered), and ``X``
    and ``Y`` are empty. Either way ``m`` is the larger of the two lengths.
    """

    X: NDArray  # (n_x, m) or (n_x, 0)
    Y: NDArray  # (n_y, m) or (n_y, 0)
    X_rows: NDArray  # (m, n_x) or (0, n_x)
    Y_rows: NDArray  # (m, n_y) or (0, n_y)
    X_val: NDArray  # (n_x, m_val)
    Y_val: NDArray  # (n_y, m_val)


class OptimizerConfig(NamedTuple):
    """An optimizer and its hyperparameters, as the user gave them (float64).

    Where used they are rounded to the parameters' dtype, as NumPy rounds the
    reference's Python floats; ``beta1`` is also momentum's ``beta``.
    """

    code: int  # SGD, MOMENTUM or ADAM
    lr: float
    beta1: float
    beta2: float
    eps: float


class Config(NamedTuple):
    """What stays fixed during a run."""

    layout: NDArray[np.int64]  # (L, 4): see the module docstring
    batch_size: int  # at least 1; m or more: full batch
    hidden: int  # activation code of the hidden layers
    output: int  # activation code of the output layer (its canonical loss)
    optimizer: OptimizerConfig
    l2: float
    patience: int  # 0: no early stopping


class State(NamedTuple):
    """What a run carries from one kernel call to the next (updated in place)."""

    theta: NDArray  # the parameters, flat
    mu: NDArray  # Adam's first moment, or momentum's velocity
    nu: NDArray  # Adam's second moment
    count: NDArray[np.int64]  # (1,): optimizer steps taken
    best: NDArray  # theta at the best validation cost so far
    best_cost: NDArray[np.float64]  # (1,): that cost (inf before any)
    best_epoch: NDArray[np.int64]  # (1,): its epoch (-1 before any)


class Buffers(NamedTuple):
    """Working space for one run, from :func:`buffers`; no value survives a call."""

    grads: NDArray  # like theta
    A: NDArray  # the gathered minibatch inputs, then each layer's activations
    dZ: NDArray  # the same size as A
    T: NDArray  # the gathered minibatch targets (empty for full batches)
    scratch: NDArray  # column maxima and sums of the softmax
    terms: NDArray[np.float64]  # one output row's cost terms
    offsets: NDArray[np.int64]  # (L,): where each layer starts in A and dZ


class Chunk(NamedTuple):
    """The epochs of one kernel call: their example orders in, their metrics out."""

    first_epoch: int  # the run's number of the chunk's first epoch
    orders: NDArray[np.int64]  # one permutation per epoch; no rows: full batch
    costs: NDArray[np.float64]  # (epochs,) each filled with NaN on entry
    val_costs: NDArray[np.float64]
    val_accuracies: NDArray[np.float64]


def _unowned(a):
    """``a`` as an array that Numba does not reference-count.

    Compiled: the same data and shape without a memory-info block. Numba
    counts an array up and down, with atomic instructions, each time it
    enters an inlined helper, and cannot remove those pairs around loops.
    Valid only while the owner keeps ``a`` alive. In plain Python: ``a``.
    """
    return a


def _block(a, at, size):
    """Elements ``at .. at + size - 1`` of the C-ordered ``a``, as a 1-D array.

    A loop that indexes the block from 0 vectorizes, where one that indexes
    ``a[at + j]`` does not: with a signed offset of unknown sign Numba's
    negative-index wraparound stays in every access (a select, or a scatter
    store). Compiled: an unowned array (see :func:`_unowned`), built
    directly. In plain Python: a view.
    """
    return a.reshape(-1)[at : at + size]


# Compiled, both are typed and lowered directly (not through ``overload``,
# which would compile a function per argument type for a few instructions).
# Their results are writable arrays: one type per dtype in the kernel.


@type_callable(_unowned)
def _type_unowned(context):
    def typer(a):
        if isinstance(a, types.Array) and a.layout == "C":
            return types.Array(a.dtype, a.ndim, "C")
        return None

    return typer


@lower_builtin(_unowned, types.Array)
def _lower_unowned(context, builder, sig, args):
    src = context.make_array(sig.args[0])(context, builder, args[0])
    out = context.make_array(sig.return_type)(context, builder)
    populate_array(
        out,
        data=src.data,
        shape=src.shape,
        strides=src.strides,
        itemsize=src.itemsize,
        meminfo=None,
    )
    return out._getvalue()


@type_callable(_block)
def _type_block(context):
    def typer(a, at, size):
        if (
            isinstance(a, types.Array)
            and a.layout == "C"
            and isinstance(at, types.Integer)
            and isinstance(size, types.Integer)
        ):
            return types.Array(a.dtype, 1, "C")
        return None

    return typer


@lower_builtin(_block, types.Array, types.Integer, types.Integer)
def _lower_block(context, builder, sig, args):
    src = context.make_array(sig.args[0])(context, builder, args[0])
    out = context.make_array(sig.return_type)(context, builder)
    at, size = (
        context.cast(builder, v, t, types.intp)
        for v, t in zip(args[1:], sig.args[1:], strict=True)
    )
    populate_array(
        out,
        data=builder.gep(src.data, [at]),
        shape=[size],
        strides=[src.itemsize],
        itemsize=src.itemsize,
        meminfo=None,
    )
    return out._getvalue()


@_inl
def _affine(theta, w_at, b_at, n, k, src, a_at, rows, m, A, z_at):
    """``Z = W @ A_prev + b`` for one layer, into its block of ``A`` at ``z_at``.

    ``A_prev`` is at ``src[a_at:]``, stored ``(m, k)`` if ``rows`` (then
    always through BLAS) else ``(k, m)``. Twin: ``Z = W @ A; Z += b``. The
    activation is then applied in place.
    """
    if rows or n * k * m >= BLAS_MIN_MACS:
        # Z starts as b, and BLAS adds W @ A_prev to it: no second pass.
        for i in range(n):
            b, z = theta[b_at + i], _block(A, z_at + i * m, m)
            for j in range(m):
                z[j] = b
        gemm(False, rows, n, m, k, theta, w_at, src, a_at, 1.0, A, z_at)
        return
    # Row by row, sums over p in order, each a multiply-add of whole rows.
    for i in range(n):
        z, w = _block(A, z_at + i * m, m), _block(theta, w_at + i * k, k)
        a = _block(src, a_at, m)
        for j in range(m):
            z[j] = w[0] * a[j]
        for p in range(1, k):
            a = _block(src, a_at + p * m, m)
            for j in range(m):
                z[j] += w[p] * a[j]
        b = theta[b_at + i]
        for j in range(m):
            z[j] += b


@_inl
def _weight_grads(
    dZ, d_at, A, a_at, rows, theta, grads, w_at, b_at, n, k, m, l2_over_m
):
    """``dW = dZ @ A.T (+ l2/m W)`` and ``db = dZ.sum(axis=1)`` into ``grads``.

    ``A`` is stored ``(m, k)`` if ``rows`` (then always through BLAS) else
    ``(k, m)``. Twin: the ``grads[f"W{l}"]`` and ``grads[f"b{l}"]`` lines of
    ``network._backward``.
    """
    if rows or n * k * m >= BLAS_MIN_MACS:
        gemm(False, not rows, n, k, m, dZ, d_at, A, a_at, 0.0, grads, w_at)
    else:
        for i in range(n):
            d, g = _block(dZ, d_at + i * m, m), _block(grads, w_at + i * k, k)
            for p in range(k):
                a = _block(A, a_at + p * m, m)
                acc = d[0] * a[0]
                for j in range(1, m):
                    acc += d[j] * a[j]
                g[p] = acc
    for i in range(n):
        if l2_over_m != 0.0:
            g, w = _block(grads, w_at + i * k, k), _block(theta, w_at + i * k, k)
            for p in range(k):
                g[p] += l2_over_m * w[p]
        grads[b_at + i] = _row_sum(_block(dZ, d_at + i * m, m), m)


@_inl
def _row_sum(x, m):
    """``x[:m].sum()`` with four partial sums.

    A single running sum is one chain of dependent additions, each waiting
    for the last; four independent chains overlap. Twin: ``dZ.sum(axis=1)``
    (pairwise in NumPy: neither order is the other's, both are accurate to
    rounding).
    """
    s0 = s1 = s2 = s3 = 0.0
    for j in range(0, m - 3, 4):
        s0 += x[j]
        s1 += x[j + 1]
        s2 += x[j + 2]
        s3 += x[j + 3]
    for j in range(m - m % 4, m):
        s0 += x[j]
    return (s0 + s1) + (s2 + s3)


@_inl
def _back_hidden(theta, w_at, n, k, dZ, d_at, A, a_at, hidden, out, o_at, m):
    """``out = (W.T @ dZ) * g'(A)``, with ``g'`` a function of the output ``A``.

    Twin: the ``dZ = (params[f"W{l}"].T @ dZ) * DERIVATIVES[hidden](A_prev)``
    line of ``network._backward``.
    """
    if n * k * m >= BLAS_MIN_MACS and n >= BLAS_MIN_DEPTH:
        gemm(True, False, k, m, n, theta, w_at, dZ, d_at, 0.0, out, o_at)
    else:
        # Row by row, a multiply-add of whole rows of dZ: vectorizes over j.
        for p in range(k):
            o, d, w = _block(out, o_at + p * m, m), _block(dZ, d_at, m), theta[w_at + p]
            for j in range(m):
                o[j] = w * d[j]
            for i in range(1, n):
                d, w = _block(dZ, d_at + i * m, m), theta[w_at + i * k + p]
                for j in range(m):
                    o[j] += w * d[j]
    # One loop per activation (not a branch per element), so each vectorizes.
    o, a = _block(out, o_at, k * m), _block(A, a_at, k * m)
    if hidden == TANH:
        for q in range(k * m):
            o[q] *= 1.0 - a[q] * a[q]
    elif hidden == SIGMOID:
        for q in range(k * m):
            o[q] *= a[q] * (1.0 - a[q])
    else:
        for q in range(k * m):
            o[q] = o[q] if a[q] > 0.0 else 0.0


@_jit
def _softmax(A, at, n, m, scratch):
    """Column-wise softmax of ``A[at:]`` in place, with the column maximum subtracted.

    Twin: ``fnnet.activations.softmax``. ``scratch`` holds at least ``m``
    values (the column maxima, then the sums), so nothing is allocated.
    """
    z = _block(A, at, m)
    for j in range(m):
        scratch[j] = z[j]
    for i in range(1, n):
        z = _block(A, at + i * m, m)
        for j in range(m):
            scratch[j] = max(scratch[j], z[j])
    for i in range(n):
        z = _block(A, at + i * m, m)
        for j in range(m):
            z[j] -= scratch[j]
    elementwise("exp", A, at, at + n * m)
    z = _block(A, at, m)
    for j in range(m):
        scratch[j] = z[j]
    for i in range(1, n):
        z = _block(A, at + i * m, m)
        for j in range(m):
            scratch[j] += z[j]
    for i in range(n):
        z = _block(A, at + i * m, m)
        for j in range(m):
            z[j] /= scratch[j]


@_inl
def _activate(code, A, at, n, m, scratch):
    """``A = g(Z)`` in place for one layer. Twin: ``fnnet.activations.ACTIVATIONS``."""
    stop = at + n * m
    if code == TANH:
        elementwise("tanh", A, at, stop)
    elif code == SIGMOID:
        elementwise("sigmoid", A, at, stop)
    elif code == SOFTMAX:
        _softmax(A, at, n, m, scratch)
    elif code == RELU:
        z = _block(A, at, n * m)
        for q in range(n * m):
            z[q] = max(z[q], 0.0)


@_inl
def _offsets(layout, m, base, offsets):
    """Where each layer's block starts in the A and dZ buffers (stride m).

    Twin: none; NumPy keeps each layer's activations in an array of its own.
    """
    at = base
    for l in range(layout.shape[0]):
        offsets[l] = at
        at += layout[l, 0] * m


@_inl
def _forward(theta, layout, inp, rows, base, m, hidden, output, A, offsets, scratch):
    """Fill the activations of every layer; return where the output starts.

    Twin: ``fnnet.network._forward``. The inputs are ``inp`` (flat, one
    example per row if ``rows``), the layers from ``A[base:]``.
    """
    L = layout.shape[0]
    _offsets(layout, m, base, offsets)
    for l in range(L):
        n, k, w_at, b_at = layout[l, 0], layout[l, 1], layout[l, 2], layout[l, 3]
        # One call site per helper: each is inlined, so each site is compiled.
        src, src_at = (inp, 0) if l == 0 else (A, offsets[l - 1])
        _affine(theta, w_at, b_at, n, k, src, src_at, rows and l == 0, m, A, offsets[l])
        _activate(hidden if l < L - 1 else output, A, offsets[l], n, m, scratch)
    return offsets[L - 1]


@_inl
def _backward(theta, layout, inp, rows, tgt, m, hidden, A, dZ, offsets, l2, grads):
    """Gradients at the last forward pass into ``grads``.

    Twin: ``fnnet.network._backward``; ``offsets`` as the forward pass left it,
    ``inp`` and ``tgt`` the batch's inputs (one per row if ``rows``) and
    targets (flat).
    """
    L = layout.shape[0]
    size = layout[L - 1, 0] * m
    d, a = _block(dZ, offsets[L - 1], size), _block(A, offsets[L - 1], size)
    for q in range(size):
        d[q] = (a[q] - tgt[q]) / m
    for l in range(L - 1, -1, -1):
        n, k, w_at, b_at = layout[l, 0], layout[l, 1], layout[l, 2], layout[l, 3]
        src, src_at = (inp, 0) if l == 0 else (A, offsets[l - 1])
        r = rows and l == 0
        _weight_grads(
            dZ, offsets[l], src, src_at, r, theta, grads, w_at, b_at, n, k, m, l2 / m
        )
        if l > 0:
            _back_hidden(
                theta, w_at, n, k, dZ, offsets[l], src, src_at, hidden, dZ, src_at, m
            )


@_jit
def _cost(output, A, at, tgt, n, m, terms):
    """Mean cost of the outputs against the targets ``tgt`` (flat).

    The output's canonical loss. Twin: ``fnnet.losses.logloss /
    cross_entropy / mse``; logs of ``A`` clipped to ``[tiny, 1 - epsneg]``
    of its dtype. Each output row's terms go to ``terms`` (float64, at least
    ``m`` values) in a loop that vectorizes, then are summed: a running sum
    in the loop would keep it scalar, with a libm call per logarithm. The
    logarithms are float64 (``log(1 - a)`` for ``log1p(-a)``: 1e-16 apart);
    a term of weight 0 is exactly 0, as in the reference.
    """
    s = 0.0
    if output == IDENTITY:
        z = _block(A, at, n * m)
        for q in range(n * m):
            s += 0.5 * (z[q] - tgt[q]) * (z[q] - tgt[q])
        return s / m
    lo, hi = _clip_bounds(A)
    for i in range(n):
        z, t = _block(A, at + i * m, m), _block(tgt, i * m, m)
        if output == SIGMOID:
            for j in range(m):
                a, y = np.float64(min(max(z[j], lo), hi)), t[j]
                terms[j] = y * positive_log(a) + (1.0 - y) * positive_log(1.0 - a)
        else:
            for j in range(m):
                terms[j] = t[j] * positive_log(np.float64(min(max(z[j], lo), hi)))
        s -= _row_sum(terms, m)
    return s / m


@_inl
def _clip_bounds(A):
    """``(tiny, 1 - epsneg)`` of A's dtype. Twin: ``fnnet.losses._clip01``."""
    if A.itemsize == 4:
        return 1.1754943508222875e-38, 0.9999999403953552
    return 2.2250738585072014e-308, 0.9999999999999999


@_jit
def _accuracy(output, A, at, tgt, n, m):
    """Share of correct predictions. Twin: ``fnnet.losses.accuracy``."""
    if output == IDENTITY:
        return np.nan
    hits = 0
    if output == SIGMOID:
        for q in range(n * m):
            hits += (A[at + q] > 0.5) == (tgt[q] > 0.5)
        return hits / (n * m)
    for j in range(m):
        best_a, best_y = 0, 0
        for i in range(1, n):
            if A[at + i * m + j] > A[at + best_a * m + j]:
                best_a = i
            if tgt[i * m + j] > tgt[best_y * m + j]:
                best_y = i
        hits += best_a == best_y
    return hits / m


@_inl
def _penalty(theta, layout, l2, m):
    """``l2 / (2 m) * sum ||W||^2``. Twin: ``fnnet.losses.l2_penalty``."""
    if l2 == 0.0:
        return 0.0
    s = 0.0
    for l in range(layout.shape[0]):
        for q in range(layout[l, 2], layout[l, 3]):
            s += theta[q] * theta[q]
    return l2 / (2 * m) * s


@_inl
def _rounded(x, like):
    """The float ``x`` in the dtype of ``like``, as NumPy rounds a Python float.

    Twin: NumPy's casting of ``lr * g`` and the like (NEP 50).
    """
    return like.dtype.type(x)


@_inl
def _step(opt, theta, grads, mu, nu, count):
    """One optimizer step on the flat vectors; False if a parameter is not finite.

    Twin: ``fnnet.optim.sgd / momentum / adam`` ``update``, except that
    subnormal velocities and moments are set to zero (see :func:`_adam`).
    """
    lr = _rounded(opt.lr, theta)
    if opt.code == SGD:
        for i in range(theta.shape[0]):
            theta[i] = theta[i] - lr * grads[i]
    elif opt.code == MOMENTUM:
        beta = _rounded(opt.beta1, theta)
        tiny, zero = _rounded(_clip_bounds(theta)[0], theta), _rounded(0.0, theta)
        for i in range(theta.shape[0]):
            v = beta * mu[i] + grads[i]
            v = v if not abs(v) < tiny else zero  # see _adam; < lr tiny / (1 - beta)
            mu[i] = v
            theta[i] = theta[i] - lr * v
    else:
        count[0] += 1
        _adam(opt, count[0], theta, grads, mu, nu)
    finite = True  # an AND over all entries, without a branch: it vectorizes
    for i in range(theta.shape[0]):
        finite &= abs(theta[i]) < np.inf
    return finite


@_jit
def _adam(opt, t, theta, grads, mu, nu):
    """Adam's step ``t`` (from 1) with bias correction. Twin: ``fnnet.optim.adam``.

    The corrections ``1 - beta**t`` are computed in float64, like the
    reference's Python floats; ``lr / c1`` and ``1 / c2`` are rounded once,
    so that an element needs one division and one square root, not three
    (the results move by an ulp or so).

    Unlike the twin, subnormal moments are set to zero. Many x86 processors
    (Intel's among them) handle subnormal operands in microcode, about a
    hundred times slower, and the first moment of every weight whose
    gradient stays zero (those of a dead ReLU unit) decays into them after
    some 700 steps in float32 (7,000 in float64): on MNIST-shaped data that
    made float32 epochs a third slower. A flushed ``mu`` would have moved a
    parameter by less than ``lr / c1 * tiny / eps`` in a step, and less than
    ``lr * tiny / ((1 - beta1)**2 * eps)`` over the rest of the run (1e-31
    in float32 at the defaults; the bound grows as ``eps`` shrinks). ``nu``
    is flushed only while ``sqrt(tiny / c2)`` is under half an ulp of
    ``eps``: the denominator ``sqrt(nu / c2) + eps`` is then ``eps`` either
    way. NaN and infinity are kept.
    """
    eps = _rounded(opt.eps, theta)
    beta1, beta2 = _rounded(opt.beta1, theta), _rounded(opt.beta2, theta)
    one_minus_beta1 = _rounded(1.0 - opt.beta1, theta)
    one_minus_beta2 = _rounded(1.0 - opt.beta2, theta)
    lr_over_c1 = _rounded(opt.lr / (1.0 - opt.beta1**t), theta)
    one_over_c2 = _rounded(1.0 / (1.0 - opt.beta2**t), theta)
    tiny, hi = _clip_bounds(theta)  # hi = 1 - 2**-p, p the dtype's precision
    # eps * 2**-(p + 2), at most half of eps's half ulp: a margin for roundings.
    nu_tiny = tiny if np.sqrt(tiny * one_over_c2) < eps * (1.0 - hi) * 0.25 else 0.0
    mu_tiny, nu_tiny = _rounded(tiny, theta), _rounded(nu_tiny, theta)
    zero = _rounded(0.0, theta)
    for i in range(theta.shape[0]):
        g = grads[i]
        m_new = beta1 * mu[i] + one_minus_beta1 * g
        v_new = beta2 * nu[i] + one_minus_beta2 * (g * g)
        m_new = m_new if not abs(m_new) < mu_tiny else zero
        v_new = v_new if not v_new < nu_tiny else zero
        mu[i], nu[i] = m_new, v_new
        theta[i] = theta[i] - lr_over_c1 * m_new / (np.sqrt(v_new * one_over_c2) + eps)


@_jit
def _gather_rows(rows, orders, e, start, size, out):
    """Rows ``orders[e, start:start + size]`` of ``rows`` into ``out``, in order.

    Twin: ``s.X[:, idx]`` in ``fnnet.train._epoch_numpy``, transposed.
    """
    n = rows.shape[1]
    for j in range(size):
        o, x = _block(out, j * n, n), _block(rows, orders[e, start + j] * n, n)
        for i in range(n):
            o[i] = x[i]


@_jit
def _gather(rows, orders, e, start, size, out):
    """Examples ``orders[e, start:start + size]`` into ``out`` as columns.

    ``rows`` holds one example per row; ``out`` gets them as the columns of a
    row-major ``(n, size)`` block. Eight examples at a time: eight rows are
    read in step, each contiguously, and each row of ``out`` is written eight
    values at a time. Twin: ``s.X[:, idx]`` in ``fnnet.train._epoch_numpy``.
    """
    n = rows.shape[1]
    for j0 in range(0, size, 8):
        j1 = min(j0 + 8, size)
        for i in range(n):
            for j in range(j0, j1):
                out[i * size + j] = rows[orders[e, start + j], i]


@_inl
def _batch(b, n_batches, mb, e, orders, data, flat, A, T):
    """The inputs, targets (flat, row-major) and size of pass ``b`` of an epoch.

    Passes ``0 .. n_batches - 1`` are the minibatches, gathered through this
    epoch's permutation into the first block of ``A`` and into ``T``, or the
    whole training set (from ``X`` or ``X_rows``: see ``Data``); pass
    ``n_batches`` is the validation set. ``flat`` is ``(X, Y, X_val, Y_val,
    X_rows)`` flattened, ``data`` is ``(X_rows, Y_rows, n_x, m)``. Twin:
    ``_batches`` and ``fnnet.network.evaluate``.
    """
    X_all, Y_all, Xv_all, Yv_all, Xr_all = flat
    X_rows, Y_rows, n_x, m = data
    if b == n_batches:
        return Xv_all, Yv_all, Xv_all.size // n_x
    start = b * mb
    size = min(mb, m - start)
    if orders.shape[0] == 0:
        return (X_all if X_all.size > 0 else Xr_all), Y_all, size
    _gather_rows(X_rows, orders, e, start, size, A)
    _gather(Y_rows, orders, e, start, size, T)
    return A, T, size


@_inl
def _improved(cost, epoch, theta, best, best_cost, best_epoch):
    """Keep ``theta`` in ``best`` if ``cost`` beats the best so far.

    Twin: ``fnnet._run.EarlyStopping.record``.
    """
    if cost < best_cost[0]:
        best_cost[0], best_epoch[0] = cost, epoch
        for i in range(theta.shape[0]):
            best[i] = theta[i]


def _sizes(layout, n_x, n_y, m, m_val, mb, full):
    """Where the layers start in ``A``, and the lengths of ``A``, ``T``, ``scratch``.

    With room for the largest batch, ``mb`` examples, whose inputs come first
    unless ``full`` (a full batch is read in place); ``terms`` is as long as
    ``scratch``. Twin: none; :func:`buffers` allocates these lengths and the
    kernel checks them on entry.
    """
    base = 0 if full else n_x * mb
    rows = 0
    for l in range(layout.shape[0]):
        rows += layout[l, 0]
    return base, base + rows * max(mb, m_val), 0 if full else n_y * mb, max(mb, m_val)


_sizes_compiled = _inl(_sizes)


def buffers(data: Data, config: Config, theta: NDArray) -> Buffers:
    """The kernel's working space for one run, laid out as the module says.

    The caller owns it and passes it to every kernel call of the run.
    """
    n_x, n_y, m_val = data.X.shape[0], data.Y.shape[0], data.X_val.shape[1]
    m = max(data.X.shape[1], data.X_rows.shape[0])
    mb = min(config.batch_size, m)
    sizes = _sizes(config.layout, n_x, n_y, m, m_val, mb, mb == m)
    _, size, t_size, scratch_size = (int(n) for n in sizes)
    return Buffers(
        grads=np.zeros_like(theta),
        A=np.empty(size, theta.dtype),
        dZ=np.empty(size, theta.dtype),
        T=np.empty(t_size, theta.dtype),
        scratch=np.empty(scratch_size, theta.dtype),
        terms=np.empty(scratch_size, np.float64),
        offsets=np.empty(config.layout.shape[0], np.int64),
    )


def _epochs(data, config, state, work, chunk):
    """Run the epochs of ``chunk``; return ``(epochs run, status)``.

    Twin: ``fnnet.train._train_numpy``. Status is ``OK``, ``STOPPED``
    (patience ran out), or ``TRAIN_FAILED`` / ``VAL_FAILED`` with the failing
    epoch in place of the number of epochs run. The arrays are the caller's
    and outlive the call.
    """
    X, Y = _unowned(data.X), _unowned(data.Y)
    X_rows, Y_rows = _unowned(data.X_rows), _unowned(data.Y_rows)
    X_val, Y_val = _unowned(data.X_val), _unowned(data.Y_val)
    layout, hidden, output = _unowned(config.layout), config.hidden, config.output
    l2, opt, patience = config.l2, config.optimizer, config.patience
    theta, mu, nu = _unowned(state.theta), _unowned(state.mu), _unowned(state.nu)
    count, best = _unowned(state.count), _unowned(state.best)
    best_cost, best_epoch = _unowned(state.best_cost), _unowned(state.best_epoch)
    grads, A, dZ = _unowned(work.grads), _unowned(work.A), _unowned(work.dZ)
    T, scratch, terms = _unowned(work.T), _unowned(work.scratch), _unowned(work.terms)
    offsets, orders = _unowned(work.offsets), _unowned(chunk.orders)
    costs, val_costs = _unowned(chunk.costs), _unowned(chunk.val_costs)
    val_accs, first = _unowned(chunk.val_accuracies), chunk.first_epoch
    n_x, n_y, m_val = X.shape[0], Y.shape[0], X_val.shape[1]
    m = max(X.shape[1], X_rows.shape[0])  # see Data
    mb = min(config.batch_size, m)  # no record is read below (see _unowned)
    n_batches = (m + mb - 1) // mb
    full = orders.shape[0] == 0
    base, size, t_size, scratch_size = _sizes_compiled(
        layout, n_x, n_y, m, m_val, mb, full
    )
    # Indexing is unchecked: buffers of another run would be overrun silently.
    if (
        min(A.shape[0], dZ.shape[0]) < size
        or T.shape[0] < t_size
        or min(scratch.shape[0], terms.shape[0]) < scratch_size
        or offsets.shape[0] < layout.shape[0]
        or grads.shape[0] != theta.shape[0]
        or (orders.shape[0] > 0 and min(X_rows.shape[0], Y_rows.shape[0]) < m)
    ):
        raise ValueError("fnnet internal error: kernel buffers do not fit the run")
    flat = (  # unowned again: a reshaped view's memory info is not known to be null
        _unowned(X.reshape(X.size)),
        _unowned(Y.reshape(Y.size)),
        _unowned(X_val.reshape(X_val.size)),
        _unowned(Y_val.reshape(Y_val.size)),
        _unowned(X_rows.reshape(X_rows.size)),
    )
    data_ = (X_rows, Y_rows, X.shape[0], m)
    for e in range(costs.shape[0]):
        J = 0.0
        # One forward pass per minibatch, then one on the validation set: a
        # single call site, so the forward code is compiled once.
        for b in range(n_batches + (m_val > 0)):
            inp, tgt, size = _batch(b, n_batches, mb, e, orders, data_, flat, A, T)
            r = b < n_batches and X_rows.shape[0] > 0  # inputs stored as rows
            at = _forward(
                theta, layout, inp, r, base, size, hidden, output, A, offsets, scratch
            )
            cost = _cost(output, A, at, tgt, n_y, size, terms)
            if b == n_batches:
                break
            J += (cost + _penalty(theta, layout, l2, size)) * size / m
            _backward(
                theta, layout, inp, r, tgt, size, hidden, A, dZ, offsets, l2, grads
            )
            if not _step(opt, theta, grads, mu, nu, count):
                J = np.nan
                break
        costs[e] = J
        if not np.isfinite(J):
            return e, TRAIN_FAILED
        if m_val > 0:
            val_costs[e] = cost
            val_accs[e] = _accuracy(output, A, at, tgt, n_y, m_val)
            if not np.isfinite(val_costs[e]):
                return e, VAL_FAILED
            epoch = first + e
            _improved(val_costs[e], epoch, theta, best, best_cost, best_epoch)
            if patience > 0 and epoch - best_epoch[0] >= patience:
                return e + 1, STOPPED
    return costs.shape[0], OK


_epochs_kernel = _jit(_epochs)
