"""The boundary checks of the library: one vocabulary, called everywhere.

Every public function checks its arguments with these, once, where they
enter. A check raises ``TypeError`` for a value of the wrong kind and
``ValueError`` for one of the right kind that is out of range (except
:func:`check_positive_int` and :func:`check_positive_float`, which report
any bad value as a ``ValueError``), with a message that names the argument,
what was expected and what was found, so that no NumPy broadcast error or
Numba typing error ever reaches a user.
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
_STATS = ("mean", "scale")  # the fields of fnnet.data.Standardizer
_DTYPE_KINDS = {"f": "a floating dtype", "fiu": "a floating or integer dtype"}


# ---------------------------------------------------------------- scalars


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


def check_dtype(dtype: Any, kinds: str | None = None) -> np.dtype:
    """Return ``dtype`` as a NumPy dtype of an accepted kind.

    By default it must be float64 or float32, the dtypes parameters (and the
    compiled kernels) hold. ``kinds="f"`` accepts any floating dtype and
    ``kinds="fiu"`` integers as well, for data that are only stored.
    """
    try:
        found = np.dtype(dtype)
    except TypeError:
        found = None
    shown = repr(dtype) if found is None else found
    if kinds is None:
        if found not in FLOAT_DTYPES:
            raise TypeError(f"dtype must be float64 or float32, found {shown}")
        return found
    if found is None or found.kind not in kinds:
        raise TypeError(
            f"dtype must be {_DTYPE_KINDS[kinds]} such as np.float64, found {shown}"
        )
    return found


def check_sizes(sizes: Any) -> tuple[int, ...]:
    """Layer sizes: a sequence of at least two positive ints."""
    try:
        out = tuple(sizes)
    except TypeError:
        out = ()
    ok = len(out) >= 2 and all(_is_int(n) and n > 0 for n in out)
    if not ok:
        raise ValueError(
            f"sizes must be a sequence of at least two positive ints (n_x, ..., n_L), "
            f"found {sizes!r}"
        )
    return tuple(int(n) for n in out)


def check_positive_float(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """A real, finite number > 0 (or >= 0 with ``allow_zero``); else ``ValueError``."""
    if (
        _is_real(value)
        and np.isfinite(value)
        and (value > 0 or (allow_zero and value == 0))
    ):
        return float(value)
    bound = ">= 0" if allow_zero else "> 0"
    raise ValueError(f"{name} must be a finite number {bound}, found {value!r}")


def check_fraction(name: str, value: Any, *, allow_zero: bool = True) -> float:
    """A real number in [0, 1), or strictly between 0 and 1 without ``allow_zero``."""
    interval = "[0, 1)" if allow_zero else "(0, 1)"
    if not _is_real(value):
        raise TypeError(
            f"{name} must be a number in {interval}, found {type(value).__name__}"
        )
    bound = f"a number in {interval}" if allow_zero else "strictly between 0 and 1"
    if 0 < value < 1 or (allow_zero and value == 0):
        return float(value)
    raise ValueError(f"{name} must be {bound}, found {value!r}")


def check_int(name: str, value: Any, *, minimum: int = 0) -> int:
    """An int (bools are rejected) of at least ``minimum``."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an int, found {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, found {value}")
    return int(value)


def check_positive_int(name: str, value: Any) -> int:
    """An int > 0, for counts such as epochs and batch sizes.

    Anything else, a float or a bool included, is a ``ValueError``, so every
    bad count is reported the same way (:func:`check_int` tells the two apart).
    """
    if _is_int(value) and value > 0:
        return int(value)
    raise ValueError(f"{name} must be a positive int, found {value!r}")


def check_choice(name: str, value: Any, choices: Collection[str]) -> str:
    """One of a fixed set of names."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, found {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; found {value!r}")
    return value


def check_name(name: str, value: Any, what: str = "column") -> str:
    """A name (of a column, by default): a non-empty str."""
    if not isinstance(value, str) or not value:
        found = repr(value) if isinstance(value, str) else type(value).__name__
        kind = ValueError if isinstance(value, str) else TypeError
        raise kind(f"{name} must be a {what} name (a non-empty str), found {found}")
    return value


def check_names(name: str, values: Any, what: str = "column") -> tuple[str, ...]:
    """A non-empty sequence (not a str) of distinct names (of columns, by default)."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        hint = f" {values!r} (wrap it in a list)" if isinstance(values, str) else ""
        raise TypeError(
            f"{name} must be a sequence of str such as a list, "
            f"found {type(values).__name__}{hint}"
        )
    names = tuple(
        check_name(f"{name}[{i}]", value, what) for i, value in enumerate(values)
    )
    if not names:
        raise ValueError(
            f"{name} must name at least one {what}, found an empty sequence"
        )
    repeated = sorted({value for value in names if names.count(value) > 1})
    if repeated:
        raise ValueError(
            f"{name} must not repeat a name, found {repeated} more than once"
        )
    return names


