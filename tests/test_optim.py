"""Optimizers: the textbook formulas, purity, and pickling of states."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fnnet as fn
from fnnet import optim
from fnnet import testing as ft


def _reference_steps(name, p, grads, hyper):
    """The formulas of PyTorch/optax, written out on plain arrays."""
    p, m, v = p.copy(), np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        if name == "sgd":
            p = p - hyper["learning_rate"] * g
        elif name == "momentum":
            m = hyper["beta"] * m + g
            p = p - hyper["learning_rate"] * m
        else:
            b1, b2 = hyper["beta1"], hyper["beta2"]
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            p = p - hyper["learning_rate"] * (m / (1 - b1**t)) / (
                np.sqrt(v / (1 - b2**t)) + hyper["eps"]
            )
    return p


@pytest.mark.parametrize(
    "opt", [optim.sgd(0.1), optim.momentum(0.1, 0.8), optim.adam(0.01, 0.8, 0.9, 1e-6)]
)
@given(st.lists(st.floats(-3, 3), min_size=1, max_size=6))
def test_matches_textbook_formulas(opt, gs):
    params = fn.freeze({"W1": np.array([[0.3, -0.2]]), "b1": np.array([[0.1]])})
    state = opt.init(params)
    grads = [fn.tree_map(lambda a, g=g: np.full_like(a, g), params) for g in gs]
    p = params
    for g in grads:
        p, state = opt.update(p, g, state)
    for k in params:
        expected = _reference_steps(
            opt.name, params[k], [g[k] for g in grads], opt.hyperparams
        )
        np.testing.assert_allclose(p[k], expected, rtol=1e-13, atol=1e-15)
    if opt.name == "adam":
        assert state.count == len(gs)


@pytest.mark.parametrize("make", [optim.sgd, optim.momentum, optim.adam])
@given(problem=ft.problems(max_layers=2))
def test_pure_and_states_pickle(make, problem):
    opt = make(0.05)
    params = problem.params
    state = opt.init(params)
    grads = fn.tree_map(np.ones_like, params)
    before = ft.snapshot(params)
    new, new_state = opt.update(params, grads, state)
    ft.assert_trees_equal(before[0], params)
    assert all(not np.array_equal(new[k], params[k]) for k in params)
    assert pickle.loads(pickle.dumps(new_state)) == new_state
    assert copy.deepcopy(new_state) == new_state
    again, _ = opt.update(params, grads, state)
    ft.assert_trees_equal(new, again)


@pytest.mark.parametrize("make", [optim.sgd, optim.momentum, optim.adam])
def test_zero_learning_rate_is_identity(make):
    params = fn.initialize((2, 3, 1), seed=0)
    opt = make(0.0)
    new, _ = opt.update(params, fn.tree_map(np.ones_like, params), opt.init(params))
    ft.assert_trees_equal(new, params)


@pytest.mark.parametrize("opt", [optim.momentum(0.3), optim.adam(0.05)])
def test_optimizers_learn_xor(opt):
    X, Y = fn.data.logic_gate("xor")
    params, history = fn.train(
        fn.initialize((2, 4, 1), seed=0), X, Y, epochs=800, optimizer=opt
    )
    assert np.array_equal(fn.predict(params, X), Y) and history.costs[-1] < 0.05


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: optim.sgd(-1), "learning_rate must be"),
        (lambda: optim.momentum(0.1, beta=1.0), r"beta must be a number in \[0, 1\)"),
        (lambda: optim.adam(beta2=-0.1), "beta2 must be"),
        (lambda: optim.adam(eps=0), "eps must be"),
    ],
)
def test_bad_hyperparameters(call, match):
    with pytest.raises(ValueError, match=match):
        call()
