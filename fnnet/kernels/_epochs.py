"""The compiled training loop: whole epochs of forward, backward and update.

Twin: ``fnnet.train._train_numpy`` (the public NumPy functions in a loop).
Every function here mirrors one step of that reference and says which; the
tests in ``tests/test_kernels.py`` hold the pair together.

Data layout. The wrapper (:mod:`fnnet.kernels.train`) packs the parameters
into one flat vector ``theta`` in layer order (``W1`` row-major, ``b1``, ``W2``,
...); ``layout[l] = (n_l, n_{l-1}, offset of W, offset of b)``. Gradients and
optimizer moments are flat vectors of the same length, so an optimizer step is
one loop. Every view (``W``, ``b``, ``dW``, ``db`` inside the flat vectors) and
every buffer (``Z``, ``A``, ``dZ`` per layer, one set for full minibatches, one
for a shorter last batch, one for validation) is made once per call, before
the first epoch: the epoch loop allocates nothing and creates no views, which
matters at XOR size, where making a view costs as much as a layer.

Products of ``BLAS_MIN_MACS`` multiply-adds or more go to BLAS through
``np.dot`` (which is why Numba needs SciPy here); smaller ones, where a BLAS
call would cost more than the arithmetic, are plain loop nests. Either way the
summation order differs from NumPy's, which is why the backends agree to
rounding, not bit for bit.

Codes: activations ``TANH, SIGMOID, RELU, SOFTMAX, IDENTITY``; optimizers
``SGD, MOMENTUM, ADAM``. ``hyper`` holds, in the parameters' dtype,
``(lr, beta or beta1, 1 - beta1, beta2, 1 - beta2, eps)`` in float64; the
kernel rounds them to the parameters' dtype once, as NumPy does when the
reference combines Python floats with arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fnnet.kernels._config import CACHE, FASTMATH
from fnnet.kernels._math import vexp, vsigmoid, vtanh

TANH, SIGMOID, RELU, SOFTMAX, IDENTITY = 0, 1, 2, 3, 4
SGD, MOMENTUM, ADAM = 0, 1, 2
OK, STOPPED, TRAIN_FAILED, VAL_FAILED = 0, 1, 2, 3
#: Products with at least this many multiply-adds go to BLAS (``np.dot``).
BLAS_MIN_MACS = 4096

_jit = njit(cache=CACHE, fastmath=FASTMATH, error_model="numpy")


@_jit
def _blas(n, k, m):
    """True when an ``(n, k) @ (k, m)`` product is big enough for BLAS.

    Below the threshold a loop nest wins: a BLAS call costs a few hundred
    nanoseconds before it multiplies anything, more than a whole XOR epoch.
    """
    return n * k * m >= BLAS_MIN_MACS


@_jit
def _affine(W, b, A, Z):
    """``Z = W @ A + b``. Twin: ``Z = W @ A; Z += b`` in ``network._forward``."""
    n, k = W.shape
    m = A.shape[1]
    if _blas(n, k, m):
        np.dot(W, A, Z)
        for i in range(n):
            for j in range(m):
                Z[i, j] += b[i]
        return
    for i in range(n):
        for j in range(m):
            acc = W[i, 0] * A[0, j]
            for p in range(1, k):
                acc += W[i, p] * A[p, j]
            Z[i, j] = acc + b[i]


@_jit
def _weight_grads(dZ, A, W, l2_over_m, dW, db):
    """``dW = dZ @ A.T (+ l2/m W)``, ``db = dZ.sum(axis=1)``.

    Twin: the ``grads[f"W{l}"]`` and ``grads[f"b{l}"]`` lines of
    ``network._backward``.
    """
    n, k = dW.shape
    m = dZ.shape[1]
    if _blas(n, k, m):
        np.dot(dZ, A.T, dW)
    else:
        for i in range(n):
            for p in range(k):
                acc = dZ[i, 0] * A[p, 0]
                for j in range(1, m):
                    acc += dZ[i, j] * A[p, j]
                dW[i, p] = acc
    for i in range(n):
        if l2_over_m != 0.0:
            for p in range(k):
                dW[i, p] += l2_over_m * W[i, p]
        acc = dZ[i, 0]
        for j in range(1, m):
            acc += dZ[i, j]
        db[i] = acc


@_jit
def _back_hidden(W, dZ, A_prev, hidden, dZ_prev):
    """``dZ_prev = (W.T @ dZ) * g'(A_prev)``, ``g'`` as a function of the output.

    Twin: the ``dZ = (params[f"W{l}"].T @ dZ) * DERIVATIVES[hidden](A_prev)``
    line of ``network._backward``.
    """
    n, k = W.shape
    m = dZ.shape[1]
    if _blas(k, n, m):
        np.dot(W.T, dZ, dZ_prev)
    else:
        for p in range(k):
            for j in range(m):
                acc = W[0, p] * dZ[0, j]
                for i in range(1, n):
                    acc += W[i, p] * dZ[i, j]
                dZ_prev[p, j] = acc
    for p in range(k):
        for j in range(m):
            a = A_prev[p, j]
            if hidden == TANH:
                dZ_prev[p, j] *= 1.0 - a * a
            elif hidden == SIGMOID:
                dZ_prev[p, j] *= a * (1.0 - a)
            elif a <= 0.0:
                dZ_prev[p, j] = 0.0


@_jit
def _softmax(Z, A, a, scratch):
    """Column-wise softmax with the column maximum subtracted.

    Twin: ``fnnet.activations.softmax``. ``a`` is the flat view of ``A``;
    ``scratch`` holds at least ``m`` values (the column maxima, then sums),
    so nothing is allocated.
    """
    n, m = Z.shape
    for j in range(m):
        scratch[j] = Z[0, j]
    for i in range(1, n):
        for j in range(m):
            scratch[j] = max(scratch[j], Z[i, j])
    for i in range(n):
        for j in range(m):
            A[i, j] = Z[i, j] - scratch[j]
    vexp(a, a)
    for j in range(m):
        scratch[j] = A[0, j]
    for i in range(1, n):
        for j in range(m):
            scratch[j] += A[i, j]
    for i in range(n):
        for j in range(m):
            A[i, j] /= scratch[j]


@_jit
def _activate(code, Z, A, z, a, scratch):
    """``A = g(Z)``; ``z`` and ``a`` are flat views of ``Z`` and ``A``.

    Twin: ``fnnet.activations.ACTIVATIONS``.
    """
    if code == TANH:
        vtanh(z, a)
    elif code == SIGMOID:
        vsigmoid(z, a)
    elif code == RELU:
        for i in range(z.shape[0]):
            a[i] = max(z[i], 0.0)
    elif code == SOFTMAX:
        _softmax(Z, A, a, scratch)
    else:
        for i in range(z.shape[0]):
            a[i] = z[i]


@_jit
def _views(flat, layout):
    """Lists of ``W`` (2-D) and ``b`` (1-D) views of each layer inside ``flat``."""
    L = layout.shape[0]
    Ws = [
        flat[layout[l, 2] : layout[l, 3]].reshape((layout[l, 0], layout[l, 1]))
        for l in range(L)
    ]
    bs = [flat[layout[l, 3] : layout[l, 3] + layout[l, 0]] for l in range(L)]
    return Ws, bs


@_jit
def _buffers(layout, m, like):
    """Per-layer ``Z``, ``A`` and ``dZ`` matrices of ``m`` columns, and flat views.

    Returns ``(Z, A, dZ, z, a)``: lists over layers; ``z[l]``/``a[l]`` are the
    flat views of ``Z[l]``/``A[l]`` that the element-wise functions take.
    """
    rows = [layout[l, 0] for l in range(layout.shape[0])]
    z = [np.empty(n * m, like.dtype) for n in rows]
    a = [np.empty(n * m, like.dtype) for n in rows]
    Z = [z[l].reshape((rows[l], m)) for l in range(len(rows))]
    A = [a[l].reshape((rows[l], m)) for l in range(len(rows))]
    dZ = [np.empty((n, m), like.dtype) for n in rows]
    return Z, A, dZ, z, a


@_jit
def _forward(Ws, bs, X, hidden, output, bufs, scratch):
    """Fill ``bufs``' ``A[l]`` with layer ``l + 1``'s activations; return ``A[L-1]``.

    Twin: ``fnnet.network._forward``.
    """
    Z, A, _, z, a = bufs
    L = len(Ws)
    A_prev = X
    for l in range(L):
        _affine(Ws[l], bs[l], A_prev, Z[l])
        _activate(hidden if l < L - 1 else output, Z[l], A[l], z[l], a[l], scratch)
        A_prev = A[l]
    return A_prev


@_jit
def _backward(Ws, X, Y, hidden, bufs, l2, dWs, dbs):
    """Fill ``dWs``/``dbs`` with the gradients at the last forward pass.

    Twin: ``fnnet.network._backward``.
    """
    _, A, dZ, _, _ = bufs
    L, m = len(Ws), X.shape[1]
    A_out, dZ_out = A[L - 1], dZ[L - 1]
    for i in range(A_out.shape[0]):
        for j in range(m):
            dZ_out[i, j] = (A_out[i, j] - Y[i, j]) / m
    for l in range(L - 1, -1, -1):
        A_prev = X if l == 0 else A[l - 1]
        _weight_grads(dZ[l], A_prev, Ws[l], l2 / m, dWs[l], dbs[l])
        if l > 0:
            _back_hidden(Ws[l], dZ[l], A_prev, hidden, dZ[l - 1])


@_jit
def _cost(output, A, Y):
    """Mean cost of ``A`` against ``Y`` with the output's canonical loss.

    Twin: ``fnnet.losses.logloss / cross_entropy / mse``; logs of ``A``
    clipped to ``[tiny, 1 - epsneg]`` of its dtype. Terms whose weight is 0 are
    skipped (they add exactly 0 in the reference too).
    """
    n, m = A.shape
    lo, hi = _clip_bounds(A)
    s = 0.0
    for i in range(n):
        for j in range(m):
            a, y = A[i, j], Y[i, j]
            if output == IDENTITY:
                s += 0.5 * (a - y) * (a - y)
                continue
            a = min(max(a, lo), hi)
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
def _accuracy(output, A, Y):
    """Share of correct predictions. Twin: ``fnnet.train.accuracy``."""
    n, m = A.shape
    if output == IDENTITY:
        return np.nan
    hits = 0
    if output == SIGMOID:
        for i in range(n):
            for j in range(m):
                hits += (A[i, j] > 0.5) == (Y[i, j] > 0.5)
        return hits / (n * m)
    for j in range(m):
        hits += np.argmax(A[:, j]) == np.argmax(Y[:, j])
    return hits / m


@_jit
def _penalty(Ws, l2, m):
    """``l2 / (2 m) * sum ||W||^2``. Twin: ``fnnet.losses.l2_penalty``."""
    if l2 == 0.0:
        return 0.0
    s = 0.0
    for W in Ws:
        for i in range(W.shape[0]):
            for p in range(W.shape[1]):
                s += W[i, p] * W[i, p]
    return l2 / (2 * m) * s


@_jit
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
    for i in range(theta.shape[0]):
        if not np.isfinite(theta[i]):
            return False
    return True


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
def _gather(X, order, start, out):
    """Columns ``order[start:start + out.shape[1]]`` of X into ``out``.

    Twin: ``s.X[:, idx]`` in ``fnnet.train._epoch_numpy``.
    """
    for i in range(X.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = X[i, order[start + j]]
    return out


@_jit
def _improved(cost, e, theta, best, best_meta):
    """Keep ``theta`` in ``best`` if ``cost`` beats the best so far.

    Twin: ``fnnet.train.EarlyStopping.record``.
    """
    if cost < best_meta[0]:
        best_meta[0], best_meta[1] = cost, best_meta[2] + e
        for i in range(theta.shape[0]):
            best[i] = theta[i]


@_jit
def _validate(Ws, bs, Xv, Yv, hidden, output, bufs, scratch, metrics, e):
    """Validation cost and accuracy after epoch ``e`` into ``metrics[:, e]``.

    Twin: ``fnnet.train.evaluate``.
    """
    A = _forward(Ws, bs, Xv, hidden, output, bufs, scratch)
    metrics[1, e] = _cost(output, A, Yv)
    metrics[2, e] = _accuracy(output, A, Yv)
    return np.isfinite(metrics[1, e])


def _epochs(
    theta,
    s1,
    s2,
    count,
    best,
    best_meta,
    orders,
    epochs,
    layout,
    X,
    Y,
    Xv,
    Yv,
    batch_size,
    hidden,
    output,
    opt,
    hyper,
    l2,
    patience,
):
    """Run ``epochs`` epochs; return ``(metrics, epochs run, status)``.

    Twin: ``fnnet.train._train_numpy``. ``theta, s1, s2, count, best,
    best_meta`` are the wrapper's working buffers, updated in place so that
    a run can continue over several calls; ``X, Y, Xv, Yv`` are only read.
    ``orders`` holds one permutation per epoch (no rows: full batch).
    ``best_meta`` is ``(best validation cost, its epoch, epochs before this
    call)``. ``metrics`` rows are training cost, validation cost and
    validation accuracy per epoch. Status is ``OK``, ``STOPPED`` (patience ran
    out), or ``TRAIN_FAILED`` / ``VAL_FAILED`` with the failing epoch in place
    of the number of epochs run.
    """
    m = X.shape[1]
    mb = min(batch_size, m)
    grads = np.zeros_like(theta)
    Ws, bs = _views(theta, layout)
    dWs, dbs = _views(grads, layout)
    m_last = m - (m - 1) // mb * mb  # the last minibatch may be shorter
    full, last = _buffers(layout, mb, theta), _buffers(layout, m_last, theta)
    Xfull, Yfull = (
        np.empty((X.shape[0], mb), X.dtype),
        np.empty((Y.shape[0], mb), Y.dtype),
    )
    Xlast = np.empty((X.shape[0], m_last), X.dtype)
    Ylast = np.empty((Y.shape[0], m_last), Y.dtype)
    val = _buffers(layout, Xv.shape[1], theta)
    hyp = np.zeros(8, theta.dtype)
    hyp[:6] = hyper
    scratch = np.empty(max(m, Xv.shape[1]), theta.dtype)
    metrics = np.full((3, epochs), np.nan)
    for e in range(epochs):
        J = 0.0
        for start in range(0, m, mb):
            size = min(mb, m - start)
            bufs, Xb, Yb = (full, Xfull, Yfull) if size == mb else (last, Xlast, Ylast)
            if orders.shape[0] == 0:
                Xb, Yb = X, Y
            else:
                _gather(X, orders[e], start, Xb)
                _gather(Y, orders[e], start, Yb)
            A = _forward(Ws, bs, Xb, hidden, output, bufs, scratch)
            Jb = _cost(output, A, Yb) + _penalty(Ws, l2, size)
            _backward(Ws, Xb, Yb, hidden, bufs, l2, dWs, dbs)
            J += Jb * size / m
            if not _step(opt, hyper, hyp, theta, grads, s1, s2, count):
                J = np.nan
                break
        metrics[0, e] = J
        if not np.isfinite(J):
            return metrics, e, TRAIN_FAILED
        if Xv.shape[1] > 0:
            if not _validate(Ws, bs, Xv, Yv, hidden, output, val, scratch, metrics, e):
                return metrics, e, VAL_FAILED
            _improved(metrics[1, e], e, theta, best, best_meta)
            if patience > 0 and best_meta[2] + e - best_meta[1] >= patience:
                return metrics, e + 1, STOPPED
    return metrics, epochs, OK


_epochs_kernel = _jit(_epochs)
