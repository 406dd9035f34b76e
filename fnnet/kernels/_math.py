"""Vectorizable element-wise exp, tanh and sigmoid for compiled kernels.

Without Intel's SVML, ``np.exp`` and ``np.tanh`` in an ``@njit`` loop are
scalar libm calls, and LLVM cannot vectorize a loop that contains a call. The
element functions here (``_exp_f64``, ``_tanh_f32``, ...) use only arithmetic,
comparisons, selects and bit manipulation, never a branch, and LLVM inlines
them into each loop and makes packed AVX2 code of it without
``fastmath`` (which stays off: NaN and saturation behaviour are part of the
contract). Their polynomials and range reductions are written with explicit
fused multiply-adds (:func:`_fma`), half the instructions of a multiply and
an add, and rounded once. They take and return float64; float32 results are
computed in double and rounded once.

``vexp``, ``vtanh`` and ``vsigmoid`` (``f(x, out, start=0, stop=-1)``) are
the public front doors and kernels call :func:`elementwise`; both come from
one skeleton, and ``tests/test_kernel_math.py`` checks their accuracy against
NumPy and the assembly of their loops. The accuracy each docstring states was
measured on x86-64 with AVX2 and NumPy 2.4, over dense grids of the whole
range, 10**8 random float64 inputs and every float32 input.
"""

from __future__ import annotations

import math

import llvmlite.binding as llvm
import numpy as np
from numba import config, njit, types
from numba.extending import lower_builtin, overload, type_callable

from fnnet.kernels._config import CACHE, FASTMATH

# "numpy" error model: float division never raises, so there is no
# ZeroDivisionError branch in the loops to block vectorization.
_jit = njit(cache=CACHE, fastmath=FASTMATH, error_model="numpy")
# Each function is compiled once, and LLVM inlines it where it is called,
# into each loop (the tests check that no call is left in a loop). Inlining
# in Numba instead (``inline="always"``) copies and recompiles its code at
# every call site: the same machine code, a slower first compile.

# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

_LOG2E = 1.4426950408889634  # 1 / ln(2)
# Cody & Waite split of ln(2): LN2_HI has 32 trailing zero bits, so k * LN2_HI
# is exact for |k| < 2**21; LN2_HI + LN2_LO equals ln(2) to about 2**-86.
_LN2_HI = 6.93147180369123816490e-01  # 0x3FE62E42FEE00000
_LN2_LO = 1.90821492927058770002e-10  # 0x3DEA39EF35793C76
# Shift trick: for |v| < 2**50, (v + SHIFT) - SHIFT == rint(v) and the low
# bits of the pattern of (v + SHIFT) hold rint(v). Offsetting SHIFT by an
# integer keeps the rounding and adds that integer to the stored exponent.
_SHIFT = 6755399441055744.0  # 1.5 * 2**52
_SHIFT_NEG = _SHIFT + 64.0  # x < 0: build 2**(k + 64), then times 2**-64
_SHIFT_POS = _SHIFT - 64.0  # x >= 0: build 2**(k - 64), then times 2**64
_TWO_M64 = 5.421010862427522e-20  # 2**-64
_TWO_P64 = 1.8446744073709552e19  # 2**64
_EXP_BIAS = 1023  # IEEE double exponent bias
_EXP_MASK = 0x7FF  # 11-bit exponent field

# float64 exp is finite for x <= _X_MAX_F64 (exact threshold) and rounds to
# +0 below -745.13; inputs are clamped to [_X_LO_F64, _X_MAX_F64] first.
_X_MAX_F64 = 709.782712893384
_X_LO_F64 = -746.0
# float32 exp (computed in double): outside [-104, 89] the float32 result is
# 0 or inf anyway, and inside it the double result is normal.
_X_HI_F32 = 89.0
_X_LO_F32 = -104.0
# Doubles at or above 2**128 - 2**103 round to +inf in float32.
_F32_OVERFLOW = 3.4028235677973366e38

# tanh rounds to 1 above 19.06 (float64) and 9.01 (float32).
_TANH_CLAMP = 20.0

