"""The compiled backend against its NumPy twin (``backend="numpy"``).

DESIGN's bounds: after 1,000 epochs the parameters differ by at most 1e-9
(float64) or 1e-4 (float32), and so do the per-epoch costs. The whole file
also runs with ``NUMBA_DISABLE_JIT=1`` (then with fewer epochs), so that the
kernels' Python bodies are checked line by line.
"""

from __future__ import annotations

import platform

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numba import config

import fnnet as fn
from fnnet import optim
from fnnet import testing as ft
from fnnet.kernels import _blas, compiled
from fnnet.kernels import _epochs as K
from fnnet.kernels.compiled import pack, unpack
from fnnet.train import prepare_run

EPOCHS = 50 if config.DISABLE_JIT else 1000
TOL = {np.float64: 1e-9, np.float32: 1e-4}
RNG = np.random.default_rng(42)
X5 = RNG.standard_normal((5, 60))
LABELS = (X5[0] + X5[1] > 0).astype(float)[None, :]
CLASSES = np.eye(3)[:, (X5[0] > 0.5).astype(int) + (X5[1] > 0).astype(int)]


def both(params, X, Y, **kwargs):
    """Train on both backends; return (numba, numpy) results."""
    return (
        fn.train(params, X, Y, backend="numba", **kwargs),
        fn.train(params, X, Y, backend="numpy", **kwargs),
    )


def assert_agree(pair, dtype):
    (p_jit, h_jit), (p_ref, h_ref) = pair
    tol = TOL[dtype]
    assert all(p_jit[k].dtype == p_ref[k].dtype == dtype for k in p_ref)
    ft.assert_trees_close(p_jit, p_ref, atol=tol, rtol=0)
    np.testing.assert_allclose(h_jit.costs, h_ref.costs, atol=tol, rtol=tol)
    for field in ("val_costs", "val_accuracies"):
        a, b = getattr(h_jit, field), getattr(h_ref, field)
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, atol=tol, rtol=tol)
    assert (h_jit.best_epoch, h_jit.stopped_early) == (
        h_ref.best_epoch,
        h_ref.stopped_early,
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_xor_agrees_after_1000_epochs(dtype):
    X, Y = fn.data.logic_gate("xor")
    params = fn.initialize((2, 4, 1), seed=0, dtype=dtype)
    assert_agree(both(params, X, Y, epochs=EPOCHS, learning_rate=1.2), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "relu"])
