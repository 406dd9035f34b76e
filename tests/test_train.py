"""train(backend="numpy"): the reference loop."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fnnet as fn
from fnnet import optim
from fnnet import testing as ft
from fnnet._validation import check_finite

XOR = fn.data.logic_gate("xor")


def test_train_is_the_public_functions_in_a_loop():
    X, Y = XOR
    params = fn.initialize((2, 4, 1), seed=5)
    trained, history = fn.train(params, X, Y, epochs=50, learning_rate=1.2)
    p, costs = params, []
    for _ in range(50):
        A, cache = fn.forward_prop(p, X)
        costs.append(fn.cost(A, Y))
        p = fn.update(p, fn.backward_prop(p, cache, Y), learning_rate=1.2)
    ft.assert_trees_equal(trained, p)
    assert np.array_equal(history.costs, costs)


def test_defaults_learn_xor_from_almost_any_seed():
    X, Y = XOR
    learned = 0
    for seed in range(30):
        params, history = fn.train(
            fn.initialize((2, 4, 1), seed=seed), X, Y, epochs=1000, learning_rate=1.2
        )
        learned += np.array_equal(fn.predict(params, X), Y) and history.costs[-1] < 0.05
    assert learned >= 28


def test_tutorial_init_gets_stuck_where_xavier_does_not():
    """The classic 0.01 * randn start sits on the ln 2 plateau for a long time."""
    X, Y = XOR
    stuck = fn.train(
        fn.initialize((2, 4, 1), seed=0, scheme="tutorial"),
        X,
        Y,
        epochs=300,
        learning_rate=1.2,
    )[1]
    moving = fn.train(
        fn.initialize((2, 4, 1), seed=0), X, Y, epochs=300, learning_rate=1.2
    )[1]
    assert stuck.costs[-1] > 0.6 and moving.costs[-1] < 0.1


@given(ft.problems(max_layers=2), st.integers(1, 8), st.integers(0, 100))
def test_same_seed_bit_identical_and_inputs_unchanged(problem, batch_size, seed):
    params, X, Y, hidden, output = problem
    before = ft.snapshot(params, X, Y)
    kwargs = dict(
        epochs=3,
        optimizer=optim.adam(0.01),
        batch_size=batch_size,
        hidden=hidden,
        output=output,
        seed=seed,
    )
    a, ha = fn.train(params, X, Y, **kwargs)
    b, hb = fn.train(params, X, Y, **kwargs)
    ft.assert_trees_equal(a, b)
    assert np.array_equal(ha.costs, hb.costs)
    after = ft.snapshot(params, X, Y)
    ft.assert_trees_equal(before[0], after[0])
    assert np.array_equal(before[1], after[1]) and np.array_equal(before[2], after[2])
    assert all(not v.flags.writeable for v in a.values())


def test_minibatches_follow_the_seed():
    X, Y = fn.data.three_bit()
    params = fn.initialize((3, 4, 1), seed=0)
    runs = [
        fn.train(params, X, Y, epochs=5, learning_rate=0.5, batch_size=2, seed=s)[0]
        for s in (1, 1, 2)
    ]
    assert runs[0] == runs[1] and runs[0] != runs[2]
    full = fn.train(params, X, Y, epochs=5, learning_rate=0.5, batch_size=7, seed=1)[0]
    assert full == fn.train(params, X, Y, epochs=5, learning_rate=0.5, seed=99)[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    X, Y = XOR
    params, history = fn.train(
        fn.initialize((2, 4, 1), dtype=dtype), X, Y, epochs=5, learning_rate=1.0
    )
    assert all(v.dtype == dtype for v in params.values())
    assert history.costs.dtype == np.float64 and len(history.costs) == 5


def test_divergence_stops_with_epoch_and_last_cost():
    X, Y = XOR
    params = fn.initialize((2, 4, 1), seed=0)
    with pytest.raises(
        FloatingPointError,
        match=r"at epoch \d+ \(last finite cost: [0-9.e+]+ at epoch \d+\)",
    ):
        fn.train(
            params,
            X * 100,
            Y,
            epochs=100,
            learning_rate=1e8,
            hidden="relu",
            output="identity",
        )


def test_validation_early_stopping_returns_best_params():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 40))
    Y = (X[0:1] + 0.8 * rng.standard_normal((1, 40)) > 0).astype(float)
    Xv = rng.standard_normal((2, 40))
    Yv = (Xv[0:1] + 0.8 * rng.standard_normal((1, 40)) > 0).astype(float)
    params = fn.initialize((2, 16, 1), seed=0)
    best, h = fn.train(
        params,
        X,
        Y,
        epochs=3000,
        optimizer=optim.adam(0.05),
        validation=(Xv, Yv),
        patience=20,
    )
    assert h.stopped_early and len(h.costs) < 3000
    assert len(h.val_costs) == len(h.val_accuracies) == len(h.costs)
    assert h.best_epoch == int(np.argmin(h.val_costs))
    assert len(h.costs) - 1 - h.best_epoch == 20
    A, _ = fn.forward_prop(best, Xv)
    assert fn.cost(A, Yv) == pytest.approx(h.val_costs[h.best_epoch], rel=1e-12)
    assert 0 <= h.val_accuracies.min() <= h.val_accuracies.max() <= 1


def test_l2_shrinks_weights():
    X, Y = XOR
    params = fn.initialize((2, 8, 1), seed=0)
    plain = fn.train(params, X, Y, epochs=500, learning_rate=1.0)[0]
    shrunk = fn.train(params, X, Y, epochs=500, learning_rate=1.0, l2=0.5)[0]
    norm = lambda p: sum(float((p[k] ** 2).sum()) for k in p if k.startswith("W"))  # noqa: E731
    assert norm(shrunk) < norm(plain)


def test_callback_sees_every_epoch():
    X, Y = XOR
    seen = []
    _, history = fn.train(
        fn.initialize((2, 4, 1)),
        X,
        Y,
        epochs=7,
        learning_rate=1.0,
        callback=lambda e, J: seen.append((e, J)),
    )
    assert seen == list(enumerate(history.costs))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epochs": 0}, ValueError, "epochs must be a positive int, found 0"),
        ({"epochs": 2.5}, ValueError, "epochs must be a positive int"),
        (
            {"learning_rate": -1.0},
            ValueError,
            "learning_rate must be a finite number > 0, found -1.0",
        ),
        (
            {"learning_rate": 0.0},
            ValueError,
            "learning_rate must be a finite number > 0",
        ),
        ({"learning_rate": float("inf")}, ValueError, "learning_rate"),
        ({"learning_rate": 0.1, "optimizer": optim.sgd(0.1)}, ValueError, "not both"),
        (
            {"optimizer": "adam"},
            TypeError,
            "optimizer must be an fnnet.optim.Optimizer",
        ),
        ({"backend": "jax"}, ValueError, "backend must be one of"),
        ({"batch_size": 0}, ValueError, "batch_size must be a positive int"),
        ({"loss": "mse"}, ValueError, "does not match output"),
        ({"hidden": "softmax"}, ValueError, "hidden must be one of"),
        ({"patience": 3}, ValueError, "patience needs validation"),
        ({"validation": (XOR[0],)}, TypeError, "validation must be a pair"),
        (
            {"validation": (XOR[0][:, :2], XOR[1])},
            ValueError,
            "X_val has 2 examples but Y_val has 4",
        ),
        ({"l2": -1}, ValueError, "l2 must be"),
        ({"seed": "x"}, TypeError, "seed must be"),
        ({"callback": 3}, TypeError, "callback must be callable"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match):
    X, Y = XOR
    kwargs = {"epochs": 2, **kwargs}
    with pytest.raises(error, match=match):
        fn.train(fn.initialize((2, 4, 1)), X, Y, **kwargs)


def test_bad_data_is_named():
    params = fn.initialize((2, 4, 1))
    X, Y = XOR
    with pytest.raises(ValueError, match="X has 4 examples but Y has 3"):
        fn.train(params, X, Y[:, :3], epochs=1)
    with pytest.raises(ValueError, match=r"Y must lie in \[0, 1\]"):
        fn.train(params, X, Y + 1, epochs=1)
    with pytest.raises(ValueError, match="Y has 2 rows but W2 gives 1 outputs"):
        fn.train(params, X, np.vstack([Y, Y]), epochs=1)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_training_resumes_exactly_from_the_returned_state(backend, name):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3, 50))
    Y = (X[:1] > 0).astype(float)
    opt = optim.OPTIMIZERS[name](0.05)
    p0 = fn.initialize((3, 5, 1), seed=0)
    common = {"optimizer": opt, "batch_size": 16, "backend": backend}
    whole, h = fn.train(p0, X, Y, epochs=100, seed=np.random.default_rng(5), **common)
    stream = np.random.default_rng(5)
    half, h1 = fn.train(p0, X, Y, epochs=50, seed=stream, **common)
    again, h2 = fn.train(half, X, Y, epochs=50, seed=stream, state=h1.state, **common)
    assert max(np.abs(whole[k] - again[k]).max() for k in whole) <= 1e-12
    assert np.array_equal(np.concatenate([h1.costs, h2.costs]), h.costs)
    assert type(h2.state) is type(opt.init(p0))


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_both_backends_return_the_same_optimizer_state(name):
    X, Y = XOR
    opt = optim.OPTIMIZERS[name](0.1)
    p0 = fn.initialize((2, 4, 1), seed=0)
    _, ref = fn.train(p0, X, Y, epochs=200, optimizer=opt, backend="numpy")
    _, com = fn.train(p0, X, Y, epochs=200, optimizer=opt, backend="numba")
    for field in ref.state._fields:
        a, b = getattr(ref.state, field), getattr(com.state, field)
        if field == "count":
            assert a == b == 200
        else:
            assert max(np.abs(a[k] - b[k]).max() for k in a) <= 1e-9


def test_a_state_that_does_not_fit_is_named():
    X, Y = XOR
    p0 = fn.initialize((2, 4, 1), seed=0)
    adam, sgd = optim.adam(0.1), optim.sgd(0.1)
    with pytest.raises(
        TypeError, match=r"state must be a AdamState \(the state of fnnet.optim.adam\)"
    ):
        fn.train(p0, X, Y, epochs=1, optimizer=adam, state=sgd.init(p0))
    other = adam.init(fn.initialize((2, 3, 1)))
    with pytest.raises(ValueError, match=r"state.mu\['W1'\] must match params"):
        fn.train(p0, X, Y, epochs=1, optimizer=adam, state=other)
    with pytest.raises(ValueError, match=r"state\.count must be >= 0"):
        fn.train(
            p0, X, Y, epochs=1, optimizer=adam, state=adam.init(p0)._replace(count=-1)
        )


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_outputs_that_overflow_are_a_divergence_on_both_backends(backend):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 40)) * 50
    Y = X[:1] * 10
    p0 = fn.initialize((3, 8, 1), seed=0)
    options = {"hidden": "relu", "output": "identity", "learning_rate": 1e3}
    with pytest.raises(fn.TrainingDiverged) as err:
        fn.train(p0, X, Y, epochs=50, validation=(X, Y), backend=backend, **options)
    assert isinstance(err.value, FloatingPointError) and 0 <= err.value.epoch < 50
    again = pickle.loads(pickle.dumps(err.value))
    assert (again.epoch, str(again)) == (err.value.epoch, str(err.value))


def test_both_backends_diverge_at_the_same_epoch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 40)) * 50
    Y = X[:1] * 10
    p0 = fn.initialize((3, 8, 1), seed=0)
    options = {"hidden": "relu", "output": "identity", "learning_rate": 1e3}
    epochs = []
    for backend in ("numpy", "numba"):
        with pytest.raises(fn.TrainingDiverged) as err:
            fn.train(p0, X, Y, epochs=50, validation=(X, Y), backend=backend, **options)
        epochs.append(err.value.epoch)
    assert epochs[0] == epochs[1]


@pytest.mark.parametrize(
    ("bad", "found"),
    [(np.nan, r"nan at \[1, 2\]"), (np.inf, r"inf at \[1, 2\]"), (-np.inf, "-inf")],
)
def test_finite_check_locates_the_first_bad_value(bad, found):
    X = np.ones((2, 4))
    X[1, 2] = bad
    X[1, 3] = -bad  # inf - inf: the sum is NaN either way
    with pytest.raises(ValueError, match=f"X must be finite, found {found}"):
        check_finite("X", X)


def test_finite_values_whose_sum_overflows_pass_the_finite_check():
    # The fast path sums the array; finite values may overflow that sum.
    for dtype in (np.float64, np.float32, np.float16):
        X = np.full((3, 5), np.finfo(dtype).max, dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            check_finite("X", X)
