"""The compiled training loop: whole epochs of forward, backward and update.

Twin: ``fnnet.train._train_numpy`` (the public NumPy functions in a loop).
Every function here mirrors one step of that reference and names it; the
tests in ``tests/test_kernels.py`` hold the pair together.

Data layout. Everything is a flat vector, indexed by offsets, so that the
epoch loop creates no array views and no lists: at XOR size, where a whole
epoch is a few hundred nanoseconds, the reference counting behind each view
would cost more than the arithmetic.

- ``theta`` holds the parameters in layer order (``W1`` row-major, ``b1``,
  ``W2``, ...); ``layout[l] = (n, k, w_at, b_at)`` gives layer ``l + 1``'s
  shape ``W: (n, k)`` and where ``W`` and ``b`` start. Gradients and optimizer
  moments are flat vectors of the same length, so an optimizer step is one
  loop.
- A batch of ``m`` examples is stored row-major with row stride ``m``, in
  two buffers of the same size: ``A`` holds each layer's activations (each
  layer's ``W @ A_prev + b`` is written to its block and activated in
  place), ``dZ`` the gradients of the pre-activations (``offsets[l]`` is
  where layer ``l + 1`` starts in both). With minibatches, ``A`` starts with
  a block the batch's inputs are gathered into, and ``T`` holds their
  targets; a full batch and the validation set are read where they are, in
  ``X, Y`` and ``X_val, Y_val``. The buffers are allocated once per training
  run (:func:`buffers`) with room for the largest batch; a shorter last
  batch uses a smaller stride.
- Reference counting. The wrapper owns every array and the kernel
  allocates nothing, so the kernel works on unowned views of them
  (``_unowned``), which Numba does not reference-count. Otherwise Numba
  counts each array up and down, with atomic instructions, every time it
  enters an inlined helper or is chosen between others, and cannot remove
  those pairs around loops: at XOR size that was a quarter of the epoch.

Products of ``BLAS_MIN_MACS`` multiply-adds or more go to BLAS through
``np.dot`` (which is why Numba needs SciPy here); smaller ones, where a BLAS
call costs more than the arithmetic, are plain loop nests. Either way the
summation order differs from NumPy's, which is why the backends agree to
rounding, not bit for bit.

Codes: activations ``TANH, SIGMOID, RELU, SOFTMAX, IDENTITY``; optimizers
``SGD, MOMENTUM, ADAM``. ``hyper`` holds
``(lr, beta or beta1, 1 - beta1, beta2, 1 - beta2, eps)`` in float64; the
kernel rounds them to the parameters' dtype once, as NumPy does when the
reference combines Python floats with arrays.
"""

from __future__ import annotations

import numpy as np
from numba import carray, njit, types
from numba.extending import intrinsic, overload

from fnnet.kernels._config import CACHE, FASTMATH
from fnnet.kernels._math import exp_inplace, sigmoid_inplace, tanh_inplace

TANH, SIGMOID, RELU, SOFTMAX, IDENTITY = 0, 1, 2, 3, 4
SGD, MOMENTUM, ADAM = 0, 1, 2
OK, STOPPED, TRAIN_FAILED, VAL_FAILED = 0, 1, 2, 3
#: Products with at least this many multiply-adds go to BLAS (``np.dot``)...
BLAS_MIN_MACS = 4096
#: ...except back-propagation through fewer output rows than this: with so
#: few multiply-adds per result it is bound by memory, and a loop that writes
#: each result once beats BLAS (a 1-row ``W`` made an outer product, then a
#: second pass for the derivative).
BLAS_MIN_DEPTH = 8

_jit = njit(cache=CACHE, fastmath=FASTMATH, error_model="numpy")
_inl = njit(fastmath=FASTMATH, error_model="numpy", inline="always")


