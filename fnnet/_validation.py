"""Boundary checks shared by the public functions.

Every check raises ``ValueError`` or ``TypeError`` with a message that names
the argument, what was expected and what was found, so that no NumPy broadcast
error or Numba typing error ever reaches a user.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
_KEY = re.compile(r"^([Wb])([1-9][0-9]*)$")


def as_seed(seed: Any) -> np.random.Generator:
    """Turn a non-negative int or a ``numpy.random.Generator`` into a Generator.

    A Generator is used as it is (and advanced), so a caller can thread one
    stream through several calls.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            "seed must be an int or a numpy.random.Generator, "
            f"found {type(seed).__name__}"
        )
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, found {seed}")
    return np.random.default_rng(int(seed))


def check_dtype(dtype: Any) -> np.dtype:
    """Return ``dtype`` as a NumPy dtype, which must be float64 or float32."""
    try:
        found = np.dtype(dtype)
    except TypeError:
        found = None
    if found not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be float64 or float32, found {dtype!r}")
    return found


def check_sizes(sizes: Any) -> tuple[int, ...]:
    """Layer sizes: a sequence of at least two positive ints."""
    try:
        out = tuple(sizes)
    except TypeError:
        out = ()
    ok = len(out) >= 2 and all(
        isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0
        for n in out
    )
    if not ok:
        raise ValueError(
            f"sizes must be a sequence of at least two positive ints (n_x, ..., n_L), "
            f"found {sizes!r}"
        )
    return tuple(int(n) for n in out)


def check_positive_float(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """A real, finite number > 0 (or >= 0 with ``allow_zero``)."""
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if real and np.isfinite(value) and (value > 0 or (allow_zero and value == 0)):
        return float(value)
    bound = ">= 0" if allow_zero else "> 0"
    raise ValueError(f"{name} must be a finite number {bound}, found {value!r}")


def check_fraction(name: str, value: Any, *, allow_zero: bool = True) -> float:
    """A real number in [0, 1) (or (0, 1) without ``allow_zero``)."""
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if real and (0 < value < 1 or (allow_zero and value == 0)):
        return float(value)
    bound = "[0, 1)" if allow_zero else "(0, 1)"
    raise ValueError(f"{name} must be a number in {bound}, found {value!r}")


def check_positive_int(name: str, value: Any) -> int:
    """An int > 0 (bools are rejected)."""
    if (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and value > 0
    ):
        return int(value)
    raise ValueError(f"{name} must be a positive int, found {value!r}")


def check_choice(name: str, value: Any, choices: Collection[str]) -> str:
    """One of a fixed set of names."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, found {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; found {value!r}")
    return value


def check_params(params: Any, name: str = "params") -> tuple[int, np.dtype]:
    """Validate a parameter tree; return its depth ``L`` and dtype.

    Keys must be exactly ``W1, b1, ..., WL, bL``; ``W{l}`` 2-D of shape
    ``(n_l, n_{l-1})``, ``b{l}`` of shape ``(n_l, 1)``, all of one float dtype,
    all finite.
    """
    checked = getattr(params, "_checked", None)
    if checked is not None:
        return checked
    if not isinstance(params, Mapping):
        raise TypeError(
            f"{name} must be a mapping of W1, b1, ..., found {type(params).__name__}"
        )
    layers = sorted({int(m.group(2)) for k in params if (m := _KEY.match(str(k)))})
    L = len(layers)
    expected = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    if L == 0 or set(params) != expected:
        missing = sorted(expected - set(params)) or ["W1", "b1"] * (L == 0)
        extra = sorted(set(map(str, params)) - expected)
        raise ValueError(
            f"{name} must have keys W1, b1, ..., WL, bL; "
            f"missing {missing or 'none'}, unexpected {extra or 'none'}"
        )
    dtype = None
    for l in range(1, L + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        for key, arr in ((f"W{l}", W), (f"b{l}", b)):
            if not isinstance(arr, np.ndarray) or arr.dtype not in FLOAT_DTYPES:
                found = getattr(arr, "dtype", type(arr).__name__)
                raise TypeError(
                    f"{name}[{key!r}] must be a float64 or float32 array, found {found}"
                )
            dtype = dtype or arr.dtype
            if arr.dtype != dtype:
                raise TypeError(
                    f"{name} must share one dtype; {key} is {arr.dtype}, W1 is {dtype}"
                )
        if W.ndim != 2 or (l > 1 and W.shape[1] != params[f"W{l - 1}"].shape[0]):
            want = (
                f"(n_{l}, {params[f'W{l - 1}'].shape[0]})" if l > 1 else f"(n_{l}, n_x)"
            )
            raise ValueError(f"{name}['W{l}'] must have shape {want}, found {W.shape}")
        if b.shape != (W.shape[0], 1):
            raise ValueError(
                f"{name}['b{l}'] must have shape {(W.shape[0], 1)}, found {b.shape}"
            )
        for key, arr in ((f"W{l}", W), (f"b{l}", b)):
            if not np.isfinite(arr).all():
                raise ValueError(f"{name}[{key!r}] must be finite, found NaN or inf")
    if hasattr(params, "_checked"):  # a Tree: immutable, so remember the verdict
        object.__setattr__(params, "_checked", (L, dtype))
    return L, dtype


def check_matrix(
    name: str,
    X: Any,
    dtype: np.dtype,
    rows: int | None = None,
    hint: str = "",
    *,
    finite: bool = True,
) -> NDArray[np.floating]:
    """A finite, non-empty 2-D numeric array, cast to ``dtype``.

    ``rows`` (if given) is the required number of rows; ``hint`` explains
    where that number comes from. ``finite=False`` skips the pass for NaN and
    inf, for arrays already checked where they entered.
    """
    arr = np.asarray(X)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == bool
    ):
        raise TypeError(f"{name} must be a numeric array, found dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, found dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D {_shape_word(name)}, found shape {arr.shape}"
        )
    if arr.shape[1] == 0 or arr.shape[0] == 0:
        raise ValueError(
            f"{name} must have at least one row and one example, "
            f"found shape {arr.shape}"
        )
    if rows is not None and arr.shape[0] != rows:
        raise ValueError(
            f"{name} has {arr.shape[0]} rows but {hint} "
            f"({name} must be {_shape_word(name)})"
        )
    out = arr.astype(dtype, copy=False)
    if finite and not np.isfinite(out).all():
        raise ValueError(f"{name} must be finite, found NaN or inf")
    return out


def _shape_word(name: str) -> str:
    return "(n_y, m)" if name.startswith(("Y", "A")) else "(n_x, m)"


def check_same_m(
    X: NDArray[Any], Y: NDArray[Any], x_name: str = "X", y_name: str = "Y"
) -> None:
    """X and Y must hold the same number of examples (columns)."""
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"{x_name} has {X.shape[1]} examples but {y_name} has {Y.shape[1]} "
            f"(examples are columns)"
        )


def sequence_of(name: str, value: Any, kind: type) -> Sequence[Any]:
    """A list or tuple whose items are all of ``kind``."""
    if isinstance(value, (list, tuple)) and all(isinstance(v, kind) for v in value):
        return value
    raise TypeError(f"{name} must be a list of {kind.__name__}, found {value!r}")
