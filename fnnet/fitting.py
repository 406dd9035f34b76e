"""Model fitting: from a data set and settings to a trained Model and its History.

This is the recipe ``fnnet train`` runs, as a library function: check the
settings, load the data, resolve the settings that depend on the data (once),
split off validation examples, standardize with training statistics, train,
and bundle everything needed to predict into a :class:`fnnet.model.Model`.
The command line, scripts, estimators and sweeps all call :func:`fit`.
"""

from __future__ import annotations

import numbers
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from . import data
from ._run import History
from ._validation import (
    check_choice,
    check_dtype,
    check_fraction,
    check_int,
    check_matrix,
    check_positive_float,
    check_positive_int,
    check_same_m,
)
from ._version import __version__
from .activations import HIDDEN, OUTPUTS
from .data import TASK_OUTPUTS, Dataset, Standardizer
from .model import Model
from .network import evaluate
from .optim import OPTIMIZERS
from .params import initialize
from .train import check_backend, execute, prepare_run

Array = NDArray[np.floating]
#: Built-in truth tables (the other built-in, ``diabetes``, is a CSV file).
TABLES = tuple(name for name in data.BUILTIN if name != "diabetes")
#: The target column of a truth table.
TABLE_TARGET = "y"


class Defaults(NamedTuple):
    """The training settings that depend on the kind of data."""

    hidden_sizes: tuple[int, ...]
    epochs: int
    sgd_rate: float
    validation_fraction: float
    standardize: bool


#: Truth tables: the tutorial networks, trained on every row as they are.
TABLE_DEFAULTS = Defaults((4,), 2000, 1.2, 0.0, False)
#: CSV data (files, the built-in diabetes CSV, and any Dataset given to fit).
CSV_DEFAULTS = Defaults((8,), 500, 0.5, 0.2, True)
#: Default learning rates of the optimizers other than sgd.
RATES = {"momentum": 0.1, "adam": 0.01}


class Settings(NamedTuple):
    """Every option of ``fnnet train``; ``None`` means "the default for the data".

    :func:`fit` returns them resolved: nothing is ``None`` then but
    ``batch_size`` (full batch) and ``patience`` (no early stopping).
    """

    hidden_sizes: tuple[int, ...] | None = None
    hidden: str = "tanh"
    output: str | None = None
    optimizer: str = "sgd"
    backend: str = "numba"
    standardize: bool | None = None
    learning_rate: float | None = None
    epochs: int | None = None
    batch_size: int | None = None
    seed: int = 0
    validation_fraction: float | None = None
    patience: int | None = None
    l2: float = 0.0
    dtype: str = "float64"


class Source(NamedTuple):
    """Where a named data set comes from: a truth table (no path) or a CSV file."""

    name: str
    path: Path | None
    target: str | None
    defaults: Defaults


def source_of(name: str | os.PathLike[str]) -> Source:
    """Resolve a data name as the command line does: a built-in name wins.

    Examples
    --------
    >>> source_of("xor").path is None, source_of("diabetes").target
    (True, 'Diabetes')
    """
    text = os.fspath(name)
    if text in TABLES:
        sizes = () if text == "three_bit" else TABLE_DEFAULTS.hidden_sizes
        return Source(
            text, None, TABLE_TARGET, TABLE_DEFAULTS._replace(hidden_sizes=sizes)
        )
    if text == "diabetes":
        return Source(text, data.diabetes_csv(), "Diabetes", CSV_DEFAULTS)
    return Source(text, Path(text), None, CSV_DEFAULTS)


class Parts(NamedTuple):
    """The arrays training saw: split, then scaled with training statistics."""

    X: Array
    Y: Array
    X_val: Array | None
    Y_val: Array | None


class Scores(NamedTuple):
    """Cost and accuracy of the returned parameters on each part.

    ``None`` where a metric does not apply: no validation part, or accuracy
    for regression.
    """

    train_cost: float
    train_accuracy: float | None
    val_cost: float | None
    val_accuracy: float | None