@intrinsic
def _data_pointer(typingctx, arr):
    """A typed pointer to ``arr``'s data (no reference is taken)."""

    def codegen(context, builder, sig, args):
        return context.make_array(sig.args[0])(context, builder, args[0]).data

    return types.CPointer(arr.dtype)(arr), codegen


def _unowned(a):
    """``a`` as an array that Numba does not reference-count.

    In compiled code: the same data and shape without a memory-info block,
    so Numba's reference counting of it compiles to nothing. Numba counts
    each array passed to an inlined helper up on entry and down on exit
    with an atomic instruction, and its pruning pass cannot remove those
    pairs around loops: at XOR size that counting took a quarter of the
    epoch. Valid only while the owner of ``a`` keeps it alive (the wrapper
    owns every array for the whole kernel call). In plain Python
    (``NUMBA_DISABLE_JIT=1``): ``a`` itself.
    """
    return a


@overload(_unowned)
def _unowned_compiled(a):
    if a.layout != "C":  # carray assumes C order: refuse anything else
        return None
    return lambda a: carray(_data_pointer(a), a.shape)


@_jit
def _matrix(flat, at, rows, cols):
    """The ``(rows, cols)`` matrix stored row-major in ``flat`` from ``at``."""
    return flat[at : at + rows * cols].reshape((rows, cols))


@_inl
def _affine(theta, w_at, b_at, n, k, src, a_at, m, A, z_at):
    """``Z = W @ A_prev + b`` for one layer, into its block of ``A`` at ``z_at``.

    ``A_prev`` is at ``src[a_at:]``. Twin: ``Z = W @ A; Z += b``. The
    activation is then applied in place.
    """
    if n * k * m >= BLAS_MIN_MACS:
        W = _matrix(theta, w_at, n, k)
        np.dot(W, _matrix(src, a_at, k, m), _matrix(A, z_at, n, m))
        for i in range(n):
            for j in range(m):
                A[z_at + i * m + j] += theta[b_at + i]
        return
    for i in range(n):
        for j in range(m):
            acc = theta[w_at + i * k] * src[a_at + j]
            for p in range(1, k):
                acc += theta[w_at + i * k + p] * src[a_at + p * m + j]
            A[z_at + i * m + j] = acc + theta[b_at + i]


@_inl
def _weight_grads(dZ, d_at, A, a_at, theta, grads, w_at, b_at, n, k, m, l2_over_m):
    """``dW = dZ @ A.T (+ l2/m W)`` and ``db = dZ.sum(axis=1)`` into ``grads``.

    Twin: the ``grads[f"W{l}"]`` and ``grads[f"b{l}"]`` lines of
    ``network._backward``.
    """
    if n * k * m >= BLAS_MIN_MACS:
        dW = _matrix(grads, w_at, n, k)
        np.dot(_matrix(dZ, d_at, n, m), _matrix(A, a_at, k, m).T, dW)
    else:
        for i in range(n):
            for p in range(k):
                acc = dZ[d_at + i * m] * A[a_at + p * m]
                for j in range(1, m):
                    acc += dZ[d_at + i * m + j] * A[a_at + p * m + j]
                grads[w_at + i * k + p] = acc
    for i in range(n):
        if l2_over_m != 0.0:
            for p in range(k):
                grads[w_at + i * k + p] += l2_over_m * theta[w_at + i * k + p]
        grads[b_at + i] = _row_sum(dZ, d_at + i * m, m)


@_inl
def _row_sum(x, at, m):
    """``x[at:at + m].sum()`` with four partial sums.

    A single running sum is one chain of dependent additions, each waiting
    for the last (2 ms per epoch on the wide workload's 512 x 4096 rows);
    four independent chains overlap. Twin: ``dZ.sum(axis=1)`` (pairwise in
    NumPy: neither order is the other's, both are accurate to rounding).
    """
    s0 = s1 = s2 = s3 = 0.0
    for j in range(at, at + m - 3, 4):
        s0 += x[j]
        s1 += x[j + 1]
        s2 += x[j + 2]
        s3 += x[j + 3]
    for j in range(at + m - m % 4, at + m):
        s0 += x[j]
    return (s0 + s1) + (s2 + s3)


