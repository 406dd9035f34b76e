"""Accuracy and semantics of the vectorizable element-wise math kernels.

Each kernel is held to its NumPy twin: at most 2 ulp apart over dense grids
of the whole floating-point range and on Hypothesis-generated arrays (3 for
float64 tanh, which is held within 3 ulp of the exact value as well), with
the exact saturation and special values listed in the module docstring.
With ``NUMBA_DISABLE_JIT=1`` the kernels run as plain Python and the grids
shrink accordingly.
"""

from __future__ import annotations

import platform
import re

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fnnet.kernels._math import (
    HAS_FMA,
    _tanh_f64,
    elementwise,
    positive_log,
    vexp,
    vsigmoid,
    vtanh,
)

JIT = not numba.config.DISABLE_JIT
GRID_SIZE = 1_000_000 if JIT else 20_000
MAX_ULP = 2
#: float64 tanh uses one formula, m / (m + 2) with m = expm1(2x). Measured
#: against long double over 10**7 random inputs: within 3 ulp of the exact
#: value (3 only below |x| = 0.35, at 1 input in 10**6) and within 3 of
#: NumPy's (at 3 for 4 inputs in 10**5, within 1 for 99.6%).
MAX_ULP_TO_NUMPY = {("tanh", np.float64): 3}
DTYPES = [np.float64, np.float32]
READS_X86_ASSEMBLY = pytest.mark.skipif(
    not JIT or platform.machine().lower() not in ("x86_64", "amd64"),
    reason="reads x86 assembly of compiled code: needs the JIT on x86-64",
)
NEEDS_JIT = pytest.mark.skipif(not JIT, reason="reads compiled code: needs the JIT")
#: A call, in LLVM IR, to one of the scalar element functions or their helpers.
MATH_CALL = re.compile(
    r"call [^\n]*@\"?_ZN5fnnet7kernels5_math\d+"
    r"(_exp_f|_tanh_f|_sigmoid_f|positive_log|_pow2|_exp_poly|_expm1_poly)"
)


def math_calls(dispatcher) -> list[str]:
    """The element-function calls left in ``dispatcher``'s optimized module.

    Each function is compiled on its own and LLVM is left to inline it into
    the loops: a call left there would keep the loop scalar.
    """
    return MATH_CALL.findall(dispatcher.inspect_llvm(dispatcher.signatures[0]))


def sigmoid_reference(z: np.ndarray) -> np.ndarray:
    """The NumPy reference logistic function (the twin of ``vsigmoid``)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


KERNELS = {"exp": (vexp, np.exp), "tanh": (vtanh, np.tanh)}
KERNELS["sigmoid"] = (vsigmoid, sigmoid_reference)


def reference(name: str, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return KERNELS[name][1](x).astype(x.dtype)


def run(name: str, x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    KERNELS[name][0](x, out)
    return out


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Number of representable values between ``a`` and ``b`` (elementwise).

    Bit patterns are mapped to unsigned keys that increase with the value,
    so the distance is exact across binades and across zero (where -0 and +0
    are one step apart). Two NaNs are 0 apart, NaN and a number maximally.
    """
    assert a.dtype == b.dtype
    utype = np.uint64 if a.dtype == np.float64 else np.uint32
    sign = utype(1) << utype(8 * a.itemsize - 1)

    def key(v: np.ndarray) -> np.ndarray:
        u = v.view(utype)
        return np.where(u & sign, ~u, u | sign).astype(np.uint64)

    ka, kb = key(a), key(b)
    d = np.where(ka >= kb, ka - kb, kb - ka)
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    d[nan_a & nan_b] = 0
    d[nan_a ^ nan_b] = np.iinfo(np.uint64).max
    return d


def neighbours(v: float, dtype: type, k: int = 3) -> list[float]:
    """``v`` rounded to ``dtype`` and its ``k`` neighbours on each side."""
    c = dtype(v)
    out = [c]
    lo = hi = c
    for _ in range(k):
        lo = np.nextafter(lo, dtype(-np.inf))
        hi = np.nextafter(hi, dtype(np.inf))
        out += [lo, hi]
    return out