class FitResult(NamedTuple):
    """What :func:`fit` made: the model, its history, and how it came about."""

    model: Model
    history: History
    settings: Settings
    parts: Parts
    seconds: float

    def scores(self) -> Scores:
        """Cost and accuracy on the training and validation parts."""
        m, found = self.model, []
        for X, Y in (
            (self.parts.X, self.parts.Y),
            (self.parts.X_val, self.parts.Y_val),
        ):
            if X is None:
                found += [None, None]
                continue
            J, acc = evaluate(m.params, X, Y, m.hidden, m.output, m.loss)
            found += [J, None if np.isnan(acc) else acc]
        return Scores(found[0], found[1], found[2], found[3])


class Job(NamedTuple):
    """A fit ready to run: the data checked, every setting resolved."""

    dataset: Dataset
    settings: Settings
    name: str
    target: str


def fit(
    dataset: Dataset | str | os.PathLike[str],
    settings: Settings | None = None,
    *,
    target: str | None = None,
    features: list[str] | None = None,
    task: str | None = None,
    name: str | None = None,
    callback: Callable[[int, float], Any] | None = None,
    label: Callable[[str], str] = str,
) -> FitResult:
    """Train a model on a data set: the recipe of ``fnnet train``.

    ``fit(...)`` is ``run(prepare(...), callback)``: :func:`prepare` checks
    the settings and data and resolves the defaults; :func:`run` trains.

    Parameters
    ----------
    dataset : Dataset, or str or PathLike
        A :class:`fnnet.data.Dataset` (for example from
        :func:`fnnet.data.load_csv`), a built-in name (:data:`fnnet.data.BUILTIN`)
        or the path of a CSV file (a built-in name wins: write ``./xor`` for a
        file called ``xor``).
    settings : Settings, optional
        Options as ``fnnet train`` takes them; ``None`` fields get the
        defaults for the kind of data (truth tables or other data).
    target : str, optional
        The target column of a CSV file (as in :func:`fnnet.data.load_csv`),
        or the name the model gives a Dataset's target (default ``"y"``).
    features, task
        For a CSV path only: as in :func:`fnnet.data.load_csv`.
    name : str, optional
        How the model's record names the data (default: the name or path
        given, or ``"data"`` for a Dataset).
    callback : callable, optional
        ``callback(epoch, cost)`` as in :func:`fnnet.train`.
    label : callable, optional
        How error messages name a setting, e.g. ``"epochs"`` -> ``"--epochs"``.

    Returns
    -------
    result : FitResult
        ``result.model`` (save it with :func:`fnnet.model.save_model`),
        ``result.history``, the resolved ``result.settings``, the arrays
        trained on (``result.parts``) and ``result.seconds``.

    Raises
    ------
    ValueError, TypeError
        For settings or data that do not fit, before any training.
    FloatingPointError
        If training diverges.

    Examples
    --------
    >>> result = fit("xor", Settings(backend="numpy"))
    >>> result.model.task, result.settings.epochs, result.settings.hidden_sizes
    ('binary', 2000, (4,))
    >>> round(result.scores().train_accuracy, 2)
    1.0
    """
    job = prepare(
        dataset,
        settings,
        target=target,
        features=features,
        task=task,
        name=name,
        label=label,
    )
    return run(job, callback)


def prepare(
    dataset: Dataset | str | os.PathLike[str],
    settings: Settings | None = None,
    *,
    target: str | None = None,
    features: list[str] | None = None,
    task: str | None = None,
    name: str | None = None,
    label: Callable[[str], str] = str,
) -> Job:
    """Check the settings, load and check the data, resolve the defaults once.

    Arguments as for :func:`fit`. Nothing is trained; ``job.settings`` tells
    what :func:`run` will do (for example how many epochs, for a progress bar).
    """
    s = check_settings(Settings() if settings is None else settings, label)
    ds, src = _dataset(dataset, s.dtype, target, features, task)
    s = _resolve(s, src.defaults, ds.task, label)
    if ds.task == "binary" and s.output == "softmax":
        ds = data.as_multiclass(ds)
    return Job(ds, s, name or src.name, src.target)


