"""The perceptron rule on logic gates."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fnnet import data, perceptron


@pytest.mark.parametrize("gate", ["and", "or", "nand", "nor"])
@given(seed=st.integers(0, 10_000), lr=st.floats(0.01, 2.0))
def test_learns_linearly_separable_gates(gate, seed, lr):
    X, Y = data.logic_gate(gate)
    params, history = perceptron.train(
        perceptron.initialize(2, seed=seed), X, Y, epochs=1000, learning_rate=lr
    )
    assert np.array_equal(perceptron.predict(params, X), Y.astype(int))
    assert history.converged_epoch == len(history.errors) - 1
    assert history.errors[-1] == 0


@pytest.mark.parametrize("gate", ["xor", "xnor"])
def test_never_converges_on_xor(gate):
    X, Y = data.logic_gate(gate)
    params, history = perceptron.train(
        perceptron.initialize(2, seed=0), X, Y, epochs=200
    )
    assert history.converged_epoch is None
    assert len(history.errors) == 200 and (history.errors > 0).all()
    assert not np.array_equal(perceptron.predict(params, X), Y.astype(int))


def test_inputs_untouched_and_errors():
    X, Y = data.logic_gate("and")
    params = perceptron.initialize(2)
    before = params["W1"].copy()
    perceptron.train(params, X, Y)
    assert np.array_equal(params["W1"], before)
    with pytest.raises(ValueError, match="Y must hold 0/1 labels"):
        perceptron.train(params, X, Y * 2)
    with pytest.raises(ValueError, match="X has 3 rows but W1 expects 2"):
        perceptron.predict(params, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="params must be a perceptron"):
        perceptron.predict({"W1": np.zeros((2, 2)), "b1": np.zeros((2, 1))}, X)
