"""scikit-learn estimators over :func:`fnnet.fit`: a classifier and a regressor.

An edge of the library (it needs the extra ``fnnet[sklearn]``): the
estimators turn scikit-learn's rows-are-examples arrays around once, call
:func:`fnnet.fitting.fit` and keep the :class:`fnnet.model.Model` it makes.
They train nothing themselves. ``warm_start=True`` and :meth:`partial_fit`
resume from the last fit's checkpoint (parameters, optimizer state, minibatch
order, scaling), so two calls of 50 epochs equal one of 100.

>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True)
>>> clf = FnnetClassifier(hidden_sizes=(16,), epochs=300).fit(X, y)
>>> clf.score(X, y) > 0.9, clf.classes_.tolist()
(True, [0, 1, 2])
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
except ImportError as e:  # pragma: no cover - exercised with scikit-learn absent
    raise ImportError(
        "fnnet.sklearn needs scikit-learn, which is not installed: "
        'pip install "fnnet[sklearn]"'
    ) from e

from .data import Dataset, one_hot
from .fitting import FitResult, fit
from .model import class_probabilities, load_model, model_outputs, save_model
from .settings import Settings

__all__ = ["FnnetClassifier", "FnnetRegressor"]

#: The estimators' parameters that are fnnet training settings, by name.
_SETTINGS = (
    "hidden_sizes",
    "hidden",
    "optimizer",
    "learning_rate",
    "epochs",
    "batch_size",
    "l2",
    "validation_fraction",
    "patience",
    "standardize",
    "backend",
    "dtype",
    "seed",
)


class _FnnetEstimator(BaseEstimator):
    """What both estimators share: settings, fitting, resuming, model files."""

    _task_output: str | None = None  # the output layer, where the task fixes it

    def _settings(self) -> Settings:
        given = {name: getattr(self, name) for name in _SETTINGS}
        given["output"] = getattr(self, "output", None) or self._task_output
        return Settings(**given)

    def fit(self, X: Any, y: Any) -> _FnnetEstimator:
        """Train on ``X`` (rows are examples) and ``y``; with ``warm_start``, go on."""
        resume = self.warm_start and hasattr(self, "model_")
        return self._fit(X, y, resume=resume, classes=None)

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> _FnnetEstimator:
        """Train ``epochs`` more epochs on ``X`` and ``y``, from where training stopped.

        The first call sets the scaling (``standardize``) and, for a
        classifier, the classes (``classes`` lists them all; default: those
        in ``y``).
        """
        return self._fit(X, y, resume=hasattr(self, "model_"), classes=classes)

    def _fit(self, X: Any, y: Any, *, resume: bool, classes: Any) -> _FnnetEstimator:
        dtype = np.float32 if self.dtype == "float32" else np.float64
        X, y = validate_data(
            self, X, y, reset=not resume, dtype=dtype, **self._y_options()
        )
        ds = self._dataset(X, y, first=not resume, classes=classes)
        result = fit(
            ds,
            self._settings(),
            target="y",
            name=type(self).__name__,
            resume=self._checkpoint if resume else None,
        )
        self._record(result, resume)
        return self

    def _record(self, result: FitResult, resume: bool) -> None:
        """Keep the model and checkpoint; extend the curves when training went on."""
        h, before = result.history, self.n_iter_ if resume else 0
        losses, val = list(h.costs), [] if h.val_costs is None else list(h.val_costs)
        scores = self._validation_scores(result)
        if resume:
            losses = self.loss_curve_ + losses
            val = self.validation_loss_curve_ + val
            scores = self.validation_scores_ + scores
        self.model_, self._checkpoint = result.model, result.checkpoint
        self.loss_curve_, self.validation_loss_curve_ = losses, val
        self.validation_scores_ = scores
        self.n_iter_ = before + len(h.costs)
        self.best_epoch_ = before + h.best_epoch

    def _features(self) -> tuple[str, ...]:
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return tuple(str(n) for n in names)
        return tuple(f"x{i}" for i in range(self.n_features_in_))

    def _outputs(self, X: Any) -> np.ndarray:
        """The network's outputs for rows ``X``, one row per example."""
        check_is_fitted(self, "model_")
        dtype = self.model_.params["W1"].dtype
        X = validate_data(self, X, reset=False, dtype=dtype)
        return model_outputs(self.model_, X.T).T

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted model as an fnnet model file (``.npz``, no pickle).

        The file works with ``fnnet predict`` and ``fnnet evaluate`` (on a CSV
        with the feature columns, named as in ``feature_names_in_`` or
        ``x0, x1, ...``) and with :meth:`load`. The optimizer state is not
        kept: a loaded estimator's ``partial_fit`` starts it afresh.
        """
        check_is_fitted(self, "model_")
        extra = {
            "estimator": type(self).__name__,
            "params": self._json_params(),
            "loss_curve": [float(v) for v in self.loss_curve_],
            **self._saved_labels(),
        }
        training = {**self.model_.training, "sklearn": extra}
        save_model(path, self.model_._replace(training=training))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> _FnnetEstimator:
        """An estimator from a file written by :meth:`save`, ready to predict."""
        model = load_model(path)
        extra = model.training.get("sklearn")
        if not isinstance(extra, dict) or extra.get("estimator") != cls.__name__:
            raise ValueError(f"{path} was not saved by {cls.__name__}.save")
        params = {
            **extra["params"],
            "hidden_sizes": tuple(extra["params"]["hidden_sizes"]),
        }
        est = cls(**params)
        est.model_, est._checkpoint = model, None
        est.n_features_in_ = len(model.feature_names)
        if extra.get("feature_names_in") is not None:
            est.feature_names_in_ = np.array(extra["feature_names_in"], dtype=object)
        est.loss_curve_ = list(extra["loss_curve"])
        est.validation_loss_curve_, est.validation_scores_ = [], []
        est.n_iter_, est.best_epoch_ = len(est.loss_curve_), len(est.loss_curve_) - 1
        est._restore_labels(extra)
        return est

    def _json_params(self) -> dict[str, Any]:
        params = self.get_params()
        params["hidden_sizes"] = [int(n) for n in params["hidden_sizes"]]
        return params

    def _saved_labels(self) -> dict[str, Any]:
        names = getattr(self, "feature_names_in_", None)
        return {"feature_names_in": None if names is None else [str(n) for n in names]}

    def _restore_labels(self, extra: dict[str, Any]) -> None:
        """Nothing more to restore by default (a classifier has its classes)."""

    def _validation_scores(self, result: FitResult) -> list[float]:
        """Per-epoch validation scores (none without a validation part)."""
        raise NotImplementedError

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


class FnnetClassifier(ClassifierMixin, _FnnetEstimator):
    """A fnnet network as a scikit-learn classifier.

    Parameters
    ----------
    hidden_sizes : tuple of int, default (100,)
        Widths of the hidden layers; ``()`` is logistic regression.
    hidden : {"tanh", "sigmoid", "relu"}, default "relu"
    output : {"sigmoid", "softmax"}, optional
        Default: sigmoid for two classes, softmax for more.
    optimizer : {"sgd", "momentum", "adam"}, default "adam"
    learning_rate : float, optional
        Default: sgd 0.5, momentum 0.1, adam 0.01.
    epochs : int, default 200
        Epochs per call of ``fit`` (or ``partial_fit``).
    batch_size : int, optional
        Default: full batch.
    l2 : float, default 0.0
    validation_fraction : float, default 0.0
        Share held out to measure after every epoch (needed by ``patience``).
    patience : int, optional
        Stop when the validation cost has not improved for this many epochs.
    standardize : bool, default True
        Scale features with training statistics (kept in the model).
    backend : {"numba", "numpy"}, default "numba"
    dtype : {"float64", "float32"}, default "float64"
    seed : int, default 0
        Initialization, split and minibatch order.
    warm_start : bool, default False
        ``fit`` goes on from the last fit (optimizer state included).

    Attributes
    ----------
    classes_ : ndarray
    model_ : fnnet.model.Model
    loss_curve_, validation_loss_curve_ : list of float
        Training and validation cost per epoch, over all calls.
    validation_scores_ : list of float
        Validation accuracy per epoch.
    n_iter_ : int
        Epochs run, over all calls.
    best_epoch_ : int
        The epoch whose parameters are kept (the last, without ``patience``).
    n_features_in_, feature_names_in_
    """

    def __init__(
        self,
        hidden_sizes: tuple[int, ...] = (100,),
        hidden: str = "relu",
        output: str | None = None,
        optimizer: str = "adam",
        learning_rate: float | None = None,
        epochs: int = 200,
        batch_size: int | None = None,
        l2: float = 0.0,
        validation_fraction: float = 0.0,
        patience: int | None = None,
        standardize: bool = True,
        backend: str = "numba",
        dtype: str = "float64",
        seed: int = 0,
        warm_start: bool = False,
    ) -> None:
        self.hidden_sizes = hidden_sizes
        self.hidden = hidden
        self.output = output
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.l2 = l2
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.standardize = standardize
        self.backend = backend
        self.dtype = dtype
        self.seed = seed
        self.warm_start = warm_start

    def _y_options(self) -> dict[str, Any]:
        return {}

    def _dataset(self, X: Any, y: Any, *, first: bool, classes: Any) -> Dataset:
        check_classification_targets(y)
        y = column_or_1d(y, warn=True)
        if first:
            self.classes_ = np.unique(y if classes is None else np.asarray(classes))
        codes = np.searchsorted(self.classes_, y)
        codes = np.minimum(codes, len(self.classes_) - 1)
        if (self.classes_[codes] != y).any():
            unknown = np.unique(y[self.classes_[codes] != y])
            raise ValueError(f"y has labels {unknown} not in classes_ {self.classes_}")
        k = len(self.classes_)
        if k < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes in y, found 1 class "
                f"{self.classes_[0]!r}"
            )
        binary = k == 2 and self.output != "softmax"
        Y = codes[None, :] if binary else one_hot(codes, k)
        task = "binary" if k == 2 else "multiclass"
        names = _class_names(self.classes_)
        return Dataset(X.T, Y.astype(X.dtype), self._features(), names, task)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class (columns in ``classes_`` order)."""
        A = self._outputs(X).T
        return class_probabilities(self.model_, A).T

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row (threshold 0.5 for two classes)."""
        check_is_fitted(self, "model_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def _validation_scores(self, result: FitResult) -> list[float]:
        accuracies = result.history.val_accuracies
        return [] if accuracies is None else [float(a) for a in accuracies]

    def _saved_labels(self) -> dict[str, Any]:
        return {**super()._saved_labels(), "classes": self.classes_.tolist()}

    def _restore_labels(self, extra: dict[str, Any]) -> None:
        self.classes_ = np.array(extra["classes"])


class FnnetRegressor(RegressorMixin, _FnnetEstimator):
    """A fnnet network as a scikit-learn regressor (one or several outputs).

    Parameters and attributes as :class:`FnnetClassifier`, without
    ``output`` (always ``identity``) and ``classes_``; ``validation_scores_``
    holds the validation R² per epoch (variance-weighted over outputs).
    """

    _task_output = "identity"

    def __init__(
        self,
        hidden_sizes: tuple[int, ...] = (100,),
        hidden: str = "relu",
        optimizer: str = "adam",
        learning_rate: float | None = None,
        epochs: int = 200,
        batch_size: int | None = None,
        l2: float = 0.0,
        validation_fraction: float = 0.0,
        patience: int | None = None,
        standardize: bool = True,
        backend: str = "numba",
        dtype: str = "float64",
        seed: int = 0,
        warm_start: bool = False,
    ) -> None:
        self.hidden_sizes = hidden_sizes
        self.hidden = hidden
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.l2 = l2
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.standardize = standardize
        self.backend = backend
        self.dtype = dtype
        self.seed = seed
        self.warm_start = warm_start

    def _y_options(self) -> dict[str, Any]:
        return {"multi_output": True, "y_numeric": True}

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _dataset(self, X: Any, y: Any, *, first: bool, classes: Any) -> Dataset:
        if classes is not None:
            raise ValueError("classes applies to classifiers only")
        if first:
            self._one_output = y.ndim == 1
        Y = (y[:, None] if y.ndim == 1 else y).T.astype(X.dtype)
        return Dataset(X.T, Y, self._features(), None, "regression")

    def predict(self, X: Any) -> np.ndarray:
        """The network's outputs, one row per example (1-D for a 1-D ``y``)."""
        A = self._outputs(X)
        return A[:, 0] if self._one_output else A

    def _validation_scores(self, result: FitResult) -> list[float]:
        """R² from each epoch's mse cost, ``1 - 2 m J / total sum of squares``."""
        costs, Y = result.history.val_costs, result.parts.Y_val
        if costs is None:
            return []
        total = float(((Y - Y.mean(axis=1, keepdims=True)) ** 2).sum())
        if total == 0:
            return [float("nan")] * len(costs)
        return [1.0 - 2.0 * Y.shape[1] * float(J) / total for J in costs]

    def _saved_labels(self) -> dict[str, Any]:
        return {**super()._saved_labels(), "one_output": self._one_output}

    def _restore_labels(self, extra: dict[str, Any]) -> None:
        self._one_output = bool(extra["one_output"])


def _class_names(classes: np.ndarray) -> tuple[str, ...]:
    """The labels as the model file's class names (``class 0, ...`` if they clash)."""
    names = tuple(str(c) for c in classes.tolist())
    if "" in names or len(set(names)) < len(names):
        names = tuple(f"class {i}" for i in range(len(classes)))
    return names