@_inl
def _back_hidden(theta, w_at, n, k, dZ, d_at, A, a_at, hidden, out, o_at, m):
    """``out = (W.T @ dZ) * g'(A)``, with ``g'`` a function of the output ``A``.

    Twin: the ``dZ = (params[f"W{l}"].T @ dZ) * DERIVATIVES[hidden](A_prev)``
    line of ``network._backward``.
    """
    if n * k * m >= BLAS_MIN_MACS and n >= BLAS_MIN_DEPTH:
        W = _matrix(theta, w_at, n, k)
        np.dot(W.T, _matrix(dZ, d_at, n, m), _matrix(out, o_at, k, m))
    else:
        # Row by row, a multiply-add of whole rows of dZ: vectorizes over j.
        for p in range(k):
            w = theta[w_at + p]
            for j in range(m):
                out[o_at + p * m + j] = w * dZ[d_at + j]
            for i in range(1, n):
                w = theta[w_at + i * k + p]
                for j in range(m):
                    out[o_at + p * m + j] += w * dZ[d_at + i * m + j]
    # One loop per activation (not a branch per element), so each vectorizes.
    if hidden == TANH:
        for q in range(k * m):
            out[o_at + q] *= 1.0 - A[a_at + q] * A[a_at + q]
    elif hidden == SIGMOID:
        for q in range(k * m):
            out[o_at + q] *= A[a_at + q] * (1.0 - A[a_at + q])
    else:
        for q in range(k * m):
            out[o_at + q] = out[o_at + q] if A[a_at + q] > 0.0 else 0.0


@_jit
def _softmax(A, at, n, m, scratch):
    """Column-wise softmax of ``A[at:]`` in place, with the column maximum subtracted.

    Twin: ``fnnet.activations.softmax``. ``scratch`` holds at least ``m``
    values (the column maxima, then the sums), so nothing is allocated.
    """
    for j in range(m):
        scratch[j] = A[at + j]
    for i in range(1, n):
        for j in range(m):
            scratch[j] = max(scratch[j], A[at + i * m + j])
    for i in range(n):
        for j in range(m):
            A[at + i * m + j] -= scratch[j]
    exp_inplace(A, at, at + n * m)
    for j in range(m):
        scratch[j] = A[at + j]
    for i in range(1, n):
        for j in range(m):
            scratch[j] += A[at + i * m + j]
    for i in range(n):
        for j in range(m):
            A[at + i * m + j] /= scratch[j]


@_inl
def _activate(code, A, at, n, m, scratch):
    """``A = g(Z)`` in place for one layer. Twin: ``fnnet.activations.ACTIVATIONS``."""
    stop = at + n * m
    if code == TANH:
        tanh_inplace(A, at, stop)
    elif code == SIGMOID:
        sigmoid_inplace(A, at, stop)
    elif code == SOFTMAX:
        _softmax(A, at, n, m, scratch)
    elif code == RELU:
        for q in range(at, stop):
            A[q] = max(A[q], 0.0)


@_inl
def _offsets(layout, m, base, offsets):
    """Where each layer's block starts in the A and dZ buffers (stride m)."""
    at = base
    for l in range(layout.shape[0]):
        offsets[l] = at
        at += layout[l, 0] * m


@_inl
def _forward(theta, layout, inp, base, m, hidden, output, A, offsets, scratch):
    """Fill the activations of every layer; return where the output starts.

    Twin: ``fnnet.network._forward``. The inputs are ``inp`` (flat), the
    layers from ``A[base:]``.
    """
    L = layout.shape[0]
    _offsets(layout, m, base, offsets)
    for l in range(L):
        n, k, w_at, b_at = layout[l, 0], layout[l, 1], layout[l, 2], layout[l, 3]
        # One call site per helper: each is inlined, so each site is compiled.
        src, src_at = (inp, 0) if l == 0 else (A, offsets[l - 1])
        _affine(theta, w_at, b_at, n, k, src, src_at, m, A, offsets[l])
        _activate(hidden if l < L - 1 else output, A, offsets[l], n, m, scratch)
    return offsets[L - 1]