# Remez minimax coefficients (constant term first) of
# P(r) ~ (expm1(r) - r) / r**2 on [-ln2/2, ln2/2]: degree 10 with relative
# error 2.7e-18 (float64), degree 6 with 5.2e-11 (float32 results, which are
# computed in double).
_E64_0 = 0.5
_E64_1 = 0.1666666666666667
_E64_2 = 0.041666666666666616
_E64_3 = 0.008333333333326167
_E64_4 = 0.0013888888888917957
_E64_5 = 0.0001984126987472082
_E64_6 = 2.4801587245744916e-05
_E64_7 = 2.755725551421637e-06
_E64_8 = 2.755734961731694e-07
_E64_9 = 2.5105173629812176e-08
_E64_10 = 2.0889374585980396e-09

_E32_0 = 0.5000000000020878
_E32_1 = 0.16666666718769976
_E32_2 = 0.041666666405429265
_E32_3 = 0.00833329855959322
_E32_4 = 0.0013888923738036149
_E32_5 = 0.00019899223425631722
_E32_6 = 2.4820873616421195e-05


# ---------------------------------------------------------------------------
# Fused multiply-add
# ---------------------------------------------------------------------------

#: Fused multiply-adds are single instructions on this CPU (x86-64 since 2013).
#: Numba compiles for the host unless ``NUMBA_CPU_NAME`` says otherwise.
HAS_FMA = config.CPU_NAME is None and bool(llvm.get_host_cpu_features().get("fma"))


def _fma(a, b, c):
    """``a * b + c``, rounded once in compiled code where the CPU has FMA.

    Explicit, so each call is fused or not wherever it is compiled: LLVM's
    own contraction (``fastmath``'s ``contract``) may fuse a vectorized loop
    and its scalar remainder differently, and results would depend on an
    element's position. In plain Python (and without FMA) it rounds twice.
    """
    return a * b + c


# Typed and lowered directly, not through ``overload``, which would compile
# a function for one instruction.
@type_callable(_fma)
def _type_fma(context):
    def typer(a, b, c):
        if all(isinstance(x, (types.Float, types.Integer)) for x in (a, b, c)):
            return types.float64
        return None

    return typer


@lower_builtin(_fma, types.Number, types.Number, types.Number)
def _lower_fma(context, builder, sig, args):
    a, b, c = (
        context.cast(builder, v, t, types.float64)
        for v, t in zip(args, sig.args, strict=True)
    )
    if HAS_FMA:
        return builder.fma(a, b, c)
    return builder.fadd(builder.fmul(a, b), c)


# ---------------------------------------------------------------------------
# Scalar kernels: float64 in, float64 out, branch-free
# ---------------------------------------------------------------------------


@_jit
def _pow2(t):
    """``2**j`` from ``t = j + SHIFT`` (shift trick), for -1022 <= j <= 1023."""
    bits = np.float64(t).view(np.int64)
    # The low 11 bits of SHIFT's pattern are zero, so the field is j + 1023.
    field = (bits + _EXP_BIAS) & _EXP_MASK
    return np.int64(field << 52).view(np.float64)


@_jit
def _exp_poly_f64(r):
    """``P(r) = (exp(r) - 1 - r) / r**2`` for ``|r| <= ln2/2`` (Remez, degree 10).

    Estrin's scheme: pairs of terms are evaluated independently, so the
    dependency chain is about half as long as Horner's. ``P`` only enters
    the results multiplied by ``r**2 <= 0.121``, so its rounding errors are
    harmless.
    """
    r2 = r * r
    r4 = r2 * r2
    p01 = _fma(_E64_1, r, _E64_0)
    p23 = _fma(_E64_3, r, _E64_2)
    p45 = _fma(_E64_5, r, _E64_4)
    p67 = _fma(_E64_7, r, _E64_6)
    p89 = _fma(_E64_9, r, _E64_8)
    p4_9 = _fma(_fma(_E64_10, r2, p89), r4, _fma(p67, r2, p45))
    return _fma(p4_9, r4, _fma(p23, r2, p01))


@_jit
def _expm1_poly_f32(r):
    """``exp(r) - 1`` for ``|r| <= ln2/2`` to 5e-11 (Remez degree 6, Estrin)."""
    r2 = r * r
    p01 = _fma(_E32_1, r, _E32_0)
    p23 = _fma(_E32_3, r, _E32_2)
    p45 = _fma(_E32_5, r, _E32_4)
    p = _fma(_fma(_E32_6, r2, p45), r2 * r2, _fma(p23, r2, p01))
    return _fma(r2, p, r)