def run(job: Job, callback: Callable[[int, float], Any] | None = None) -> FitResult:
    """Split, standardize, train and build the model of a prepared :class:`Job`."""
    s, ds = job.settings, job.dataset
    parts, scaling = _split_and_scale(ds, s)
    params, history, seconds = _train(parts, s, callback)
    training = {
        "data": job.name,
        **s._asdict(),
        "epochs_run": len(history.costs),
        "best_epoch": history.best_epoch + 1,
        "stopped_early": bool(history.stopped_early),
    }
    model = Model(
        params=params,
        hidden=s.hidden,
        output=s.output,
        task=ds.task,
        feature_names=ds.feature_names,
        target=job.target,
        classes=ds.classes,
        scaling=scaling,
        version=__version__,
        training=training,
    )
    return FitResult(model, history, s, parts, seconds)


def check_settings(s: Settings, label: Callable[[str], str] = str) -> Settings:
    """Check every given setting's type and range; ``None`` means the default.

    ``label`` names a setting in messages (the command line passes its flags).
    """
    if not isinstance(s, Settings):
        raise TypeError(f"settings must be fnnet.fitting.Settings, found {s!r}")
    checks: dict[str, Callable[[str, Any], Any]] = {
        "hidden_sizes": _check_hidden_sizes,
        "hidden": lambda n, v: check_choice(n, v, HIDDEN),
        "output": lambda n, v: check_choice(n, v, OUTPUTS),
        "optimizer": lambda n, v: check_choice(n, v, tuple(OPTIMIZERS)),
        "backend": check_backend,
        "standardize": _check_bool,
        "learning_rate": check_positive_float,
        "epochs": check_positive_int,
        "batch_size": check_positive_int,
        "seed": check_int,
        "validation_fraction": check_fraction,
        "patience": check_positive_int,
        "l2": lambda n, v: check_positive_float(n, v, allow_zero=True),
        "dtype": lambda n, v: check_dtype(v).name,
    }
    given, default = s._asdict(), Settings._field_defaults
    return Settings(
        **{
            field: default[field]
            if given[field] is None
            else check(label(field), given[field])
            for field, check in checks.items()
        }
    )


def _check_hidden_sizes(name: str, value: Any) -> tuple[int, ...]:
    sizes = tuple(value)
    if not all(
        isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0
        for n in sizes
    ):
        raise ValueError(
            f"{name} must be positive ints, found {list(sizes)} "
            f"(an empty {name} means no hidden layer)"
        )
    return tuple(int(n) for n in sizes)


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, found {value!r}")
    return bool(value)


def _dataset(
    given: Any,
    dtype: str,
    target: str | None,
    features: list[str] | None,
    task: str | None,
) -> tuple[Dataset, Source]:
    """The data set to train on, checked once, and where it came from."""
    if isinstance(given, Dataset):
        if (features, task) != (None, None):
            raise ValueError("features and task apply to a CSV path, not a Dataset")
        checked = _checked(given, dtype)
        return checked, Source("data", None, target or TABLE_TARGET, CSV_DEFAULTS)
    if not isinstance(given, (str, os.PathLike)):
        raise TypeError(
            "dataset must be a fnnet.data.Dataset, a built-in name or a CSV path, "
            f"found {type(given).__name__}"
        )
    src = source_of(given)
    if src.path is None:
        if (target, features, task) != (None, None, None):
            raise ValueError(
                f"target, features and task apply to CSV data, not {src.name}"
            )
        return data.load_builtin(src.name, dtype=dtype), src
    target = target or src.target
    if target is None:
        raise ValueError(f"target is required for a CSV file: a column of {src.name}")
    ds = data.load_csv(src.path, target, features, task=task or "auto", dtype=dtype)
    return ds, src._replace(target=target)