@_inl
def _backward(theta, layout, inp, tgt, m, hidden, A, dZ, offsets, l2, grads):
    """Gradients at the last forward pass into ``grads``.

    Twin: ``fnnet.network._backward``; ``offsets`` as the forward pass left it,
    ``inp`` and ``tgt`` the batch's inputs and targets (flat).
    """
    L = layout.shape[0]
    out_at = offsets[L - 1]
    for q in range(layout[L - 1, 0] * m):
        dZ[out_at + q] = (A[out_at + q] - tgt[q]) / m
    for l in range(L - 1, -1, -1):
        n, k, w_at, b_at = layout[l, 0], layout[l, 1], layout[l, 2], layout[l, 3]
        src, src_at = (inp, 0) if l == 0 else (A, offsets[l - 1])
        _weight_grads(
            dZ, offsets[l], src, src_at, theta, grads, w_at, b_at, n, k, m, l2 / m
        )
        if l > 0:
            _back_hidden(
                theta, w_at, n, k, dZ, offsets[l], src, src_at, hidden, dZ, src_at, m
            )


@_inl
def _cost(output, A, at, tgt, n, m):
    """Mean cost of the outputs against the targets ``tgt`` (flat).

    The output's canonical loss. Twin: ``fnnet.losses.logloss /
    cross_entropy / mse``; logs of ``A`` clipped to ``[tiny, 1 - epsneg]``
    of its dtype. Terms whose weight is 0 are skipped (they add exactly 0 in
    the reference too).
    """
    s = 0.0
    if output == IDENTITY:
        for q in range(n * m):
            s += 0.5 * (A[at + q] - tgt[q]) * (A[at + q] - tgt[q])
        return s / m
    lo, hi = _clip_bounds(A)
    for q in range(n * m):
        a, y = min(max(A[at + q], lo), hi), tgt[q]
        if y != 0.0:
            s -= y * np.log(a)
        if output == SIGMOID and y != 1.0:
            s -= (1.0 - y) * np.log1p(-a)
    return s / m


@_jit
def _clip_bounds(A):
    """``(tiny, 1 - epsneg)`` of A's dtype, as in ``fnnet.losses._clip01``."""
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
def _step(opt, hyper, hyp, theta, grads, s1, s2, count):
    """One optimizer step on the flat vectors; False if a parameter is not finite.

    Twin: ``fnnet.optim.sgd / momentum / adam`` ``update``. ``hyper`` is in
    float64, ``hyp`` the same values in the parameters' dtype plus two slots
    for Adam's bias corrections, computed in float64 like the reference's
    Python floats and then rounded to the dtype.
    """
    lr = hyp[0]
    if opt == SGD:
        for i in range(theta.shape[0]):
            theta[i] = theta[i] - lr * grads[i]
    elif opt == MOMENTUM:
        beta = hyp[1]
        for i in range(theta.shape[0]):
            v = beta * s1[i] + grads[i]
            s1[i] = v
            theta[i] = theta[i] - lr * v
    else:
        count[0] += 1
        hyp[6] = 1.0 - hyper[1] ** count[0]
        hyp[7] = 1.0 - hyper[3] ** count[0]
        _adam(hyp, theta, grads, s1, s2)
    finite = True  # an AND over all entries, without a branch: it vectorizes
    for i in range(theta.shape[0]):
        finite &= abs(theta[i]) < np.inf
    return finite


