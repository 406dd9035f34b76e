"""Hypothesis strategies and assertions for property-testing networks.

Everything here is bounded (layers of at most 8 units, at most 8 examples by
default) so that property tests stay fast. Users reuse these to test their own
variants::

    from hypothesis import given
    from fnnet import testing as ft

    @given(ft.problems())
    def test_my_invariant(problem):
        params, X, Y, hidden, output = problem
        ...

Importing this module needs Hypothesis (the ``test`` extra).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .activations import HIDDEN, OUTPUTS
from .params import Tree, freeze, initialize

__all__ = [
    "Problem",
    "assert_trees_close",
    "assert_trees_equal",
    "batches",
    "params",
    "problems",
    "sizes",
    "snapshot",
]


def _floats(bound: float) -> st.SearchStrategy[float]:
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def sizes(
    draw: st.DrawFn,
    *,
    min_layers: int = 1,
    max_layers: int = 3,
    max_width: int = 8,
    n_x: int | None = None,
    n_y: int | None = None,
) -> tuple[int, ...]:
    """Layer sizes ``(n_x, n_1, ..., n_L)`` with ``min_layers <= L <= max_layers``."""
    L = draw(st.integers(min_layers, max_layers))
    widths = draw(st.lists(st.integers(1, max_width), min_size=L + 1, max_size=L + 1))
    if n_x is not None:
        widths[0] = n_x
    if n_y is not None:
        widths[-1] = n_y
    return tuple(widths)


@st.composite
def params(
    draw: st.DrawFn,
    layer_sizes: tuple[int, ...] | None = None,
    *,
    dtype: Any = np.float64,
) -> Tree:
    """Parameters drawn from :func:`fnnet.initialize` with a random seed and
    scheme, plus random nonzero biases (zeros would hide bias bugs)."""
    layer_sizes = layer_sizes or draw(sizes())
    scheme = draw(st.sampled_from(["xavier", "he"]))
    p = dict(
        initialize(layer_sizes, seed=draw(st.integers(0, 2**32 - 1)), scheme=scheme)
    )
    for k in list(p):
        if k.startswith("b"):
            p[k] = draw(hnp.arrays(np.float64, p[k].shape, elements=_floats(1.0)))
    return freeze({k: v.astype(dtype) for k, v in p.items()})


def _targets(draw: st.DrawFn, output: str, n_y: int, m: int) -> np.ndarray:
    if output == "sigmoid":
        return draw(
            hnp.arrays(np.float64, (n_y, m), elements=st.sampled_from([0.0, 1.0]))
        )
    if output == "softmax":
        labels = draw(hnp.arrays(np.int64, m, elements=st.integers(0, n_y - 1)))
        return np.eye(n_y)[:, labels]
    return draw(hnp.arrays(np.float64, (n_y, m), elements=_floats(3.0)))


@st.composite
def batches(
    draw: st.DrawFn, n_x: int, n_y: int, *, output: str = "sigmoid", max_m: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    """A batch ``(X, Y)``: ``X`` of shape ``(n_x, m)`` with entries in [-3, 3]
    and targets valid for ``output`` (0/1, one-hot columns, or reals)."""
    m = draw(st.integers(1, max_m))
    X = draw(hnp.arrays(np.float64, (n_x, m), elements=_floats(3.0)))
    return X, _targets(draw, output, n_y, m)


class Problem(NamedTuple):
    """A network and a batch of data that fits it."""

    params: Tree
    X: np.ndarray
    Y: np.ndarray
    hidden: str
    output: str


@st.composite
def problems(
    draw: st.DrawFn,
    *,
    hidden: str | None = None,
    output: str | None = None,
    max_layers: int = 3,
    max_m: int = 8,
    dtype: Any = np.float64,
) -> Problem:
    """A random architecture, its parameters, a batch, and activation names."""
    output = output or draw(st.sampled_from(OUTPUTS))
    hidden = hidden or draw(st.sampled_from(HIDDEN))
    min_y = 2 if output == "softmax" else 1
    layer_sizes = draw(sizes(max_layers=max_layers))
    n_y = max(layer_sizes[-1], min_y)
    layer_sizes = (*layer_sizes[:-1], n_y)
    X, Y = draw(batches(layer_sizes[0], n_y, output=output, max_m=max_m))
    p = draw(params(layer_sizes, dtype=dtype))
    return Problem(p, X.astype(dtype), Y.astype(dtype), hidden, output)


def snapshot(*objects: Any) -> list[Any]:
    """Deep copies of arrays and mappings of arrays, to compare after a call."""
    out = []
    for obj in objects:
        if isinstance(obj, Mapping):
            out.append({k: np.array(v, copy=True) for k, v in obj.items()})
        else:
            out.append(np.array(obj, copy=True))
    return out


def assert_trees_equal(a: Mapping[str, Any], b: Mapping[str, Any]) -> None:
    """Same keys, shapes, dtypes, and bit-identical values (NaNs equal)."""
    assert set(a) == set(b), f"keys differ: {sorted(a)} vs {sorted(b)}"
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        assert x.dtype == y.dtype, f"{k}: dtype {x.dtype} vs {y.dtype}"
        assert x.shape == y.shape, f"{k}: shape {x.shape} vs {y.shape}"
        same = x.view(np.uint8) == y.view(np.uint8) if x.size else np.array(True)
        assert same.all(), f"{k}: values differ bitwise"


def assert_trees_close(
    a: Mapping[str, Any], b: Mapping[str, Any], *, atol: float = 0.0, rtol: float = 1e-7
) -> float:
    """Same keys and shapes, values within tolerance; returns the max abs difference."""
    assert set(a) == set(b), f"keys differ: {sorted(a)} vs {sorted(b)}"
    worst = 0.0
    for k in a:
        x, y = np.asarray(a[k], dtype=np.float64), np.asarray(b[k], dtype=np.float64)
        assert x.shape == y.shape, f"{k}: shape {x.shape} vs {y.shape}"
        np.testing.assert_allclose(x, y, atol=atol, rtol=rtol, err_msg=f"key {k}")
        worst = max(worst, float(np.max(np.abs(x - y), initial=0.0)))
    return worst
