"""Time the element-wise math kernels against NumPy and against libm in numba.

Run from the repository root::

    python -m bench.bench_math [--repeats N]

For float64 and float32 at 10**5 and 10**6 elements it prints the median
time per element (ns) of

- NumPy's ``np.exp`` / ``np.tanh`` ufuncs (writing into a preallocated
  output) and the NumPy reference sigmoid;
- an ``@njit`` loop calling ``np.exp`` / ``np.tanh`` per element, which
  without SVML is a scalar libm call that blocks vectorization;
- ``vexp`` / ``vtanh`` / ``vsigmoid`` from ``fnnet.kernels._math``.

Everything is compiled and called once before timing, and the candidates
are called in turn in each round. Inputs are drawn
uniformly from [-5, 5], the range that matters for activations (the kernels
are branch-free, so their speed does not depend on the values).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from numba import njit

from fnnet.kernels._math import vexp, vsigmoid, vtanh


@njit(error_model="numpy")
def _libm_exp(x: np.ndarray, out: np.ndarray) -> None:
    for i in range(x.shape[0]):
        out[i] = np.exp(x[i])


@njit(error_model="numpy")
def _libm_tanh(x: np.ndarray, out: np.ndarray) -> None:
    for i in range(x.shape[0]):
        out[i] = np.tanh(x[i])


def _numpy_sigmoid(x: np.ndarray, out: np.ndarray) -> None:
    e = np.exp(-np.abs(x))
    np.copyto(out, np.where(x >= 0, 1 / (1 + e), e / (1 + e)))


CANDIDATES: dict[str, Callable[[np.ndarray, np.ndarray], object]] = {
    "numpy exp": lambda x, out: np.exp(x, out=out),
    "numpy tanh": lambda x, out: np.tanh(x, out=out),
    "numpy sigmoid": _numpy_sigmoid,
    "numba libm exp": _libm_exp,
    "numba libm tanh": _libm_tanh,
    "vexp": vexp,
    "vtanh": vtanh,
    "vsigmoid": vsigmoid,
}


def time_interleaved(
    candidates: dict[str, Callable[[np.ndarray, np.ndarray], object]],
    x: np.ndarray,
    repeats: int,
) -> dict[str, float]:
    """Median ns per element of each ``fn(x, out)`` over `repeats` rounds.

    Each round calls every candidate once, so that a noisy neighbour on a
    shared machine slows them all alike rather than one of them.
    """
    out = np.empty_like(x)
    times: dict[str, list[int]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            start = time.perf_counter_ns()
            fn(x, out)
            times[name].append(time.perf_counter_ns() - start)
    return {name: float(np.median(t)) / x.shape[0] for name, t in times.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed calls")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    sizes = (10**5, 10**6)
    dtypes = (np.float64, np.float32)

    # Warm up: compile every specialization before any timing.
    for dtype in dtypes:
        x = rng.uniform(-5, 5, 16).astype(dtype)
        for fn in CANDIDATES.values():
            fn(x, np.empty_like(x))

    header = f"{'ns/element':<16}" + "".join(
        f"{d.__name__ + ' ' + f'{n:.0e}':>17}" for d in dtypes for n in sizes
    )
    print(header)
    columns = {}
    for dtype in dtypes:
        for n in sizes:
            x = rng.uniform(-5, 5, n).astype(dtype)
            columns[dtype, n] = time_interleaved(CANDIDATES, x, args.repeats)
    for name in CANDIDATES:
        row = "".join(f"{columns[d, n][name]:>17.2f}" for d in dtypes for n in sizes)
        print(f"{name:<16}{row}")


if __name__ == "__main__":
    main()