@_jit
def _adam(hyp, theta, grads, mu, nu):
    """Adam with bias correction. Twin: ``fnnet.optim.adam``."""
    lr, beta1, one_minus_beta1 = hyp[0], hyp[1], hyp[2]
    beta2, one_minus_beta2, eps = hyp[3], hyp[4], hyp[5]
    c1, c2 = hyp[6], hyp[7]
    for i in range(theta.shape[0]):
        g = grads[i]
        m_new = beta1 * mu[i] + one_minus_beta1 * g
        v_new = beta2 * nu[i] + one_minus_beta2 * (g * g)
        mu[i], nu[i] = m_new, v_new
        theta[i] = theta[i] - lr * (m_new / c1) / (np.sqrt(v_new / c2) + eps)


@_jit
def _gather(X, orders, e, start, size, out):
    """Columns ``orders[e, start:start + size]`` of X into ``out``, row stride ``size``.

    Twin: ``s.X[:, idx]`` in ``fnnet.train._epoch_numpy``.
    """
    for i in range(X.shape[0]):
        for j in range(size):
            out[i * size + j] = X[i, orders[e, start + j]]


@_inl
def _batch(b, n_batches, mb, e, orders, X, Y, flat, A, T):
    """The inputs, targets (flat, row-major) and size of pass ``b`` of an epoch.

    Passes ``0 .. n_batches - 1`` are the minibatches, gathered through this
    epoch's permutation into the first block of ``A`` and into ``T``, or the
    whole training set; pass ``n_batches`` is the validation set. ``flat``
    is ``(X, Y, X_val, Y_val)`` flattened. Twin: ``_batches`` and
    ``fnnet.network.evaluate``.
    """
    X_all, Y_all, Xv_all, Yv_all = flat
    if b == n_batches:
        return Xv_all, Yv_all, Xv_all.size // X.shape[0]
    start = b * mb
    size = min(mb, X.shape[1] - start)
    if orders.shape[0] == 0:
        return X_all, Y_all, size
    _gather(X, orders, e, start, size, A)
    _gather(Y, orders, e, start, size, T)
    return A, T, size


@_jit
def _improved(cost, e, theta, best, best_meta):
    """Keep ``theta`` in ``best`` if ``cost`` beats the best so far.

    Twin: ``fnnet._run.EarlyStopping.record``.
    """
    if cost < best_meta[0]:
        best_meta[0], best_meta[1] = cost, best_meta[2] + e
        for i in range(theta.shape[0]):
            best[i] = theta[i]


def buffers(theta, layout, X, Y, Xv, batch_size, hyper, full_batch):
    """The kernel's working buffers for one training run (plain Python).

    Returns ``(grads, hyp, A, dZ, T, scratch, offsets)`` laid out as the
    module docstring says. The caller owns them and passes them to every
    call of ``_epochs_kernel`` of that run.
    """
    (n_x, m), n_y, m_val = X.shape, Y.shape[0], Xv.shape[1]
    mb = min(batch_size, m)
    base = 0 if full_batch else n_x * mb  # the gathered inputs, then the layers
    size = base + int(layout[:, 0].sum()) * max(mb, m_val)
    A, dZ = np.empty(size, theta.dtype), np.empty(size, theta.dtype)
    T = np.empty(0 if full_batch else n_y * mb, theta.dtype)
    hyp = np.zeros(8, theta.dtype)
    hyp[:6] = hyper
    scratch = np.empty(max(m, m_val), theta.dtype)
    offsets = np.empty(layout.shape[0], np.int64)
    return np.zeros_like(theta), hyp, A, dZ, T, scratch, offsets


