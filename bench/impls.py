"""The implementations under test, by name, in table order.

``lean`` (the plain NumPy loop of :mod:`bench.lean`, the headline
yardstick), ``baseline`` (the tutorial loop of :mod:`bench.baseline`) and
fnnet's rows live here; PyTorch, JAX and scikit-learn in :mod:`bench.frameworks`.
Each factory takes a :class:`~bench.workloads.Task` and returns a
:class:`~bench.trial.Trial`, or raises :class:`~bench.trial.Unavailable`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import baseline, frameworks, lean
from .trial import Outcome, Trial, Unavailable
from .workloads import Task

__all__ = ["IMPLEMENTATIONS", "REFERENCE"]

#: The implementation every other one is checked against (when available).
REFERENCE = "fnnet-numpy"


def baseline_trial(task: Task) -> Trial:
    """The tutorial-style loop of :mod:`bench.baseline`."""
    w = task.workload

    def run() -> Outcome:
        params, costs = baseline.train(
            task.params0,
            task.X,
            task.Y,
            epochs=task.epochs,
            learning_rate=w.learning_rate,
            optimizer=w.optimizer,
            hidden=w.hidden,
            output=w.output,
            batch_size=w.batch_size,
            orders=task.orders,
        )
        return Outcome(params, costs)

    return Trial("baseline", run)


def lean_trial(task: Task) -> Trial:
    """The lean loop of :mod:`bench.lean`, on rows of examples.

    Its users hold their data as rows, so the transposed copies are made
    once here, untimed.
    """
    w = task.workload
    X_rows, Y_rows = np.ascontiguousarray(task.X.T), np.ascontiguousarray(task.Y.T)

    def run() -> Outcome:
        params = lean.train(
            task.params0,
            X_rows,
            Y_rows,
            epochs=task.epochs,
            learning_rate=w.learning_rate,
            optimizer=w.optimizer,
            hidden=w.hidden,
            output=w.output,
            batch_size=w.batch_size,
            orders=task.orders,
        )
        return Outcome(params, np.empty(0))

    return Trial("lean", run, note="no cost per epoch")


def _import_fnnet() -> Any:
    try:
        import fnnet as fn
    except ImportError as exc:
        raise Unavailable(f"fnnet is not importable ({exc})") from exc
    if not hasattr(fn, "train") or not hasattr(fn, "initialize"):
        raise Unavailable("fnnet is not importable yet (no fnnet.train)")
    return fn


def _fnnet_trial(task: Task, backend: str) -> Trial:
    fn = _import_fnnet()
    w = task.workload
    kwargs: dict[str, Any] = {
        "epochs": task.epochs,
        "batch_size": w.batch_size,
        "hidden": w.hidden,
        "output": w.output,
        "backend": backend,
        "seed": 0,
    }
    if w.optimizer == "sgd":
        kwargs["learning_rate"] = w.learning_rate
    else:
        kwargs["optimizer"] = getattr(fn.optim, w.optimizer)(w.learning_rate)

    def run() -> Outcome:
        try:
            params, history = fn.train(task.params0, task.X, task.Y, **kwargs)
        except (NotImplementedError, ValueError, ImportError) as exc:
            if backend == "numpy" and not isinstance(exc, NotImplementedError):
                raise
            raise Unavailable(
                f"backend={backend!r}: {type(exc).__name__}: {exc}"
            ) from exc
        return Outcome(params, np.asarray(history.costs))

    return Trial(f"fnnet-{backend}", run)


def fnnet_numpy_trial(task: Task) -> Trial:
    """``fnnet.train(..., backend="numpy")``, the reference."""
    return _fnnet_trial(task, "numpy")


def fnnet_numba_trial(task: Task) -> Trial:
    """``fnnet.train(..., backend="numba")``, the compiled loop."""
    return _fnnet_trial(task, "numba")


def fnnet_sklearn_trial(task: Task) -> Trial:
    """``fnnet.sklearn``'s estimator on the compiled backend: its overhead over
    ``fnnet.train`` (rows in, labels in, validation and a Model built)."""
    _import_fnnet()
    try:
        from fnnet.sklearn import FnnetClassifier, FnnetRegressor
    except ImportError as exc:
        raise Unavailable(f"fnnet.sklearn needs scikit-learn ({exc})") from exc
    w = task.workload
    if w.output == "sigmoid" and w.sizes[-1] != 1:
        raise Unavailable("multi-label sigmoid outputs have no estimator")
    options = {
        "hidden_sizes": tuple(w.sizes[1:-1]),
        "hidden": w.hidden,
        "optimizer": w.optimizer,
        "learning_rate": w.learning_rate,
        "epochs": task.epochs,
        "batch_size": w.batch_size,
        "standardize": False,
        "backend": "numba",
        "dtype": np.dtype(w.dtype).name,
        "seed": 0,
    }
    rows = np.ascontiguousarray(task.X.T)
    if w.output == "identity":
        est, y = FnnetRegressor(**options), np.ascontiguousarray(task.Y.T)
    else:
        est = FnnetClassifier(output=w.output, **options)
        y = task.Y[0] if w.output == "sigmoid" else task.Y.argmax(axis=0)

    def run() -> Outcome:
        est.fit(rows, y)
        return Outcome(est.model_.params, np.asarray(est.loss_curve_))

    # fit initializes for the hidden activation: He for relu, Xavier (as the
    # workloads' shared initial parameters) otherwise
    comparable = w.hidden != "relu"
    note = "FnnetClassifier.fit" + ("" if comparable else ", He init: not comparable")
    return Trial("fnnet-sklearn", run, note=note, comparable=comparable)


#: Name -> factory, in table order. The two NumPy yardsticks come first.
IMPLEMENTATIONS: Mapping[str, Callable[[Task], Trial]] = {
    "lean": lean_trial,
    "baseline": baseline_trial,
    "fnnet-numpy": fnnet_numpy_trial,
    "fnnet-numba": fnnet_numba_trial,
    "fnnet-sklearn": fnnet_sklearn_trial,
    "torch": frameworks.torch_trial,
    "torch-1t": frameworks.torch_1t_trial,
    "jax": frameworks.jax_trial,
    "sklearn": frameworks.sklearn_trial,
}
