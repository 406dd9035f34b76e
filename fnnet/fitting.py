"""Model fitting: from a data set and settings to a trained Model and its History.

This is the recipe ``fnnet train`` runs, as a library function: check the
settings, load the data, resolve the settings that depend on the data (once),
split off validation examples, standardize with training statistics, train,
and bundle everything needed to predict into a :class:`fnnet.model.Model`.
The command line, scripts, estimators and sweeps all call :func:`fit`.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from . import data
from ._run import History
from ._validation import (
    check_choice,
    check_matrix,
    check_params,
    check_same_m,
    check_standardizer,
)
from ._version import __version__
from .data import TASK_OUTPUTS, Dataset, Standardizer
from .data.preprocessing import _apply_standardizer, _fit_standardizer, _split
from .model import Model
from .network import evaluate
from .optim import OPTIMIZERS
from .params import Tree, initialize, sizes_of
from .settings import (
    CSV_DEFAULTS,
    TABLE_TARGET,
    Settings,
    Source,
    check_settings,
    resolve_settings,
    source_of,
)
from .train import execute, prepare_run

Array = NDArray[np.floating]
__all__ = [
    "Checkpoint",
    "FitResult",
    "Job",
    "Parts",
    "Scores",
    "Settings",
    "fit",
    "prepare",
    "run",
]


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


class Checkpoint(NamedTuple):
    """Where a fit stopped, to go on from: ``fit(..., resume=result.checkpoint)``.

    The returned parameters, the optimizer's state after the last epoch, the
    minibatch-order generator as training left it, and the scaling the
    parameters were trained with (kept, not refitted, when training goes on).
    Two fits of 50 epochs, the second resuming the first, give the parameters
    of one fit of 100 on the same data and settings.
    """

    params: Tree
    state: Any
    rng: np.random.Generator
    scaling: Standardizer | None


class FitResult(NamedTuple):
    """What :func:`fit` made: the model, its history, and how it came about."""

    model: Model
    history: History
    settings: Settings
    parts: Parts
    seconds: float
    checkpoint: Checkpoint

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
    resume: Checkpoint | None = None,
    progress: Callable[[int, int], Any] | None = None,
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
    progress : callable, optional
        ``progress(bytes_read, bytes_in_file)`` while a CSV file loads (see
        :func:`fnnet.data.load_csv`).
    resume : Checkpoint, optional
        Go on from an earlier fit's ``result.checkpoint`` (its parameters,
        optimizer state, minibatch order and scaling) for ``epochs`` more.

    Returns
    -------
    result : FitResult
        ``result.model`` (save it with :func:`fnnet.model.save_model`),
        ``result.history``, the resolved ``result.settings``, the arrays
        trained on (``result.parts``), ``result.seconds`` and
        ``result.checkpoint`` (to go on with ``resume=``).

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
        progress=progress,
    )
    return run(job, callback, resume)


def prepare(
    dataset: Dataset | str | os.PathLike[str],
    settings: Settings | None = None,
    *,
    target: str | None = None,
    features: list[str] | None = None,
    task: str | None = None,
    name: str | None = None,
    label: Callable[[str], str] = str,
    progress: Callable[[int, int], Any] | None = None,
) -> Job:
    """Check the settings, load and check the data, resolve the defaults once.

    Arguments as for :func:`fit`. Nothing is trained; ``job.settings`` tells
    what :func:`run` will do (for example how many epochs, for a progress bar).
    """
    s = check_settings(Settings() if settings is None else settings, label)
    ds, src = _dataset(dataset, s.dtype, target, features, task, progress)
    s = resolve_settings(s, src.defaults, ds.task, label)
    if ds.task == "binary" and s.output == "softmax":
        ds = data.as_multiclass(ds)
    return Job(ds, s, name or src.name, src.target)


def run(
    job: Job,
    callback: Callable[[int, float], Any] | None = None,
    resume: Checkpoint | None = None,
) -> FitResult:
    """Split, standardize, train and build the model of a prepared :class:`Job`.

    With ``resume``, training goes on from that checkpoint (see :func:`fit`).
    """
    s, ds = job.settings, job.dataset
    if resume is not None:
        _check_resume(resume, ds, s)
    parts, scaling = _split_and_scale(ds, s, resume)
    params, history, seconds, rng = _train(parts, s, callback, resume)
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
    checkpoint = Checkpoint(params, history.state, rng, scaling)
    return FitResult(model, history, s, parts, seconds, checkpoint)


def _dataset(
    given: Any,
    dtype: str,
    target: str | None,
    features: list[str] | None,
    task: str | None,
    progress: Callable[[int, int], Any] | None,
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
    ds = data.load_csv(
        src.path, target, features, task=task or "auto", dtype=dtype, progress=progress
    )
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


def _check_resume(resume: Any, ds: Dataset, s: Settings) -> None:
    """A checkpoint of a network that fits these data and settings."""
    if not isinstance(resume, Checkpoint):
        raise TypeError(f"resume must be a Checkpoint, found {type(resume).__name__}")
    want = (ds.X.shape[0], *s.hidden_sizes, ds.Y.shape[0])
    _, dtype = check_params(resume.params, "resume.params")
    if sizes_of(resume.params) != want or dtype != np.dtype(s.dtype):
        raise ValueError(
            f"resume.params are a {sizes_of(resume.params)} {dtype} network, but "
            f"these data and settings make a {want} {s.dtype} one"
        )
    if resume.scaling is not None:
        check_standardizer("resume.scaling", resume.scaling, want[0], "the data")
    if not isinstance(resume.rng, np.random.Generator):
        raise TypeError(f"resume.rng must be a Generator, found {resume.rng!r}")


def _split_and_scale(
    ds: Dataset, s: Settings, resume: Checkpoint | None
) -> tuple[Parts, Standardizer | None]:
    """Split off the validation examples, then standardize with the rest.

    The data are checked already, so the unchecked cores of
    :func:`fnnet.data.split` and :func:`fnnet.data.standardize` do the work.
    A resumed fit keeps the scaling its parameters were trained with.
    """
    X, Y, X_val, Y_val = ds.X, ds.Y, None, None
    if s.validation_fraction > 0:
        X, Y, X_val, Y_val = _split(X, Y, s.validation_fraction, s.seed)
    if resume is not None:
        scaling = resume.scaling
    elif s.standardize:
        scaling = _fit_standardizer(X)
    else:
        scaling = None
    if scaling is None:
        return Parts(X, Y, X_val, Y_val), None
    X = _apply_standardizer(X, scaling)
    if X_val is not None:
        X_val = _apply_standardizer(X_val, scaling)
    return Parts(X, Y, X_val, Y_val), scaling


def _train(
    p: Parts,
    s: Settings,
    callback: Callable[[int, float], Any] | None,
    resume: Checkpoint | None,
) -> tuple[Tree, History, float, np.random.Generator]:
    """Initialize (or resume) and train.

    Returns the parameters, the history, the seconds taken and the
    minibatch-order generator as training left it.
    """
    if resume is None:
        sizes = (p.X.shape[0], *s.hidden_sizes, p.Y.shape[0])
        params = initialize(sizes, seed=s.seed, scheme=s.hidden, dtype=s.dtype)
        state, rng = None, np.random.default_rng(s.seed)
    else:  # a copy: the checkpoint stays as it was
        params, state, rng = resume.params, resume.state, copy.deepcopy(resume.rng)
    run = prepare_run(
        params,
        p.X,
        p.Y,
        epochs=s.epochs,
        optimizer=OPTIMIZERS[s.optimizer](s.learning_rate),
        batch_size=s.batch_size,
        hidden=s.hidden,
        output=s.output,
        seed=rng,
        l2=s.l2,
        validation=None if p.X_val is None else (p.X_val, p.Y_val),
        patience=s.patience,
        callback=callback,
        state=state,
        assume_finite=True,
    )
    start = time.perf_counter()
    # train raises FloatingPointError on a non-finite cost: NumPy's warnings on
    # the way there would only add noise to that error
    with np.errstate(all="ignore"):
        params, history = execute(run, s.backend)
    return params, history, time.perf_counter() - start, rng