@_jit
def _exp_f64(x):
    """exp(x) in float64 (within 1 ulp), saturating, NaN-propagating.

    Cody & Waite range reduction ``x = k ln2 + r``, ``|r| <= ln2/2``, then
    ``exp(r) = 1 + r + r**2 P(r)``; ``2**k`` is built from the bits of the
    shift trick, since AVX2 has no packed double-to-int64 conversion.
    """
    # Clamp so that the exponent arithmetic never sees inf or NaN (NaN fails
    # the first comparison and becomes the lower bound).
    xc = x if x > _X_LO_F64 else _X_LO_F64
    xc = xc if xc < _X_MAX_F64 else _X_MAX_F64
    neg = xc < 0.0
    shift = _SHIFT_NEG if neg else _SHIFT_POS
    # Cody-Waite reduction; k * _LN2_HI is exact and so is xc - k * _LN2_HI.
    t = _fma(xc, _LOG2E, shift)
    k = t - shift
    r = _fma(-k, _LN2_LO, _fma(-k, _LN2_HI, xc))
    # exp(r) = 1 + (r + r**2 P(r)). With the roundings of r and of the two
    # sums the error stays below 1 ulp, and 90% of results are correctly
    # rounded. (Recovering the rounding errors of r and 1 + r with Fast2Sum
    # brings that to 98% but slows the loop; the bound of 1 ulp from NumPy
    # holds either way.)
    em1 = _fma(r * r, _exp_poly_f64(r), r)
    # (1 + em1) * 2**(k -+ 64) * 2**(+-64): the products by powers of two are
    # exact except for subnormal results, which are rounded only there.
    y = ((1.0 + em1) * _pow2(t)) * (_TWO_M64 if neg else _TWO_P64)
    y = y if x <= _X_MAX_F64 else math.inf
    return y if x == x else x


@_jit
def _exp_f32(x):
    """exp(x) to 5e-11 relative, for rounding to float32; saturating.

    Rounded once, so float32 results are correctly rounded except in rare
    near-halfway cases: NumPy's own SIMD float32 ``exp`` is up to 2.5 ulp
    off, so even a 1 ulp float32 algorithm could not stay within 2 ulp of it.
    """
    xc = x if x > _X_LO_F32 else _X_LO_F32
    xc = xc if xc < _X_HI_F32 else _X_HI_F32
    t = _fma(xc, _LOG2E, _SHIFT)
    k = t - _SHIFT
    r = _fma(-k, _LN2_LO, _fma(-k, _LN2_HI, xc))
    y = (1.0 + _expm1_poly_f32(r)) * _pow2(t)  # -150 <= k <= 129: normal
    y = y if y < _F32_OVERFLOW else math.inf
    return y if x == x else x


@_jit
def _tanh_f64(x):
    """tanh(x) in float64 (within 3 ulp), odd, saturating at +-1.

    One formula for every input: ``tanh(a) = m / (m + 2)`` with
    ``m = expm1(2a) = 2**k expm1(r) + (2**k - 1)``, which keeps full relative
    accuracy as ``a -> 0`` (``k = 0`` there). One exponential's polynomial
    and one division, where a polynomial for small inputs beside a corrected
    ``1 - 2 / (exp(2a) + 1)`` for large ones (selected afterwards, so both
    are computed) costs twice as much for about one ulp.
    """
    a = abs(x)
    a = a if a < _TANH_CLAMP else _TANH_CLAMP  # also maps NaN to 20
    y = a + a  # <= 40, so k <= 58
    t = _fma(y, _LOG2E, _SHIFT)
    k = t - _SHIFT
    r = _fma(-k, _LN2_LO, _fma(-k, _LN2_HI, y))
    s = _pow2(t)
    m = _fma(_fma(r * r, _exp_poly_f64(r), r), s, s - 1.0)
    th = math.copysign(m / (m + 2.0), x)
    return th if x == x else x


@_jit
def _tanh_f32(x):
    """tanh(x) to about 1e-10 relative, for rounding to float32."""
    a = abs(x)
    a = a if a < _TANH_CLAMP else _TANH_CLAMP
    # tanh(a) = m / (m + 2) with m = expm1(2a) = 2**k expm1(r) + (2**k - 1),
    # which keeps full relative accuracy as a -> 0 (k = 0 there).
    y = a + a
    t = _fma(y, _LOG2E, _SHIFT)
    k = t - _SHIFT
    r = _fma(-k, _LN2_LO, _fma(-k, _LN2_HI, y))
    s = _pow2(t)
    m = _fma(_expm1_poly_f32(r), s, s - 1.0)
    th = math.copysign(m / (m + 2.0), x)
    return th if x == x else x


