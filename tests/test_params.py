"""Parameter trees: immutability, pickling, value equality, initialization."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fnnet as fn
from fnnet import testing as ft


@given(ft.sizes(max_layers=4), st.integers(0, 2**32 - 1))
def test_initialize_shapes_and_keys(sizes, seed):
    params = fn.initialize(sizes, seed=seed)
    L = len(sizes) - 1
    assert tuple(params) == fn.layer_keys(L)
    for l in range(1, L + 1):
        assert params[f"W{l}"].shape == (sizes[l], sizes[l - 1])
        assert params[f"b{l}"].shape == (sizes[l], 1)
        assert not params[f"b{l}"].any()
    assert fn.sizes_of(params) == tuple(sizes)


@given(ft.sizes(), st.integers(0, 1000))
def test_same_seed_same_params_and_generator_accepted(sizes, seed):
    a = fn.initialize(sizes, seed=seed)
    assert a == fn.initialize(sizes, seed=seed)
    assert a == fn.initialize(sizes, seed=np.random.default_rng(seed))


def test_initialize_reads_no_global_random_state():
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (reading it is the point)
    fn.initialize((3, 5, 2), seed=1)
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_initialize_dtype(dtype):
    params = fn.initialize((2, 3, 1), dtype=dtype)
    assert all(v.dtype == dtype for v in params.values())


@pytest.mark.parametrize(
    ("scheme", "std"),
    [
        ("xavier", np.sqrt(2 / (400 + 300))),
        ("he", np.sqrt(2 / 400)),
        ("relu", np.sqrt(2 / 400)),
        ("tutorial", 0.01),
    ],
)
def test_initialize_scale(scheme, std):
    W = fn.initialize((400, 300), seed=0, scheme=scheme)["W1"]
    assert abs(W.std() / std - 1) < 0.02


def test_trees_are_immutable():
    params = fn.initialize((2, 3, 1))
    with pytest.raises(TypeError):
        params["W1"] = np.zeros((3, 2))
    with pytest.raises(ValueError, match="read-only"):
        params["W1"][0, 0] = 1.0
    with pytest.raises(AttributeError):
        params.foo = 1


def test_trees_pickle_deepcopy_and_compare_by_value():
    params = fn.initialize((2, 3, 1), seed=3)
    for clone in (pickle.loads(pickle.dumps(params)), copy.deepcopy(params)):
        assert isinstance(clone, fn.Tree)
        assert clone == params
        assert not clone["W1"].flags.writeable
    other = dict(params)
    other["b2"] = params["b2"] + 1
    assert params != fn.freeze(other)
    assert params != fn.freeze({k: v.astype(np.float32) for k, v in params.items()})


def test_tree_map_and_or():
    params = fn.initialize((2, 3, 1), seed=3)
    doubled = fn.tree_map(lambda a, b: a + b, params, params)
    assert doubled == fn.tree_map(lambda a: 2 * a, params)
    assert isinstance(params | {"W1": params["W1"]}, fn.Tree)
    with pytest.raises(ValueError, match="same keys"):
        fn.tree_map(lambda a, b: a, params, {"W1": params["W1"]})


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sizes": (2,)}, ValueError, "sizes must be"),
        ({"sizes": (2, 0, 1)}, ValueError, "sizes must be"),
        ({"sizes": (2, 1.5)}, ValueError, "sizes must be"),
        ({"sizes": (2, 1), "seed": -1}, ValueError, "seed must be a non-negative"),
        ({"sizes": (2, 1), "seed": 1.5}, TypeError, "seed must be"),
        (
            {"sizes": (2, 1), "dtype": np.int64},
            TypeError,
            "dtype must be float64 or float32",
        ),
        ({"sizes": (2, 1), "scheme": "glorot"}, ValueError, "scheme must be one of"),
    ],
)
def test_initialize_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        fn.initialize(**kwargs)