def _checked(ds: Dataset, dtype: str) -> Dataset:
    """A Dataset made by the caller: arrays finite and consistent with its task."""
    check_choice("dataset.task", ds.task, tuple(TASK_OUTPUTS))
    X = check_matrix("dataset.X", ds.X, np.dtype(dtype))
    Y = check_matrix("dataset.Y", ds.Y, np.dtype(dtype))
    check_same_m(X, Y, "dataset.X", "dataset.Y")
    if len(ds.feature_names) != X.shape[0]:
        raise ValueError(
            f"dataset.feature_names has {len(ds.feature_names)} names for the "
            f"{X.shape[0]} rows of dataset.X"
        )
    want = len(ds.classes or ()) if ds.task == "multiclass" else Y.shape[0]
    if (ds.classes is None) != (ds.task == "regression") or Y.shape[0] != want:
        raise ValueError(
            f"dataset.classes {ds.classes!r} do not fit a {ds.task} target with "
            f"{Y.shape[0]} rows"
        )
    return ds._replace(X=X, Y=Y)


def _resolve(
    s: Settings, d: Defaults, task: str, label: Callable[[str], str]
) -> Settings:
    """The settings with every data-dependent default filled in, checked together."""
    output = s.output or TASK_OUTPUTS[task][0]
    fits = TASK_OUTPUTS[task] + (("softmax",) if task == "binary" else ())
    if output not in fits:
        takes = " or ".join(fits)
        hint = f" ({label('task')} reads a numeric column as classes)"
        raise ValueError(
            f"{label('output')} {output} does not fit the {task} target, which takes "
            f"{label('output')} {takes}" + hint * (task == "regression")
        )
    fraction = (
        d.validation_fraction
        if s.validation_fraction is None
        else s.validation_fraction
    )
    if s.patience is not None and fraction == 0:
        raise ValueError(
            f"{label('patience')} needs validation data: give "
            f"{label('validation_fraction')}"
        )
    rate = RATES.get(s.optimizer, d.sgd_rate)
    return Settings(
        hidden_sizes=d.hidden_sizes if s.hidden_sizes is None else s.hidden_sizes,
        hidden=s.hidden,
        output=output,
        optimizer=s.optimizer,
        backend=s.backend,
        standardize=d.standardize if s.standardize is None else s.standardize,
        learning_rate=rate if s.learning_rate is None else s.learning_rate,
        epochs=d.epochs if s.epochs is None else s.epochs,
        batch_size=s.batch_size,
        seed=s.seed,
        validation_fraction=fraction,
        patience=s.patience,
        l2=s.l2,
        dtype=s.dtype,
    )


def _split_and_scale(ds: Dataset, s: Settings) -> tuple[Parts, Standardizer | None]:
    """Split off the validation examples, then standardize with the rest.

    The data are checked already, so the unchecked cores of
    :func:`fnnet.data.split` and :func:`fnnet.data.standardize` do the work.
    """
    X, Y, X_val, Y_val = ds.X, ds.Y, None, None
    if s.validation_fraction > 0:
        X, Y, X_val, Y_val = data.split(
            X, Y, fraction=s.validation_fraction, seed=s.seed
        )
    if not s.standardize:
        return Parts(X, Y, X_val, Y_val), None
    X, scaling = data.standardize(X)
    if X_val is not None:
        X_val, _ = data.standardize(X_val, scaling)
    return Parts(X, Y, X_val, Y_val), scaling


def _train(
    p: Parts, s: Settings, callback: Callable[[int, float], Any] | None
) -> tuple[Any, History, float]:
    """Initialize and train; return the parameters, history and seconds taken."""
    sizes = (p.X.shape[0], *s.hidden_sizes, p.Y.shape[0])
    params = initialize(sizes, seed=s.seed, scheme=s.hidden, dtype=s.dtype)
    run = prepare_run(
        params,
        p.X,
        p.Y,
        epochs=s.epochs,
        optimizer=OPTIMIZERS[s.optimizer](s.learning_rate),
        batch_size=s.batch_size,
        hidden=s.hidden,
        output=s.output,
        seed=s.seed,
        l2=s.l2,
        validation=None if p.X_val is None else (p.X_val, p.Y_val),
        patience=s.patience,
        callback=callback,
        assume_finite=True,
    )
    start = time.perf_counter()
    # train raises FloatingPointError on a non-finite cost: NumPy's warnings on
    # the way there would only add noise to that error
    with np.errstate(all="ignore"):
        params, history = execute(run, s.backend)
    return params, history, time.perf_counter() - start
