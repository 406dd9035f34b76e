"""Tests of the benchmark harness: its maths and its plumbing, never its timings.

Run with ``python -m pytest bench`` (they are not in the default test paths).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench import baseline, checks, impls, report, timing, workloads
from bench.cli import main
from bench.trial import Outcome, Trial, Unavailable
from bench.workloads import WORKLOADS, Workload, make_task, select

SMALL = (
    Workload("small", "random", (3, 5, 4, 1), 7, 3, 3),
    Workload("small-2", "random", (3, 5, 2), 7, 3, 3, learning_rate=0.5),
    Workload("small-f32", "random", (3, 4, 3), 9, 3, 3, "float32", output="softmax"),
    Workload(
        "small-adam", "random", (3, 4, 3), 9, 3, 3, optimizer="adam", output="softmax"
    ),
    Workload(
        "small-mb",
        "random",
        (3, 4, 3),
        9,
        3,
        3,
        learning_rate=1e-2,
        optimizer="adam",
        batch_size=4,
        output="softmax",
    ),
)


def _params(sizes: tuple[int, ...], seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = {}
    for l in range(1, len(sizes)):
        p[f"W{l}"] = rng.normal(0, 0.7, (sizes[l], sizes[l - 1]))
        p[f"b{l}"] = rng.normal(0, 0.1, (sizes[l], 1))
    return p


def _targets(output: str, k: int, m: int, rng: np.random.Generator) -> np.ndarray:
    if output == "softmax":
        Y = np.zeros((k, m))
        Y[rng.integers(0, k, m), np.arange(m)] = 1.0
        return Y
    if output == "sigmoid":
        return (rng.random((k, m)) < 0.5).astype(float)
    return rng.normal(size=(k, m))


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
def test_baseline_gradients_match_finite_differences(hidden: str, output: str) -> None:
    sizes, m = (3, 5, 4, 2), 6
    rng = np.random.default_rng(1)
    X, Y, p = rng.normal(size=(3, m)), _targets(output, 2, m, rng), _params(sizes)
    L = len(sizes) - 1

    def J(q: dict[str, np.ndarray]) -> float:
        cache = baseline.forward_propagation(q, X, L, hidden, output)
        return baseline.compute_cost(cache[f"A{L}"], Y, output)

    cache = baseline.forward_propagation(p, X, L, hidden, output)
    grads = baseline.backward_propagation(p, cache, Y, L, hidden)
    h = 1e-6
    for key, value in p.items():
        numeric = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            up, down = (
                {k: v.copy() for k, v in p.items()},
                {k: v.copy() for k, v in p.items()},
            )
            up[key][i] += h
            down[key][i] -= h
            numeric[i] = (J(up) - J(down)) / (2 * h)
        np.testing.assert_allclose(grads["d" + key], numeric, rtol=1e-5, atol=1e-8)


def test_baseline_leaves_its_inputs_alone() -> None:
    p = _params((2, 4, 1))
    before = {k: v.copy() for k, v in p.items()}
    X, Y = np.array([[0.0, 0, 1, 1], [0, 1, 0, 1]]), np.array([[0.0, 1, 1, 0]])
    new, costs = baseline.train(p, X, Y, epochs=5, learning_rate=1.0)
    assert costs.shape == (5,)
    for k in p:
        np.testing.assert_array_equal(p[k], before[k])
        assert not np.array_equal(new[k], before[k])


def test_baseline_minibatch_adam_uses_every_example_once_per_epoch() -> None:
    w = WORKLOADS[-1]
    task = make_task(w, quick=True, epochs=2)
    assert task.orders is not None and task.orders.shape == (2, w.m)
    assert all(sorted(o) == list(range(w.m)) for o in task.orders)
    _, costs = baseline.train(
        task.params0,
        task.X,
        task.Y,
        epochs=2,
        learning_rate=1e-3,
        optimizer="adam",
        output="softmax",
        batch_size=w.batch_size,
        orders=task.orders,
    )
    assert np.isfinite(costs).all() and costs[1] < costs[0]


def _fnnet_or_skip() -> Any:
    fn = pytest.importorskip("fnnet")
    if not hasattr(fn, "train"):
        pytest.skip("fnnet.train is not there yet")
    return fn


@pytest.mark.parametrize("name", ["xor", "minibatch"])
def test_baseline_agrees_with_fnnet_reference(name: str) -> None:
    fn = _fnnet_or_skip()
    task = make_task(select(name)[0], quick=True, epochs=3)
    w = task.workload
    opt = {"learning_rate": w.learning_rate}
    if w.optimizer == "adam":
        opt = {"optimizer": fn.optim.adam(w.learning_rate)}
    ref, history = fn.train(
        task.params0,
        task.X,
        task.Y,
        epochs=3,
        batch_size=w.batch_size,
        hidden=w.hidden,
        output=w.output,
        seed=0,
        **opt,
    )
    got, costs = baseline.train(
        task.params0,
        task.X,
        task.Y,
        epochs=3,
        learning_rate=w.learning_rate,
        optimizer=w.optimizer,
        output=w.output,
        batch_size=w.batch_size,
        orders=task.orders,
    )
    check = checks.compare(Outcome(got, costs), Outcome(ref, history.costs), w.dtype)
    assert check.verdict == "ok", check


@pytest.mark.parametrize("name", ["xor", "deeper", "minibatch"])
def test_lean_loop_agrees_with_the_reference_row(name: str) -> None:
    _fnnet_or_skip()
    task = make_task(select(name)[0], quick=True, epochs=3)
    ref = impls.IMPLEMENTATIONS["fnnet-numpy"](task).run()
    got = impls.IMPLEMENTATIONS["lean"](task).run()
    assert got.costs.size == 0  # it records none; the check uses parameters
    check = checks.compare(got, ref, task.workload.dtype)
    assert check.verdict == "ok", check


def test_needed_flops_leave_out_the_input_gradient() -> None:
    w = select("mnist-f64")[0]
    pairs = 784 * 100 + 100 * 100 + 100 * 10
    assert workloads.needed_flops_per_epoch(w) == 2 * 60_000 * (3 * pairs - 784 * 100)


@pytest.mark.parametrize("w", WORKLOADS, ids=lambda w: w.name)
def test_workload_data_is_deterministic_and_shaped(w: Workload) -> None:
    X1, Y1, _ = workloads.make_data(w)
    X2, Y2, _ = workloads.make_data(w)
    assert X1.shape == (w.sizes[0], w.m) and Y1.shape == (w.sizes[-1], w.m)
    assert X1.dtype == np.dtype(w.dtype) and not X1.flags.writeable
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)
    if w.output == "softmax":
        np.testing.assert_array_equal(Y1.sum(axis=0), 1.0)


def test_select_names_families_and_rejects_unknown() -> None:
    assert [w.name for w in select("wide-f32,xor")] == ["xor", "wide-f32"]
    assert select(None) == WORKLOADS
    with pytest.raises(ValueError, match="unknown workload"):
        select("xor,imagenet")


def test_flops_formula_for_the_wide_network() -> None:
    assert workloads.flops_per_epoch(select("wide-f64")[0]) == 6 * 4096 * (
        784 * 512 + 512
    )


def test_compare_flags_divergence_nan_and_incomparable() -> None:
    ref = Outcome({"W1": np.ones((2, 2))}, np.array([1.0, 0.5]))
    near = Outcome({"W1": np.ones((2, 2)) + 1e-9}, np.array([1.0, 0.5 + 1e-12]))
    far = Outcome({"W1": np.ones((2, 2)) + 1e-2}, np.array([1.0, 0.5]))
    nan = Outcome({"W1": np.full((2, 2), np.nan)}, np.array([1.0, 0.5]))
    assert checks.compare(near, ref, "float64").verdict == "ok"
    assert checks.compare(far, ref, "float64").verdict == "DIVERGES"
    assert checks.compare(far, ref, "float32").verdict == "DIVERGES"
    assert checks.compare(nan, ref, "float64").verdict == "NaN"
    assert checks.compare(far, ref, "float64", comparable=False).verdict == "n/c"
    assert checks.compare(ref, ref, "float64", is_reference=True).verdict == "ref"


def _fake_outcome() -> Outcome:
    return Outcome({"W1": np.zeros((1, 1))}, np.zeros(2))


def test_measure_interleaves_and_survives_unavailable_and_broken() -> None:
    calls: list[str] = []

    def ok_factory(name: str) -> Callable[[object], Trial]:
        def factory(task: object) -> Trial:
            def run() -> Outcome:
                calls.append(name)
                return _fake_outcome()

            return Trial(name, run)

        return factory

    def missing(task: object) -> Trial:
        raise Unavailable("not installed")

    def late_missing(task: object) -> Trial:
        def run() -> Outcome:
            raise Unavailable("backend not written")

        return Trial("late", run)

    def broken(task: object) -> Trial:
        def run() -> Outcome:
            raise RuntimeError("boom")

        return Trial("broken", run)

    factories = {
        "a": ok_factory("a"),
        "missing": missing,
        "late": late_missing,
        "broken": broken,
        "b": ok_factory("b"),
    }
    task = make_task(WORKLOADS[0], quick=True, epochs=2)
    result = {m.name: m for m in timing.measure(task, factories, repeats=3)}
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]
    assert (
        result["missing"].status == "n/a" and "not installed" in result["missing"].note
    )
    assert result["late"].status == "n/a"
    assert result["broken"].status == "error" and "boom" in result["broken"].note
    assert len(result["a"].call_times_s) == 3 and result["a"].first_call_s is not None


def test_a_row_over_its_time_budget_sits_out_the_remaining_rounds() -> None:
    def factory(task: object) -> Trial:
        return Trial("slow", _fake_outcome)

    task = make_task(WORKLOADS[0], quick=True, epochs=2)
    (meas,) = timing.measure(task, {"slow": factory}, repeats=4, budget_s=1e-12)
    assert len(meas.call_times_s) == 1
    assert "1/4 calls (time budget)" in meas.note
    (meas,) = timing.measure(task, {"slow": factory}, repeats=4, budget_s=None)
    assert len(meas.call_times_s) == 4 and meas.note == ""


def test_fnnet_numba_row_is_not_available_or_agrees() -> None:
    _fnnet_or_skip()
    from bench.impls import IMPLEMENTATIONS, REFERENCE

    task = make_task(WORKLOADS[0], quick=True, epochs=50)
    names = ("baseline", REFERENCE, "fnnet-numba")
    ms = timing.measure(task, {n: IMPLEMENTATIONS[n] for n in names}, repeats=1)
    rows = {r["implementation"]: r for r in report.rows_for(task, ms, REFERENCE)}
    assert rows["fnnet-numba"]["status"] in ("ok", "n/a")
    if rows["fnnet-numba"]["status"] == "ok":
        assert rows["fnnet-numba"]["check"] == "ok"
    assert rows["baseline"]["check"] == "ok"


@pytest.mark.parametrize("w", SMALL, ids=lambda w: w.name)
@pytest.mark.parametrize("name", ["torch", "jax", "sklearn"])
def test_frameworks_do_the_same_maths(name: str, w: Workload) -> None:
    from bench.impls import IMPLEMENTATIONS

    task = make_task(w, quick=True)
    try:
        trial = IMPLEMENTATIONS[name](task)
    except Unavailable as exc:
        pytest.skip(str(exc))
    reference = IMPLEMENTATIONS["baseline"](task).run()
    if trial.setup is not None:
        trial.setup()
    check = checks.compare(trial.run(), reference, w.dtype, comparable=trial.comparable)
    assert check.verdict == ("ok" if trial.comparable else "n/c"), check


def test_write_atomic_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.json"
    report.write_atomic(target, "old")
    report.write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_quick_run_writes_json_markdown_and_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--quick", "--only", "xor", "--repeats", "1", "--no-probes"]
    argv += [
        "--impls",
        "baseline,fnnet-numpy,fnnet-numba",
        "--results-dir",
        str(tmp_path),
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "| xor | baseline |" in printed
    (js,) = tmp_path.glob("*-quick-xor.json")
    data = json.loads(js.read_text())
    assert {r["implementation"] for r in data["results"]} == {
        "baseline",
        "fnnet-numpy",
        "fnnet-numba",
    }
    assert (
        data["machine"]["cores"] >= 1 and "OPENBLAS_CORETYPE" in data["machine"]["env"]
    )
    assert js.with_suffix(".md").exists()
    pytest.importorskip("matplotlib")
    assert js.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