@_jit
def _sigmoid_f64(z):
    """Logistic function: the reference formula with one division."""
    e = _exp_f64(-abs(z))
    # NaN: z >= 0 is False and e is NaN, so the result is NaN.
    return (1.0 if z >= 0.0 else e) / (1.0 + e)


@_jit
def _sigmoid_f32(z):
    """Logistic function for float32 results, tracking the float32 reference.

    The reference inherits the error of NumPy's float32 ``exp``: for
    ``|z| >= 1`` it is tracked with ``e`` and ``1 + e`` rounded as the
    reference rounds them, while below 1 the correctly rounded logistic is
    closer (both choices measured over every float32 input).
    """
    a = abs(z)
    e = _exp_f32(-a)
    # What the float32 reference computes: e and 1 + e rounded to float32.
    # A quotient of two float32 numbers computed in double and then rounded
    # to float32 equals the float32 quotient (53 >= 2 * 24 + 2).
    e32 = np.float64(np.float32(e))
    d32 = np.float64(np.float32(1.0 + e32))
    near0 = a < 1.0
    num = 1.0 if z >= 0.0 else (e if near0 else e32)
    return num / ((1.0 + e) if near0 else d32)


_SQRT2 = 1.4142135623730951
_MANTISSA = (1 << 52) - 1
_ONE_BITS = 0x3FF0000000000000  # 1.0
# fdlibm's e_log.c: R(z) ~ (log((1 + s) / (1 - s)) - 2 s) / s, z = s**2,
# |s| <= 0.1716, error below 2**-58.45.
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01


@_jit
def positive_log(x):
    """Natural logarithm of a positive, normal, finite float64, within 1 ulp.

    For kernels whose inputs are clipped into that range (the costs); other
    inputs give meaningless results, never an error. fdlibm's method without
    its branches: ``x = 2**k (1 + f)`` with ``1 + f`` in ``[sqrt(2)/2,
    sqrt(2))``, ``s = f / (2 + f)``, and ``log(1 + f) = f - (f**2/2 - s
    (f**2/2 + R(s**2)))``.
    """
    bits = np.float64(x).view(np.int64)
    k = ((bits >> 52) & _EXP_MASK) - _EXP_BIAS
    m = np.int64((bits & _MANTISSA) | _ONE_BITS).view(np.float64)  # [1, 2)
    big = m > _SQRT2
    m = m * 0.5 if big else m
    dk = np.float64(k + 1 if big else k)
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * _fma(w, _fma(w, _LG6, _LG4), _LG2)
    t2 = z * _fma(w, _fma(w, _fma(w, _LG7, _LG5), _LG3), _LG1)
    hfsq = 0.5 * f * f
    tail = _fma(s, hfsq + (t1 + t2), dk * _LN2_LO)
    return _fma(dk, _LN2_HI, -((hfsq - tail) - f))


# ---------------------------------------------------------------------------
# Array functions: one skeleton for every element function
# ---------------------------------------------------------------------------


def _loops(f):
    """The two loops that apply the element function ``f``: in place, and not."""

    def in_place(name, x, start, stop, out=None):
        # Unsigned indices: with signed ones Numba wraps negative indices
        # around, a select in the address that stops LLVM vectorizing.
        for i in range(np.uint64(start), np.uint64(stop)):
            x[i] = f(np.float64(x[i]))

    def into(name, x, start, stop, out=None):
        for i in range(np.uint64(start), np.uint64(stop)):
            out[i] = f(np.float64(x[i]))

    return in_place, into


#: The loops of each element function, by name and dtype.
_LOOPS = {
    ("exp", "float32"): _loops(_exp_f32),
    ("exp", "float64"): _loops(_exp_f64),
    ("tanh", "float32"): _loops(_tanh_f32),
    ("tanh", "float64"): _loops(_tanh_f64),
    ("sigmoid", "float32"): _loops(_sigmoid_f32),
    ("sigmoid", "float64"): _loops(_sigmoid_f64),
}


