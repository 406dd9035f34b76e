"""forward_prop, cost, backward_prop, predict and check_grads."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import fnnet as fn
from fnnet import testing as ft
from fnnet.activations import HIDDEN, OUTPUTS
from fnnet.losses import CANONICAL_LOSS


@given(ft.problems())
def test_shapes(problem):
    params, X, Y, hidden, output = problem
    L = len(params) // 2
    A, cache = fn.forward_prop(params, X, hidden, output)
    assert A.shape == Y.shape
    for l in range(1, L + 1):
        assert (
            cache[f"Z{l}"].shape
            == cache[f"A{l}"].shape
            == (params[f"W{l}"].shape[0], X.shape[1])
        )
    grads = fn.backward_prop(params, cache, Y)
    assert set(grads) == set(params)
    assert all(
        grads[k].shape == params[k].shape and grads[k].dtype == params[k].dtype
        for k in params
    )
    assert isinstance(fn.cost(A, Y, CANONICAL_LOSS[output]), float)


def _away_from_relu_kink(problem):
    """Finite differences are meaningless where a relu input sits on its kink."""
    params, X, _, hidden, output = problem
    if hidden != "relu":
        return True
    _, cache = fn.forward_prop(params, X, hidden, output)
    L = len(params) // 2
    return all(np.abs(cache[f"Z{l}"]).min() > 1e-3 for l in range(1, L))


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output", OUTPUTS)
@given(data=st.data())
def test_gradients_match_finite_differences(hidden, output, data):
    problem = data.draw(ft.problems(hidden=hidden, output=output))
    assume(_away_from_relu_kink(problem))
    # Central differences carry an absolute rounding error of about
    # eps * J / h ~ 1e-10, so a relative error is only meaningful for
    # gradients well above that; a wrong formula gives errors of order 1.
    _, cache = fn.forward_prop(problem.params, problem.X, hidden, output)
    grads = fn.backward_prop(problem.params, cache, problem.Y)
    assume(min(np.linalg.norm(g) for g in grads.values()) > 1e-3)
    l2 = data.draw(st.sampled_from([0.0, 0.1]))
    err = fn.check_grads(problem.params, problem.X, problem.Y, hidden, output, l2=l2)
    assert err < 1e-5


def test_one_xor_step_by_hand():
    """The 2-2-1 tanh/sigmoid gradient worked out on paper for one example."""
    params = fn.freeze(
        {
            "W1": np.array([[0.5, -0.5], [0.25, 1.0]]),
            "b1": np.array([[0.1], [-0.1]]),
            "W2": np.array([[1.0, -1.0]]),
            "b2": np.array([[0.0]]),
        }
    )
    X, Y = np.array([[1.0], [1.0]]), np.array([[0.0]])
    A, cache = fn.forward_prop(params, X)
    a1 = np.tanh(np.array([0.1, 1.15]))
    a2 = 1 / (1 + np.exp(-(a1[0] - a1[1])))
    assert A[0, 0] == pytest.approx(a2, rel=1e-15)
    g = fn.backward_prop(params, cache, Y)
    dz2 = a2 - 0.0
    assert g["W2"] == pytest.approx(np.array([[dz2 * a1[0], dz2 * a1[1]]]), rel=1e-14)
    assert g["b2"][0, 0] == pytest.approx(dz2, rel=1e-14)
    dz1 = np.array([1.0, -1.0]) * dz2 * (1 - a1**2)
    assert g["W1"] == pytest.approx(np.outer(dz1, [1.0, 1.0]), rel=1e-14)
    assert g["b1"][:, 0] == pytest.approx(dz1, rel=1e-14)
    assert fn.cost(A, Y) == pytest.approx(-np.log(1 - a2), rel=1e-14)


@given(ft.problems(), st.randoms(use_true_random=False))
def test_permuting_examples_changes_nothing(problem, rnd):
    params, X, Y, hidden, output = problem
    perm = list(range(X.shape[1]))
    rnd.shuffle(perm)
    A, cache = fn.forward_prop(params, X, hidden, output)
    Ap, cache_p = fn.forward_prop(params, X[:, perm], hidden, output)
    loss = CANONICAL_LOSS[output]
    assert fn.cost(Ap, Y[:, perm], loss) == pytest.approx(
        fn.cost(A, Y, loss), rel=1e-12, abs=1e-15
    )
    g, gp = (
        fn.backward_prop(params, cache, Y),
        fn.backward_prop(params, cache_p, Y[:, perm]),
    )
    ft.assert_trees_close(g, gp, rtol=1e-9, atol=1e-13)


@given(ft.problems())
def test_outputs_in_range_and_costs_nonnegative(problem):
    params, X, Y, hidden, output = problem
    A, _ = fn.forward_prop(params, X, hidden, output)
    if output in ("sigmoid", "softmax"):
        assert ((A >= 0) & (A <= 1)).all()
    if output == "softmax":
        assert np.allclose(A.sum(axis=0), 1)
    assert fn.cost(A, Y, CANONICAL_LOSS[output]) >= 0


@given(ft.problems())
def test_no_function_mutates_its_inputs(problem):
    params, X, Y, hidden, output = problem
    before = ft.snapshot(params, X, Y)
    A, cache = fn.forward_prop(params, X, hidden, output)
    grads = fn.backward_prop(params, cache, Y)
    fn.update(params, grads, learning_rate=0.5)
    fn.predict(params, X, hidden, output)
    fn.cost(A, Y, CANONICAL_LOSS[output])
    after = ft.snapshot(params, X, Y)
    ft.assert_trees_equal(before[0], after[0])
    assert np.array_equal(before[1], after[1]) and np.array_equal(before[2], after[2])
    assert all(
        not v.flags.writeable for v in (*cache.values(),) if isinstance(v, np.ndarray)
    )
    assert all(not v.flags.writeable for v in grads.values())


@given(ft.problems(), st.floats(0, 10))
def test_update_with_zero_gradient_or_rate_is_identity(problem, lr):
    params = problem.params
    zeros = fn.tree_map(np.zeros_like, params)
    ft.assert_trees_equal(fn.update(params, zeros, learning_rate=lr), params)
    ft.assert_trees_equal(fn.update(params, params, learning_rate=0.0), params)


@given(ft.problems())
def test_update_moves_every_key(problem):
    params = problem.params
    ones = fn.tree_map(np.ones_like, params)
    new = fn.update(params, ones, learning_rate=0.5)
    assert all(np.array_equal(new[k], params[k] - 0.5) for k in params)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("output", OUTPUTS)
def test_saturation_is_finite_and_silent(dtype, output):
    n_y = 2 if output == "softmax" else 1
    params = fn.freeze(
        {"W1": np.full((n_y, 1), 1.0, dtype), "b1": np.array([[0.0]] * n_y, dtype)}
    )
    if output == "softmax":
        params = fn.freeze(params | {"W1": np.array([[1.0], [-1.0]], dtype)})
    X = np.array([[-1000.0, 1000.0, -1e4, 1e4]], dtype)
    Y = (
        np.eye(n_y, 4, dtype=dtype)[::-1]
        if output != "softmax"
        else np.array([[0, 1, 0, 1], [1, 0, 1, 0]], dtype)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A, cache = fn.forward_prop(params, X, output=output)
        J = fn.cost(A, Y, CANONICAL_LOSS[output])
        grads = fn.backward_prop(params, cache, Y)
    assert np.isfinite(J) and J >= 0
    assert all(np.isfinite(g).all() for g in grads.values())


def test_cost_of_exact_zero_and_one():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        J = fn.cost(np.array([[0.0, 1.0, 1.0, 0.0]]), np.array([[1.0, 0.0, 1.0, 0.0]]))
    assert np.isfinite(J) and J > 100


def test_predict_kinds():
    X = np.array([[0.0, 1.0, -1.0], [1.0, 0.0, 2.0]])
    p = fn.initialize((2, 3, 2), seed=0)
    sig = fn.predict(p, X, output="sigmoid")
    assert (
        sig.shape == (2, 3) and set(np.unique(sig)) <= {0, 1} and sig.dtype.kind == "i"
    )
    soft = fn.predict(p, X, output="softmax")
    assert soft.shape == (3,) and set(np.unique(soft)) <= {0, 1}
    A, _ = fn.forward_prop(p, X, output="identity")
    assert np.array_equal(fn.predict(p, X, output="identity"), A)


def test_float32_end_to_end():
    params = fn.initialize((2, 4, 1), dtype=np.float32)
    X, Y = fn.data.logic_gate("xor")
    A, cache = fn.forward_prop(params, X)
    assert A.dtype == np.float32
    assert all(
        g.dtype == np.float32 for g in fn.backward_prop(params, cache, Y).values()
    )


# --- errors -----------------------------------------------------------------

P = fn.initialize((2, 4, 1), seed=0)
X4 = np.zeros((2, 4))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: fn.forward_prop(P, np.zeros((3, 4))),
            ValueError,
            r"X has 3 rows but W1 expects 2 \(X must be \(n_x, m\)\)",
        ),
        (lambda: fn.forward_prop(P, np.zeros(4)), ValueError, r"X must be 2-D"),
        (lambda: fn.forward_prop(P, np.zeros((2, 0))), ValueError, "at least one"),
        (
            lambda: fn.forward_prop(P, np.full((2, 4), np.nan)),
            ValueError,
            "X must be finite",
        ),
        (lambda: fn.forward_prop(P, np.array([["a", "b"]] * 2)), TypeError, "numeric"),
        (
            lambda: fn.forward_prop(P, X4, hidden="softmax"),
            ValueError,
            "hidden must be one of",
        ),
        (
            lambda: fn.forward_prop(P, X4, output="tanh"),
            ValueError,
            "output must be one of",
        ),
        (lambda: fn.forward_prop({"W1": P["W1"]}, X4), ValueError, r"missing \['b1'\]"),
        (
            lambda: fn.forward_prop(dict(P) | {"W3": P["W2"]}, X4),
            ValueError,
            "unexpected",
        ),
        (
            lambda: fn.forward_prop(dict(P) | {"b1": np.zeros(4)}, X4),
            ValueError,
            r"b1'\] must have shape \(4, 1\)",
        ),
        (
            lambda: fn.forward_prop(dict(P) | {"W2": np.zeros((1, 3))}, X4),
            ValueError,
            r"W2'\] must have shape",
        ),
        (
            lambda: fn.forward_prop(dict(P) | {"W2": np.full((1, 4), np.nan)}, X4),
            ValueError,
            "finite",
        ),
        (
            lambda: fn.forward_prop(dict(P) | {"W2": np.zeros((1, 4), np.int64)}, X4),
            TypeError,
            "float64 or float32",
        ),
        (lambda: fn.forward_prop([1, 2], X4), TypeError, "params must be a mapping"),
        (
            lambda: fn.cost(np.ones((1, 4)) * 0.5, np.ones((1, 3))),
            ValueError,
            r"Y must have shape \(1, 4\)",
        ),
        (
            lambda: fn.cost(np.ones((1, 4)) * 0.5, np.full((1, 4), 2.0)),
            ValueError,
            r"Y must lie in \[0, 1\]",
        ),
        (
            lambda: fn.cost(np.ones((1, 4)) * 0.5, np.ones((1, 4)), loss="hinge"),
            ValueError,
            "loss must be one of",
        ),
        (
            lambda: fn.cost(
                np.full((2, 1), 0.5), np.array([[1.0], [1.0]]), "cross_entropy"
            ),
            ValueError,
            "one-hot",
        ),
        (
            lambda: fn.backward_prop(
                P, fn.forward_prop(P, X4)[1], np.ones((1, 4)), loss="mse"
            ),
            ValueError,
            "does not match output 'sigmoid'",
        ),
        (
            lambda: fn.backward_prop(P, {"X": X4}, np.ones((1, 4))),
            ValueError,
            "cache must be the cache",
        ),
        (
            lambda: fn.update(P, {"W1": P["W1"]}, 0.1),
            ValueError,
            "grads must have the keys",
        ),
        (
            lambda: fn.update(P, P, -0.1),
            ValueError,
            r"learning_rate must be a finite number >= 0, found -0.1",
        ),
        (lambda: fn.update(P, P, float("nan")), ValueError, "learning_rate"),
        (
            lambda: fn.check_grads(P, X4, np.ones((1, 4)), loss="cross_entropy"),
            ValueError,
            "does not match",
        ),
    ],
)
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()
