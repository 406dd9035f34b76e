"""What the numbers were measured on: CPU, library versions, threads, BLAS, peak.

Nothing here changes the environment: thread counts and the OpenBLAS
variables are read and reported, never set.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .trial import n_cores

__all__ = ["ENV_VARS", "describe", "matmul_peak"]

#: Environment variables that change how fast the numbers come out.
ENV_VARS = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "OMP_WAIT_POLICY",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "NUMBA_DISABLE_JIT",
    "FNNET_NUMBA_CACHE",
    "XLA_FLAGS",
)
_DISTRIBUTIONS = (
    "fnnet",
    "numpy",
    "numba",
    "llvmlite",
    "torch",
    "jax",
    "jaxlib",
    "scikit-learn",
    "threadpoolctl",
    "matplotlib",
)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions() -> dict[str, str | None]:
    """Installed versions of the libraries that matter (None: not installed)."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for dist in _DISTRIBUTIONS:
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    if found["fnnet"] is None:
        found["fnnet"] = _fnnet_source_version()
    return found


def _fnnet_source_version() -> str | None:
    try:
        import fnnet

        return f"{getattr(fnnet, '__version__', '?')} (source tree)"
    except ImportError:
        return None


def git_revision() -> str | None:
    """The repository's commit, ``+dirty`` when the library differs from it.

    Only ``fnnet/`` counts (changed, staged or untracked files): that is the
    code being measured.
    """
    root = Path(__file__).resolve().parents[1]
    try:
        head = _git(root, "rev-parse", "--short", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--", "fnnet")
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout.strip()


def threads() -> dict[str, Any]:
    """Thread pools as the libraries report them, and the variables that set them.

    Uses threadpoolctl when installed (one entry per loaded BLAS / OpenMP
    library, with the OpenBLAS kernel it chose), else only the environment.
    """
    info: dict[str, Any] = {"cores": n_cores(), "cpu_count": os.cpu_count()}
    try:
        import numba

        info["numba"] = numba.config.NUMBA_NUM_THREADS
    except ImportError:
        info["numba"] = None
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        info["threadpools"] = "threadpoolctl not installed: see environment"
        return info
    keep = ("internal_api", "prefix", "version", "num_threads", "architecture")
    info["threadpools"] = [
        {**{k: p.get(k) for k in keep}, "owner": _owner(p.get("filepath", ""))}
        for p in threadpool_info()
    ]
    return info


def _owner(filepath: str) -> str | None:
    """The installed package that ships a shared library (``numpy.libs`` -> numpy).

    Examples
    --------
    >>> _owner("/v/lib/python3.11/site-packages/torch/lib/libgomp.so.1")
    'torch'
    >>> _owner("/usr/lib/libopenblas.so") is None
    True
    """
    parts = Path(filepath).parts
    if "site-packages" not in parts or parts[-1] == "site-packages":
        return None
    top = parts[parts.index("site-packages") + 1]
    return top.removesuffix(".libs")


def numpy_blas() -> dict[str, Any]:
    """The BLAS NumPy was built against (from ``numpy.show_config``)."""
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
    except (TypeError, KeyError):  # old NumPy
        return {"name": "unknown"}
    return {k: blas.get(k) for k in ("name", "version", "openblas configuration")}


def environment() -> dict[str, str | None]:
    """Values of :data:`ENV_VARS` (None: unset)."""
    return {name: os.environ.get(name) for name in ENV_VARS}


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (how busy the machine was)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def describe() -> dict[str, Any]:
    """Everything above, as one JSON-ready mapping."""
    return {
        "load_average": load_average(),
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cores": n_cores(),
        "versions": versions(),
        "git": git_revision(),
        "threads": threads(),
        "numpy_blas": numpy_blas(),
        "env": environment(),
    }


def _time_matmul(n: int, dtype: str, calls: int) -> float:
    rng = np.random.default_rng(0)
    A, B = (rng.standard_normal((n, n)).astype(dtype) for _ in range(2))
    C = np.empty((n, n), dtype=dtype)
    np.matmul(A, B, out=C)  # warm-up: thread start-up, page faults
    best = float("inf")
    for _ in range(calls):
        start = time.perf_counter()
        np.matmul(A, B, out=C)
        best = min(best, time.perf_counter() - start)
    return best


def matmul_peak(
    sizes: tuple[int, ...] = (1024, 2048),
    calls: int = 5,
    previous: list[dict] | None = None,
) -> list[dict]:
    """GFLOP/s of NumPy's ``A @ B`` for square matrices (best of ``calls``).

    ``2 n**3`` FLOPs per product; float64 and float32. On a shared machine a
    neighbour can stall one BLAS thread and with it the product, so the best
    call is kept, and ``previous`` rows (an earlier measurement of the same
    run) are merged in keeping the faster one.

    Returns
    -------
    rows : list of dict
        ``{"dtype", "n", "seconds", "gflops"}`` per size and dtype.
    """
    rows = []
    for dtype in ("float64", "float32"):
        for n in sizes:
            seconds = _time_matmul(n, dtype, calls)
            for old in previous or ():
                if (old["dtype"], old["n"]) == (dtype, n):
                    seconds = min(seconds, old["seconds"])
            rows.append(
                {
                    "dtype": dtype,
                    "n": n,
                    "seconds": seconds,
                    "gflops": 2 * n**3 / seconds / 1e9,
                }
            )
    return rows