def sequence_of(name: str, value: Any, kind: type) -> Sequence[Any]:
    """A list or tuple whose items are all of ``kind``."""
    if isinstance(value, (list, tuple)) and all(isinstance(v, kind) for v in value):
        return value
    raise TypeError(f"{name} must be a list of {kind.__name__}, found {value!r}")


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


# ---------------------------------------------------------------- arrays


def check_matrix(
    name: str,
    X: Any,
    dtype: np.dtype | None = None,
    rows: int | None = None,
    hint: str = "",
    *,
    finite: bool = True,
    allow_empty: bool = False,
) -> NDArray[Any]:
    """A finite, non-empty 2-D real array, cast to ``dtype``.

    ``dtype=None`` keeps the array's own dtype (integers and bools included).
    ``rows`` (if given) is the required number of rows; ``hint`` explains
    where that number comes from. ``finite=False`` skips the pass for NaN and
    inf, for arrays already checked where they entered; ``allow_empty``
    accepts 0 rows or 0 examples.
    """
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} must be a 2-D numeric array, found {type(X).__name__} ({err})"
        ) from None
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real, found dtype {arr.dtype}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, found dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D {_shape_word(name)}, found shape {arr.shape}"
        )
    if not allow_empty and 0 in arr.shape:
        raise ValueError(
            f"{name} must have at least one row and one example, "
            f"found shape {arr.shape}"
        )
    if rows is not None and arr.shape[0] != rows:
        raise ValueError(
            f"{name} has {arr.shape[0]} rows but {hint} "
            f"({name} must be {_shape_word(name)})"
        )
    out = arr if dtype is None else arr.astype(dtype, copy=False)
    if finite and out.dtype.kind == "f":
        check_finite(name, out)
    return out


def check_finite(name: str, X: NDArray[Any]) -> None:
    """No NaN or inf in the array ``X``; the message locates the first one.

    A finite sum proves every entry finite (NaN and inf carry through a
    sum), in one pass that writes nothing; only when the sum is not finite
    (or finite entries overflow it) does the element-wise test run.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if X.dtype.kind == "f" and np.isfinite(X.sum()):
            return
    if not np.isfinite(X).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(X))[0])
        raise ValueError(f"{name} must be finite, found {X[where]} at {list(where)}")


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


def check_codes(
    name: str, labels: Any, n_classes: int | None = None
) -> NDArray[np.integer]:
    """Class codes: a 1-D int array of values in ``0 .. n_classes - 1``.

    With ``n_classes=None`` there is no upper bound. An empty list is an
    empty array of codes.
    """
    codes = np.asarray(labels)
    if codes.size == 0 and codes.ndim == 1:
        codes = codes.astype(np.intp)
    if codes.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integers, found dtype {codes.dtype}")
    if codes.ndim != 1:
        raise ValueError(f"{name} must be 1-D of shape (m,), found shape {codes.shape}")
    if codes.size and codes.min() < 0:
        i = int(np.argmin(codes))
        raise ValueError(f"{name} must be >= 0, found {codes[i]} at index {i}")
    if codes.size and n_classes is not None and codes.max() >= n_classes:
        i = int(np.argmax(codes))
        raise ValueError(
            f"{name} must be < n_classes={n_classes}, found {codes[i]} at index {i}"
        )
    return codes


def check_standardizer(name: str, stats: Any, n_x: int, hint: str) -> None:
    """Per-feature statistics for ``n_x`` features, as a Standardizer holds them.

    ``stats`` must be a :class:`fnnet.data.Standardizer` (a NamedTuple with
    the fields ``mean`` and ``scale``) whose arrays are finite, of shape
    ``(n_x, 1)``, with every scale > 0. ``hint`` says where ``n_x`` comes
    from, e.g. ``"X has 3 rows"``.
    """
    if not (isinstance(stats, tuple) and getattr(stats, "_fields", ()) == _STATS):
        raise TypeError(f"{name} must be a Standardizer, found {type(stats).__name__}")
    expected = f"finite floats of shape ({n_x}, 1)"
    for field, value in zip(stats._fields, stats, strict=True):
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError):
            arr = np.array(None)
        if arr.dtype.kind not in "biuf":
            raise TypeError(
                f"{name}.{field} must be {expected}, found dtype {arr.dtype}"
            )
        if arr.shape != (n_x, 1):
            raise ValueError(
                f"{hint} but {name}.{field} has shape {arr.shape} (expected shape "
                f"({n_x}, 1): {name} must come from the same features)"
            )
        if not np.isfinite(arr).all():
            i = int(np.argwhere(~np.isfinite(arr))[0, 0])
            raise ValueError(
                f"{name}.{field} must be {expected}, found {arr[i, 0]} at [{i}, 0]"
            )
    if np.any(np.asarray(stats.scale) <= 0):
        raise ValueError(f"{name}.scale must be positive, found {np.min(stats.scale)}")


# ---------------------------------------------------------------- parameters


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
            check_finite(f"{name}[{key!r}]", arr)
    if hasattr(params, "_checked"):  # a Tree: immutable, so remember the verdict
        object.__setattr__(params, "_checked", (L, dtype))
    return L, dtype