def _epochs(
    theta, s1, s2, count, best, best_meta, grads, hyp, A, dZ, T, scratch,
    offsets, metrics, orders, layout, X, Y, Xv, Yv, batch_size,
    hidden, output, opt, hyper, l2, patience,
):  # fmt: skip
    """Run ``metrics.shape[1]`` epochs; return ``(epochs run, status)``.

    Twin: ``fnnet.train._train_numpy``. Every array is the wrapper's and
    stays alive for the whole call; the kernel allocates nothing.
    ``theta, s1, s2, count, best, best_meta`` carry the run across calls;
    ``grads`` to ``offsets`` are the work buffers from :func:`buffers`;
    ``metrics`` (rows: training cost, validation cost, validation accuracy;
    NaN on entry) receives one column per epoch. ``X, Y, Xv, Yv`` are only
    read; ``orders`` holds one permutation per epoch (no rows: full batch).
    ``best_meta`` is ``(best validation cost, its epoch, epochs before this
    call)``. Status is ``OK``, ``STOPPED`` (patience ran out), or
    ``TRAIN_FAILED`` / ``VAL_FAILED`` with the failing epoch in place of the
    number of epochs run.
    """
    theta, s1, s2, count = _unowned(theta), _unowned(s1), _unowned(s2), _unowned(count)
    best, best_meta, grads = _unowned(best), _unowned(best_meta), _unowned(grads)
    hyp, A, dZ, T = _unowned(hyp), _unowned(A), _unowned(dZ), _unowned(T)
    scratch, offsets = _unowned(scratch), _unowned(offsets)
    metrics, orders, layout = _unowned(metrics), _unowned(orders), _unowned(layout)
    X, Y, Xv, Yv = _unowned(X), _unowned(Y), _unowned(Xv), _unowned(Yv)
    hyper = _unowned(hyper)
    (n_x, m), n_y, m_val, epochs = X.shape, Y.shape[0], Xv.shape[1], metrics.shape[1]
    flat = (  # unowned again: a reshaped view's memory info is not known to be null
        _unowned(X.reshape(X.size)),
        _unowned(Y.reshape(Y.size)),
        _unowned(Xv.reshape(Xv.size)),
        _unowned(Yv.reshape(Yv.size)),
    )
    mb = min(batch_size, m)
    n_batches = (m + mb - 1) // mb
    base = 0 if orders.shape[0] == 0 else n_x * mb
    rows = 0
    for l in range(layout.shape[0]):
        rows += layout[l, 0]
    # Indexing is unchecked: buffers of another run would be overrun silently.
    if (
        A.shape[0] < base + rows * max(mb, m_val)
        or dZ.shape[0] < A.shape[0]
        or T.shape[0] < (0 if orders.shape[0] == 0 else n_y * mb)
        or scratch.shape[0] < max(m, m_val)
        or offsets.shape[0] < layout.shape[0]
        or grads.shape[0] != theta.shape[0]
    ):
        raise ValueError("fnnet internal error: kernel buffers do not fit the run")
    for e in range(epochs):
        J = 0.0
        # One forward pass per minibatch, then one on the validation set: a
        # single call site, so the forward code is compiled once.
        for b in range(n_batches + (m_val > 0)):
            inp, tgt, size = _batch(b, n_batches, mb, e, orders, X, Y, flat, A, T)
            at = _forward(
                theta, layout, inp, base, size, hidden, output, A, offsets, scratch
            )
            cost = _cost(output, A, at, tgt, n_y, size)
            if b == n_batches:
                break
            J += (cost + _penalty(theta, layout, l2, size)) * size / m
            _backward(theta, layout, inp, tgt, size, hidden, A, dZ, offsets, l2, grads)
            if not _step(opt, hyper, hyp, theta, grads, s1, s2, count):
                J = np.nan
                break
        metrics[0, e] = J
        if not np.isfinite(J):
            return e, TRAIN_FAILED
        if m_val > 0:
            metrics[1, e] = cost
            metrics[2, e] = _accuracy(output, A, at, tgt, n_y, m_val)
            if not np.isfinite(metrics[1, e]):
                return e, VAL_FAILED
            _improved(metrics[1, e], e, theta, best, best_meta)
            if patience > 0 and best_meta[2] + e - best_meta[1] >= patience:
                return e + 1, STOPPED
    return epochs, OK


_epochs_kernel = _jit(_epochs)