def elementwise(name, x, start, stop, out=None):
    """``out[i] = f(x[i])`` for ``start <= i < stop``, in place without ``out``.

    ``f`` is ``name`` (``"exp"``, ``"tanh"`` or ``"sigmoid"``); ``x`` and
    ``out`` are 1-D float32 or float64 arrays of one dtype. In compiled code
    ``name`` is a constant, and Numba picks the loop of the name, the dtype
    and ``out``'s presence while typing the caller, so a kernel compiles only
    the loops it runs. In place, the loop reads and writes through one
    pointer and needs no run-time overlap check (which identical arrays fail,
    sending a loop to its scalar fallback).
    """
    in_place, into = _LOOPS[name, str(x.dtype)]
    (in_place if out is None else into)(name, x, start, stop, out)


@overload(elementwise)
def _elementwise_compiled(name, x, start, stop, out=None):
    loops = _LOOPS.get((getattr(name, "literal_value", None), str(x.dtype)))
    if loops is None:
        return None
    in_place = out is None or isinstance(out, (types.NoneType, types.Omitted))
    return loops[0] if in_place else loops[1]


@_jit
def _in_place(x, out):
    """Validate ``x`` and ``out``; return True when they are the same buffer."""
    if x.shape[0] != out.shape[0]:
        raise ValueError("x and out must have the same length")
    if x.itemsize != out.itemsize:
        raise ValueError("x and out must have the same dtype")
    return x.ctypes.data == out.ctypes.data


_DOC = """{summary}

Twin: {twin}.

Parameters
----------
x : ndarray of float64 or float32, 1-D, contiguous
    Input values; may be read-only.
out : ndarray
    Output, same length and dtype as `x`; may be `x` itself, but must not
    partially overlap it.
start, stop : int, optional
    Only ``out[start:stop]`` is computed (default: all of it), so that a
    kernel can work on a block of a larger buffer without making a view.

Notes
-----
{notes}
"""


def _front_door(name, summary, twin, notes):
    """The public function ``v<name>(x, out, start=0, stop=-1)``, compiled."""

    def front_door(x, out, start=0, stop=-1):
        n = x.shape[0] if stop < 0 else stop
        if _in_place(x, out):
            elementwise(name, out, start, n)
        else:
            elementwise(name, x, start, n, out)

    front_door.__name__ = front_door.__qualname__ = f"v{name}"
    front_door.__doc__ = _DOC.format(summary=summary, twin=twin, notes=notes)
    return _jit(front_door)


vexp = _front_door(
    "exp",
    "Element-wise exponential, ``out[i] = exp(x[i])``.",
    "``numpy.exp``",
    """Within 1 ulp of ``numpy.exp`` in float64 and 2 ulp in float32 (float32
results are within 1 ulp of correctly rounded, NumPy's SIMD ones are up
to 2.5 ulp off, which gives 3 ulp at 3 of the 2**32 inputs). Gives
exactly ``+inf`` above the overflow threshold and ``+inf`` for ``+inf``,
0 below the underflow threshold and for ``-inf``, gradual underflow in
between, and NaN for NaN.""",
)
vtanh = _front_door(
    "tanh",
    "Element-wise hyperbolic tangent, ``out[i] = tanh(x[i])``.",
    "``numpy.tanh``",
    """Within 3 ulp of ``numpy.tanh`` in float64 (and of the exact value;
within 1 ulp of NumPy's for 99.6% of inputs) and 1 ulp in float32. Odd,
so ``tanh(-0) = -0``; tiny and subnormal inputs are returned unchanged;
exactly ``+-1`` wherever the true value rounds to it (including ``+-inf``);
NaN for NaN.""",
)
vsigmoid = _front_door(
    "sigmoid",
    "Element-wise numerically stable logistic function.",
    """the NumPy reference ``e = np.exp(-np.abs(z));
np.where(z >= 0, 1 / (1 + e), e / (1 + e))`` in the dtype of `x`""",
    """Within 2 ulp of the reference in both dtypes, except at 14 float32
inputs where NumPy's float32 ``exp`` is far enough off to give 3 or 4
ulp. Exactly 1 for large positive ``z``, exactly 0 for large negative
``z`` (with subnormal results just before that, as in the reference), 0.5
at +-0, NaN for NaN.""",
)