def special_values(dtype: type) -> np.ndarray:
    """Zeros, extremes, infinities, NaN and every threshold of the kernels."""
    fi = np.finfo(dtype)
    tiny, sub, big = float(fi.tiny), float(fi.smallest_subnormal), float(fi.max)
    vals: list[float] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1000.0, -1000.0]
    vals += [tiny, -tiny, sub, -sub, 4 * sub, -4 * sub, big, -big, 1.0, -1.0]
    thresholds = [
        np.log(big),  # exp overflow
        np.log(tiny),  # exp leaves the normal range
        np.log(sub),  # exp gives the smallest subnormal
        np.log(sub) - np.log(2),  # exp underflows to 0
        0.5 * np.log(4 / float(fi.epsneg)),  # tanh rounds to 1
        np.log(3) / 2,  # switch between the tanh formulas
        np.log(2) / 2,  # edge of the exp range reduction
        1.0,  # float32 sigmoid switch
    ]
    for t in thresholds:
        vals += neighbours(t, dtype) + neighbours(-t, dtype)
    return np.array(vals, dtype=dtype)


def dense_grid(dtype: type, n: int) -> np.ndarray:
    """Magnitudes log-spaced over the whole range, both signs, plus a
    uniform grid over the range where the kernels are not saturated."""
    fi = np.finfo(dtype)
    lo = np.log10(float(fi.smallest_subnormal))
    hi = np.log10(float(fi.max))
    with np.errstate(over="ignore"):  # the last point may round past max
        mags = np.minimum(np.logspace(lo, hi, n // 4), float(fi.max)).astype(dtype)
    span = 800.0 if dtype == np.float64 else 120.0
    lin = np.linspace(-span, span, n // 2, dtype=np.float64).astype(dtype)
    return np.concatenate([mags, -mags, lin, special_values(dtype)])


def assert_close(name: str, x: np.ndarray, max_ulp: int | None = None) -> None:
    if max_ulp is None:
        max_ulp = MAX_ULP_TO_NUMPY.get((name, x.dtype.type), MAX_ULP)
    got = run(name, x)
    want = reference(name, x)
    if x.size == 0:
        return
    d = ulp_distance(got, want)
    i = int(np.argmax(d))
    assert d[i] <= max_ulp, (
        f"{name}({x[i]!r}) = {got[i]!r}, NumPy gives {want[i]!r} ({d[i]} ulp apart)"
    )


# ---------------------------------------------------------------------------
# Dense grids and special values
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", list(KERNELS))
def test_dense_grid_within_2_ulp(name: str, dtype: type) -> None:
    assert_close(name, dense_grid(dtype, GRID_SIZE))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", list(KERNELS))
def test_special_values_within_2_ulp(name: str, dtype: type) -> None:
    assert_close(name, special_values(dtype))


@pytest.mark.skipif(
    np.finfo(np.longdouble).nmant < 63, reason="needs an extended long double"
)
def test_tanh_float64_within_3_ulp_of_exact() -> None:
    x = dense_grid(np.float64, GRID_SIZE)
    exact = np.tanh(x.astype(np.longdouble)).astype(np.float64)
    d = ulp_distance(run("tanh", x), exact)
    assert d.max() <= 3, x[np.argmax(d)]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_exp_saturation(dtype: type) -> None:
    x = np.array([-np.inf, -1000.0, -0.0, 0.0, 1000.0, np.inf, np.nan], dtype)
    y = run("exp", x)
    np.testing.assert_array_equal(y[:6], [0.0, 0.0, 1.0, 1.0, np.inf, np.inf])
    assert np.isnan(y[6])
    # Gradual underflow: exp of the log of the smallest subnormal is it.
    sub = np.finfo(dtype).smallest_subnormal
    assert run("exp", np.array([np.log(float(sub))], dtype))[0] == sub


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_tanh_saturation_and_sign(dtype: type) -> None:
    fi = np.finfo(dtype)
    x = np.array([1000.0, -1000.0, np.inf, -np.inf, 30.0, -30.0], dtype)
    np.testing.assert_array_equal(run("tanh", x), [1, -1, 1, -1, 1, -1])
    zeros = run("tanh", np.array([0.0, -0.0], dtype))
    np.testing.assert_array_equal(np.signbit(zeros), [False, True])
    assert np.all(zeros == 0)
    # Tiny and subnormal inputs come back unchanged, sign included.
    small = np.array([fi.tiny, -fi.tiny, fi.smallest_subnormal, 1e-30], dtype)
    np.testing.assert_array_equal(run("tanh", small), small)
    assert np.isnan(run("tanh", np.array([np.nan], dtype))[0])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_sigmoid_saturation(dtype: type) -> None:
    x = np.array([1000.0, -1000.0, np.inf, -np.inf, 0.0, -0.0], dtype)
    np.testing.assert_array_equal(run("sigmoid", x), [1, 0, 1, 0, 0.5, 0.5])
    assert np.isnan(run("sigmoid", np.array([np.nan], dtype))[0])
    # Just before it reaches 0 the reference is subnormal, and so are we.
    z = np.array([-720.0 if dtype == np.float64 else -95.0], dtype)
    s = run("sigmoid", z)
    assert 0 < s[0] < np.finfo(dtype).tiny
    assert_close("sigmoid", z)


# Float32 inputs where the kernels are furthest from NumPy (found by checking
# all 2**32 of them on x86-64 with AVX2): NumPy's SIMD float32 exp is 1.5 to
# 2.5 ulp from the exact value there, which the float32 reference sigmoid
# inherits, while the kernels stay close to the correctly rounded value.
F32_HARD_CASES = {
    "exp": ([25.994385, -38.466045, -62.029507], 1, 3),
    "sigmoid": ([-0.3461052, -1.1045792, -1.1244612, -38.466045], 2, 4),
}


@pytest.mark.parametrize("name", list(F32_HARD_CASES))
def test_float32_accurate_where_numpy_is_not(name: str) -> None:
    inputs, to_exact, to_numpy = F32_HARD_CASES[name]
    z = np.array(inputs, np.float32)
    got = run(name, z)
    # Evaluated in float64 and rounded once: correctly rounded here.
    exact = reference(name, z.astype(np.float64)).astype(np.float32)
    assert ulp_distance(got, exact).max() <= to_exact
    assert ulp_distance(got, reference(name, z)).max() <= to_numpy


# ---------------------------------------------------------------------------
# Properties on arbitrary arrays
# ---------------------------------------------------------------------------


def float_arrays(dtype: type, **float_kwargs: object) -> st.SearchStrategy:
    width = 64 if dtype == np.float64 else 32
    elements = st.floats(width=width, **float_kwargs)
    return hnp.arrays(dtype, st.integers(0, 64), elements=elements)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", list(KERNELS))
@settings(deadline=None, max_examples=60)
@given(data=st.data())
def test_matches_numpy_on_arbitrary_arrays(
    name: str, dtype: type, data: st.DataObject
) -> None:
    x = data.draw(float_arrays(dtype, allow_nan=True, allow_infinity=True))
    assert_close(name, x)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", list(KERNELS))
@settings(deadline=None, max_examples=30)
@given(data=st.data())
def test_in_place_and_read_only(name: str, dtype: type, data: st.DataObject) -> None:
    x = data.draw(float_arrays(dtype, allow_nan=True, allow_infinity=True))
    original = x.copy()
    expected = run(name, x)
    np.testing.assert_array_equal(x, original)  # input untouched

    readonly = x.copy()
    readonly.flags.writeable = False
    out = np.empty_like(x)
    KERNELS[name][0](readonly, out)
    np.testing.assert_array_equal(out, expected)

    inplace = x.copy()
    KERNELS[name][0](inplace, inplace)
    np.testing.assert_array_equal(inplace, expected)


@pytest.mark.parametrize("name", list(KERNELS))
def test_rejects_mismatched_arguments(name: str) -> None:
    fn = KERNELS[name][0]
    with pytest.raises(ValueError, match="length"):
        fn(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="dtype"):
        fn(np.zeros(3), np.zeros(3, np.float32))


# ---------------------------------------------------------------------------
# Use from other compiled kernels
# ---------------------------------------------------------------------------


@numba.njit
def _activations(z: np.ndarray, a: np.ndarray, s: np.ndarray, e: np.ndarray) -> None:
    """How a training kernel calls the functions: on 1-D views of 2-D buffers."""
    vtanh(z.ravel(), a.ravel())
    vsigmoid(z.ravel(), s.ravel())
    vexp(e.ravel(), e.ravel())  # in place


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_callable_from_njit(dtype: type) -> None:
    z = np.linspace(-5, 5, 24, dtype=dtype).reshape(4, 6)
    a, s, e = np.empty_like(z), np.empty_like(z), z.copy()
    _activations(z, a, s, e)
    for name, got in (("tanh", a), ("sigmoid", s), ("exp", e)):
        bound = MAX_ULP_TO_NUMPY.get((name, dtype), MAX_ULP)
        assert ulp_distance(got, reference(name, z)).max() <= bound


@READS_X86_ASSEMBLY
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", list(KERNELS))
def test_loops_are_vectorized(name: str, dtype: type) -> None:
    # A fresh, uncached compilation of the same code, so that its assembly
    # can be inspected; the scalar kernels it calls may come from the cache.
    fresh = numba.njit(cache=False, error_model="numpy")(KERNELS[name][0].py_func)
    x = np.ones(8, dtype)
    fresh(x, np.empty_like(x))
    asm = fresh.inspect_asm(fresh.signatures[0])
    # Packed double multiplies (SSE2 "mulpd" or AVX "vmulpd") in the loops,
    # and no call left to an element function.
    assert re.search(r"\bv?mulpd\b", asm)
    assert math_calls(fresh) == []
    # ...and packed fused multiply-adds where the CPU has them.
    assert bool(re.search(r"\bvfn?m(add|sub)\w*pd\b", asm)) == HAS_FMA


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_start_stop_touch_only_their_block(name: str) -> None:
    kernel, reference = KERNELS[name]
    x = np.linspace(-3.0, 3.0, 11)
    out = np.full_like(x, -7.0)
    kernel(x, out, 3, 8)
    np.testing.assert_allclose(out[3:8], reference(x[3:8]), rtol=1e-15)
    assert (out[:3] == -7.0).all() and (out[8:] == -7.0).all()


# ---------------------------------------------------------------------------
# The training kernel's loops: one per dtype, chosen while typing
# ---------------------------------------------------------------------------


def _caller(name):
    """A compiled caller, as the training kernel calls these: a block of x."""

    def call(x, start, stop):
        elementwise(name, x, start, stop)

    return numba.njit(cache=False, error_model="numpy")(call)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernel_loops_equal_the_public_functions(name: str, dtype: type) -> None:
    x = dense_grid(dtype, 4096)
    got, want = x.copy(), x.copy()
    _caller(name)(got, 5, x.size - 5)
    KERNELS[name][0](x, want, 5, x.size - 5)
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(got[:5], x[:5]) and np.array_equal(got[-5:], x[-5:])


@READS_X86_ASSEMBLY
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernel_loops_are_vectorized(name: str, dtype: type) -> None:
    caller = _caller(name)
    caller(np.ones(8, dtype), 0, 8)
    assert re.search(r"\bv?mulpd\b", caller.inspect_asm(caller.signatures[0]))
    assert math_calls(caller) == []


@NEEDS_JIT
def test_math_calls_sees_a_call_that_is_not_inlined() -> None:
    # The check above, on a loop that LLVM is told not to optimize.
    def loop(x):
        for i in range(x.shape[0]):
            x[i] = _tanh_f64(x[i])

    unoptimized = numba.njit(cache=False, error_model="numpy", _dbg_optnone=True)
    caller = unoptimized(loop)
    caller(np.ones(8))
    assert math_calls(caller) == ["_tanh_f"]


def _log_loop(x: np.ndarray, out: np.ndarray) -> None:
    for i in range(x.shape[0]):
        out[i] = positive_log(x[i])


log_loop = numba.njit(cache=False, error_model="numpy")(_log_loop)


def test_positive_log_within_1_ulp_over_its_domain() -> None:
    # The costs take logs of outputs clipped to [tiny, 1 - epsneg]: (0, 1]
    # densely, next to 1 most finely, and every binade of the normal range.
    rng = np.random.default_rng(7)
    n = GRID_SIZE
    info = np.finfo(np.float64)
    x = np.concatenate(
        [
            rng.random(n) + info.tiny,
            1.0 - rng.random(n // 10) * 1e-6,
            np.exp(rng.uniform(-708.0, 709.0, n)),
            [info.tiny, 1 - info.epsneg, 0.5, 1.0, 2.0, info.max],
        ]
    )
    got = np.empty_like(x)
    log_loop(x, got)
    assert ulp_distance(got, np.log(x)).max() <= 1
    assert got[-3] == 0.0  # log(1) exactly


@READS_X86_ASSEMBLY
def test_positive_log_loop_is_vectorized() -> None:
    log_loop(np.ones(8), np.empty(8))
    assert re.search(r"\bv?mulpd\b", log_loop.inspect_asm(log_loop.signatures[0]))