def test_three_hidden_layers_agree(dtype, hidden):
    params = fn.initialize((5, 8, 6, 4, 1), seed=1, dtype=dtype, scheme=hidden)
    pair = both(params, X5, LABELS, epochs=EPOCHS, learning_rate=0.3, hidden=hidden)
    assert_agree(pair, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    ("output", "Y"),
    [("softmax", CLASSES), ("identity", X5[2:3] - X5[3:4]), ("sigmoid", LABELS)],
)
@pytest.mark.parametrize("make", [optim.sgd, optim.momentum, optim.adam])
def test_outputs_and_optimizers_agree_with_minibatches(dtype, output, Y, make):
    params = fn.initialize((5, 7, Y.shape[0]), seed=2, dtype=dtype)
    lr = 0.01 if make is optim.adam else 0.05
    pair = both(
        params,
        X5,
        Y,
        epochs=EPOCHS // 4,
        optimizer=make(lr),
        output=output,
        batch_size=16,
        seed=7,
        l2=0.05,
    )
    assert_agree(pair, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_validation_and_early_stopping_agree(dtype):
    params = fn.initialize((5, 16, 1), seed=3, dtype=dtype)
    Xv, Yv = X5[:, :20] + 0.3, LABELS[:, :20]
    pair = both(
        params,
        X5[:, 20:],
        LABELS[:, 20:],
        epochs=EPOCHS,
        optimizer=optim.adam(0.05),
        validation=(Xv, Yv),
        patience=15,
        batch_size=8,
        seed=1,
    )
    assert_agree(pair, dtype)
    assert pair[0][1].stopped_early


@given(
    problem=ft.problems(max_layers=3),
    batch_size=st.integers(1, 9),
    seed=st.integers(0, 99),
)
def test_random_problems_agree(problem, batch_size, seed):
    params, X, Y, hidden, output = problem
    kwargs = {
        "epochs": 5,
        "optimizer": optim.momentum(0.05),
        "hidden": hidden,
        "output": output,
        "batch_size": batch_size,
    }
    try:  # unscaled random problems may diverge: then both backends must
        ref = fn.train(params, X, Y, backend="numpy", seed=seed, **kwargs)
    except fn.TrainingDiverged:
        with pytest.raises(fn.TrainingDiverged):
            fn.train(params, X, Y, backend="numba", seed=seed, **kwargs)
        return
    jit = fn.train(params, X, Y, backend="numba", seed=seed, **kwargs)
    # Parameters that grew large differ by rounding relative to their size.
    scale = max(1.0, *(float(np.abs(v).max()) for v in ref[0].values()))
    ft.assert_trees_close(jit[0], ref[0], atol=TOL[np.float64] * scale, rtol=0)
    np.testing.assert_allclose(jit[1].costs, ref[1].costs, rtol=1e-9, atol=1e-9)


def test_divergence_stops_at_the_same_epoch_with_the_same_message():
    X, Y = fn.data.logic_gate("xor")
    params = fn.initialize((2, 4, 1), seed=0)
    kwargs = dict(epochs=100, learning_rate=1e8, hidden="relu", output="identity")
    messages = []
    for backend in ("numba", "numpy"):
        with pytest.raises(FloatingPointError) as info:
            fn.train(params, X * 100, Y, backend=backend, **kwargs)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_callback_sees_every_epoch_in_order():
    X, Y = fn.data.logic_gate("xor")
    seen = []
    _, history = fn.train(
        fn.initialize((2, 4, 1)),
        X,
        Y,
        epochs=300,
        learning_rate=1.0,
        backend="numba",
        callback=lambda e, J: seen.append((e, J)),
    )
    assert seen == list(enumerate(history.costs.tolist()))


def test_results_are_frozen_and_inputs_untouched():
    X, Y = fn.data.three_bit()
    params = fn.initialize((3, 4, 1), seed=0)
    before = ft.snapshot(params, X, Y)
    trained, history = fn.train(
        params, X, Y, epochs=10, learning_rate=0.5, backend="numba"
    )
    ft.assert_trees_equal(before[0], params)
    assert np.array_equal(before[1], X) and np.array_equal(before[2], Y)
    assert isinstance(trained, fn.Tree) and not trained["W1"].flags.writeable
    assert not history.costs.flags.writeable


def _layouts(X):
    """``X`` as a caller may hold it: C-ordered, transposed rows, read-only, strided."""
    read_only = X.copy()
    read_only.flags.writeable = False
    return {
        "C": X,
        "rows.T": np.ascontiguousarray(X.T).T,
        "read-only": read_only,
        "strided": np.repeat(X, 2, axis=1)[:, ::2],
    }


@pytest.mark.parametrize("layout", ["C", "rows.T", "read-only", "strided"])
@pytest.mark.parametrize("batch_size", [None, 16])
def test_every_layout_of_x_agrees_and_is_read_in_place(layout, batch_size, monkeypatch):
    # As if X5 were large: a full batch of rows.T is read as rows.
    monkeypatch.setattr(compiled, "_ROWS_IN_PLACE_BYTES", X5.nbytes)
    X = _layouts(X5)[layout]
    params = fn.initialize((5, 16, 1), seed=4)
    kwargs = {"epochs": EPOCHS // 4, "learning_rate": 0.3, "batch_size": batch_size}
    assert_agree(both(params, X, LABELS, seed=3, **kwargs), np.float64)
    data = compiled._data(prepare_run(params, X, LABELS, **kwargs))
    assert all(not a.flags.writeable for a in data)  # one kernel type
    read = data.X_rows if data.X.size == 0 else data.X
    # Minibatches are gathered from rows: another layout is packed once.
    in_place = layout == "rows.T" or (batch_size is None and layout != "strided")
    assert np.shares_memory(read, X) == in_place
    assert np.array_equal(read.T if data.X.size == 0 else read, X)


def test_a_small_full_batch_of_rows_is_copied_into_columns():
    X = _layouts(X5)["rows.T"]
    params = fn.initialize((5, 16, 1), seed=4)
    data = compiled._data(prepare_run(params, X, LABELS, epochs=1, learning_rate=1))
    assert data.X_rows.size == 0 and data.X.flags.c_contiguous
    assert not np.shares_memory(data.X, X) and np.array_equal(data.X, X)


def test_large_packed_copies_are_made_by_threads_and_exact(monkeypatch):
    monkeypatch.setattr(compiled, "_THREADED_COPY_BYTES", 1)
    X = RNG.standard_normal((37, 1001))
    rows = compiled._packed(X.T)
    assert rows.flags.c_contiguous and np.array_equal(rows, X.T)
    assert compiled._packed(rows) is rows


@given(ft.params())
def test_pack_unpack_round_trip(params):
    theta, layout = pack(params)
    assert theta.ndim == 1 and theta.size == sum(v.size for v in params.values())
    ft.assert_trees_equal(unpack(theta, layout), params)


def test_foreign_optimizer_is_a_clear_error():
    X, Y = fn.data.logic_gate("xor")
    sgd = optim.sgd(0.1)
    custom = optim.Optimizer(sgd.init, lambda p, g, s: (p, s), "sgd", sgd.hyperparams)
    with pytest.raises(ValueError, match=r"backend='numba' runs fnnet\.optim"):
        fn.train(
            fn.initialize((2, 4, 1)), X, Y, epochs=1, optimizer=custom, backend="numba"
        )


def test_bad_input_never_reaches_numba():
    X, Y = fn.data.logic_gate("xor")
    params = fn.initialize((2, 4, 1))
    with pytest.raises(ValueError, match="X has 3 rows but W1 expects 2"):
        fn.train(
            params, np.zeros((3, 4)), Y, epochs=1, learning_rate=1.0, backend="numba"
        )
    with pytest.raises(ValueError, match="X must be finite"):
        fn.train(params, X * np.nan, Y, epochs=1, learning_rate=1.0, backend="numba")


@pytest.mark.slow
@pytest.mark.skipif(config.DISABLE_JIT, reason="needs the JIT")
def test_epoch_loop_counts_no_references(monkeypatch):
    # The kernel works on unowned views of the wrapper's buffers; a single
    # array reference counted in the loop costs two atomic instructions per
    # helper call. A fresh, uncached compilation, so that its IR can be read.
    fresh = numba.njit(cache=False, error_model="numpy")(K._epochs)
    monkeypatch.setattr(K, "_epochs_kernel", fresh)
    X, Y = fn.data.logic_gate("xor")
    params = fn.initialize((2, 4, 1), seed=0)
    trained, _ = fn.train(params, X, Y, epochs=2, learning_rate=1.0, backend="numba")
    ref, _ = fn.train(params, X, Y, epochs=2, learning_rate=1.0, backend="numpy")
    ft.assert_trees_close(trained, ref, atol=1e-12, rtol=0)
    sig = fresh.signatures[0]
    name = fresh.overloads[sig].fndesc.llvm_func_name
    ir = fresh.inspect_llvm(sig)
    start = ir.index(f"@{name}(")
    assert "NRT_incref" not in ir[start : ir.index("\n}\n", start)]
    # Loops index blocks from 0 (_block): an offset index of unknown sign
    # keeps Numba's negative-index wraparound, which AVX-512 stores scatter.
    if platform.machine().lower() in ("x86_64", "amd64"):
        assert "vscatter" not in fresh.inspect_asm(sig)


def test_kernel_refuses_buffers_that_do_not_fit(monkeypatch):
    # The kernel indexes without bounds checks, so it checks the sizes of the
    # buffers it is given once, on entry, rather than overrun them.
    real = K.buffers

    def one_short(*args):
        work = real(*args)
        return work._replace(A=work.A[:-1].copy())

    monkeypatch.setattr(K, "buffers", one_short)
    X, Y = fn.data.logic_gate("xor")
    with pytest.raises(ValueError, match="kernel buffers do not fit"):
        fn.train(
            fn.initialize((2, 4, 1)), X, Y, epochs=2, learning_rate=1.0, backend="numba"
        )


@pytest.mark.skipif(_blas._THREADS is None, reason="NumPy's BLAS has no thread calls")
def test_small_networks_run_blas_on_one_thread_and_restore_it(monkeypatch):
    setter, getter = _blas._THREADS
    seen = []
    kernel = K._epochs_kernel

    def spy(*args):
        seen.append(getter())
        return kernel(*args)

    monkeypatch.setattr(K, "_epochs_kernel", spy)
    before = getter()
    setter(2)
    try:
        X, Y = fn.data.logic_gate("xor")
        params = fn.initialize((2, 4, 1), seed=0)
        fn.train(params, X, Y, epochs=3, learning_rate=1.0, backend="numba")
        monkeypatch.setattr(compiled, "_ONE_THREAD_MACS", 0)  # now "large"
        fn.train(params, X, Y, epochs=3, learning_rate=1.0, backend="numba")
        assert seen == [1, 2] and getter() == 2
        with _blas.one_thread():  # nested blocks restore once, at the end
            with _blas.one_thread():
                assert getter() == 1
            assert getter() == 1
        assert getter() == 2
    finally:
        setter(before)


# ---------------------------------------------------------- subnormal moments


def _adam_step(dtype, mu, nu, eps=1e-8, t=800):
    """One compiled Adam step at zero gradient from the given moments."""
    theta = np.full(len(mu), 0.5, dtype)
    mu, nu = np.array(mu, dtype), np.array(nu, dtype)
    opt = K.OptimizerConfig(K.ADAM, 1e-3, 0.9, 0.999, eps)
    K._adam(opt, t, theta, np.zeros_like(theta), mu, nu)
    return theta, mu, nu


def _textbook_adam_step(dtype, mu, nu, eps, t=800):
    """The same step unflushed, rounded as the kernel rounds (NumPy scalars)."""
    lr_over_c1 = dtype(1e-3 / (1.0 - 0.9**t))
    one_over_c2 = dtype(1.0 / (1.0 - 0.999**t))
    m, v = dtype(0.9) * dtype(mu), dtype(0.999) * dtype(nu)
    return dtype(0.5) - lr_over_c1 * m / (np.sqrt(v * one_over_c2) + dtype(eps))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_sets_subnormal_moments_to_zero_and_keeps_nan(dtype):
    sub = np.finfo(dtype).smallest_subnormal * 1000
    theta, mu, nu = _adam_step(dtype, [sub, -sub, 1e-3, np.nan], [sub, 1e-6, 0, 1e-6])
    assert mu[0] == mu[1] == 0 and nu[0] == 0
    assert mu[2] == dtype(0.9) * dtype(1e-3) and np.isnan(mu[3])
    assert np.isnan(theta[3])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_flushes_nu_only_where_the_update_cannot_change(dtype):
    # nu is flushed only if sqrt(tiny / c2) < eps 2**-(p + 2), p the precision:
    # on either side of that eps, from the largest subnormal nu, the step
    # equals the unflushed one bit for bit.
    info = np.finfo(dtype)
    nu0 = info.tiny - info.smallest_subnormal  # the largest subnormal
    one_over_c2 = float(dtype(1.0 / (1.0 - 0.999**800)))
    threshold = np.sqrt(float(info.tiny) * one_over_c2) / (float(info.epsneg) / 4)
    for eps, flushed in ((2 * threshold, True), (threshold / 2, False)):
        theta, _, nu = _adam_step(dtype, [1e-3], [nu0], eps=eps)
        assert (nu[0] == 0) == flushed, eps
        assert theta[0] == _textbook_adam_step(dtype, 1e-3, nu0, eps), eps


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_momentum_sets_subnormal_velocities_to_zero(dtype):
    sub = np.finfo(dtype).smallest_subnormal * 1000
    theta = np.full(3, 0.5, dtype)
    velocity = np.array([sub, -sub, np.nan], dtype)
    opt = K.OptimizerConfig(K.MOMENTUM, 0.1, 0.9, 0.999, 1e-8)
    count = np.zeros(1, np.int64)
    finite = K._step(opt, theta, np.zeros_like(theta), velocity, velocity.copy(), count)
    assert velocity[0] == velocity[1] == 0 and np.isnan(velocity[2])
    assert not finite and np.isnan(theta[2])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_flushed_moments_agree_with_the_reference(dtype):
    # The first input is always 0, so the weights it feeds get no gradient;
    # resumed from subnormal moments, the reference does arithmetic on them
    # for every step and the kernel on zeros. Results agree as usual.
    X = np.vstack([np.zeros((1, 60)), X5[1:]]).astype(dtype)
    params = fn.initialize((5, 4, 1), seed=3, dtype=dtype)
    sub = np.finfo(dtype).smallest_subnormal * 1000
    mu = {
        k: np.where(np.arange(v.size).reshape(v.shape) % 2, sub, -sub).astype(dtype)
        for k, v in params.items()
    }
    nu = {k: np.full(v.shape, sub, dtype) for k, v in params.items()}
    state = optim.AdamState(count=700, mu=mu, nu=nu)
    pair = both(
        params,
        X,
        LABELS.astype(dtype),
        epochs=50,
        output="sigmoid",
        optimizer=optim.adam(1e-3),
        state=state,
    )
    assert_agree(pair, dtype)
    (_, h_jit), (_, h_ref) = pair
    # W1's first column never had a gradient: flushed in the kernel only.
    assert (h_jit.state.mu["W1"][:, 0] == 0).all()
    assert (h_jit.state.nu["W1"][:, 0] == 0).all()
    assert (h_ref.state.mu["W1"][:, 0] != 0).any()
