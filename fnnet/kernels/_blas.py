"""Matrix products for compiled kernels through NumPy's own BLAS.

Numba's ``np.dot`` calls the BLAS that SciPy ships, a second OpenBLAS with a
thread pool of its own: right after NumPy matrix work, NumPy's idle threads
still spin while SciPy's run, and on a small machine the two pools fight for
the cores. Calling the ``cblas_?gemm`` that NumPy itself uses keeps one pool
for both backends, and SciPy is not needed.

NumPy's wheels ship OpenBLAS with 64-bit integers and suffixed names
(``scipy_cblas_dgemm64_``). Its address is registered with LLVM under a fixed
name, so a kernel cached on disk finds it again in a new process. A NumPy
without such a CBLAS makes importing this module fail with ``ImportError``,
which ``fnnet.train`` reports as the compiled backend being unavailable.

:func:`gemm` is plain NumPy in Python (and with ``NUMBA_DISABLE_JIT=1``) and
the CBLAS call in compiled code. Twin: ``numpy.matmul``.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
from collections.abc import Iterator

import llvmlite.binding as llvm
import numpy as np
from numba import types
from numba.extending import intrinsic, overload

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
#: Names tried in NumPy's BLAS, in order, with ``?`` the precision letter.
_CANDIDATES = ("scipy_cblas_?gemm64_", "cblas_?gemm64_")
#: Its thread-count setter and getter (process-wide), tried in order.
_THREAD_CALLS = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
)


def _numpy_blas() -> ctypes.CDLL:
    """NumPy's compiled core, through which its BLAS symbols resolve."""
    try:
        from numpy._core import _multiarray_umath as core
    except ImportError:  # NumPy 1.x
        from numpy.core import _multiarray_umath as core  # type: ignore[no-redef]
    return ctypes.CDLL(core.__file__)


def _register() -> None:
    lib = _numpy_blas()
    for letter in "ds":
        for pattern in _CANDIDATES:
            fn = getattr(lib, pattern.replace("?", letter), None)
            if fn is not None:
                address = ctypes.cast(fn, ctypes.c_void_p).value
                llvm.add_symbol(f"fnnet_{letter}gemm", address)
                break
        else:
            raise ImportError(
                "the compiled backend calls NumPy's own BLAS, and found none of "
                f"{[p.replace('?', letter) for p in _CANDIDATES]} in it"
            )


_register()


def _thread_calls() -> tuple[ctypes._CFuncPtr, ctypes._CFuncPtr] | None:
    lib = _numpy_blas()
    for set_name, get_name in _THREAD_CALLS:
        setter, getter = getattr(lib, set_name, None), getattr(lib, get_name, None)
        if setter is not None and getter is not None:
            setter.argtypes, setter.restype = [ctypes.c_int], None
            getter.argtypes, getter.restype = [], ctypes.c_int
            return setter, getter
    return None


_THREADS = _thread_calls()
_one_thread_lock = threading.Lock()
_one_thread_depth = 0
_saved_threads = 0


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run NumPy's BLAS on one thread inside the block, then restore its count.

    For networks whose products are small: there, handing each product to a
    second thread costs more than it saves, and a worker thread that waits
    spinning between the products slows the serial passes in between. The
    setting is process-wide (OpenBLAS has no per-call one), so NumPy's
    products in other threads are single-threaded meanwhile; nested and
    concurrent blocks restore the count once, when the last one ends. Without
    OpenBLAS's thread calls this does nothing.
    """
    global _one_thread_depth, _saved_threads
    if _THREADS is None:
        yield
        return
    setter, getter = _THREADS
    with _one_thread_lock:
        if _one_thread_depth == 0:
            _saved_threads = getter()
            setter(1)
        _one_thread_depth += 1
    try:
        yield
    finally:
        with _one_thread_lock:
            _one_thread_depth -= 1
            if _one_thread_depth == 0:
                setter(_saved_threads)


def _external(name: str, dtype: types.Type) -> types.ExternalFunction:
    i32, i64, ptr = types.int32, types.int64, types.CPointer(dtype)
    args = (i32, i32, i32, i64, i64, i64, dtype, ptr, i64, ptr, i64, dtype, ptr, i64)
    return types.ExternalFunction(name, types.void(*args))


_dgemm = _external("fnnet_dgemm", types.float64)
_sgemm = _external("fnnet_sgemm", types.float32)


@intrinsic
def _pointer_at(typingctx, arr, at):
    """A typed pointer to ``arr``'s element ``at`` (no reference is taken)."""

    def codegen(context, builder, sig, args):
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        return builder.gep(data, [args[1]])

    return types.CPointer(arr.dtype)(arr, types.intp), codegen


def gemm(ta, tb, M, N, K, A, a_at, B, b_at, beta, C, c_at):
    """``C = op(A) @ op(B) + beta C`` on row-major blocks of flat arrays.

    ``op(A)`` is ``(M, K)``: the ``(M, K)`` block of ``A`` from ``a_at``, or
    the transpose of its ``(K, M)`` block when ``ta``; likewise ``op(B)``
    ``(K, N)`` from ``b_at``; ``C`` is the ``(M, N)`` block from ``c_at``.
    ``beta`` is 0 (``C`` is only written) or 1.
    """
    a = A[a_at : a_at + M * K]
    a = a.reshape(K, M).T if ta else a.reshape(M, K)
    b = B[b_at : b_at + K * N]
    b = b.reshape(N, K).T if tb else b.reshape(K, N)
    c = C[c_at : c_at + M * N].reshape(M, N)
    if beta == 0.0:
        np.matmul(a, b, out=c)
    else:
        c += a @ b


@overload(gemm)
def _gemm_compiled(ta, tb, M, N, K, A, a_at, B, b_at, beta, C, c_at):
    if A.dtype == types.float64:
        ext, one = _dgemm, np.float64(1.0)
    elif A.dtype == types.float32:
        ext, one = _sgemm, np.float32(1.0)
    else:
        return None

    def impl(ta, tb, M, N, K, A, a_at, B, b_at, beta, C, c_at):
        ext(
            _ROW_MAJOR,
            _TRANS if ta else _NO_TRANS,
            _TRANS if tb else _NO_TRANS,
            M,
            N,
            K,
            one,
            _pointer_at(A, a_at),
            M if ta else K,
            _pointer_at(B, b_at),
            K if tb else N,
            C.dtype.type(beta),
            _pointer_at(C, c_at),
            N,
        )

    return impl
