"""A trained model as one file: parameters plus what is needed to use them.

Parameters alone cannot turn a row of a CSV file into a label: that also
takes the activations, the feature columns in order, the scaling fitted on the
training data and the class labels. A :class:`Model` bundles them;
:func:`save_model` writes it with :func:`fnnet.save` (an ``.npz`` file, no
pickle, written atomically) and :func:`load_model` reads it back and checks
every field, so a plain parameter file or another program's ``.npz`` is
rejected with a clear message instead of predicting nonsense.
"""

from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._validation import (
    check_matrix,
    check_name,
    check_names,
    check_params,
    check_standardizer,
)
from ._version import __version__
from .activations import HIDDEN, OUTPUTS, decide
from .data import TASK_OUTPUTS, Standardizer
from .data.preprocessing import _apply_standardizer
from .io import load, save
from .losses import CANONICAL_LOSS
from .network import forward_prop
from .params import Tree, sizes_of

FORMAT = "fnnet-model"
FORMAT_VERSION = 1
_FIELDS = ("hidden", "output", "task", "target", "feature_names", "classes")

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "TASK_OUTPUTS",
    "Model",
    "ModelError",
    "class_probabilities",
    "labels_of",
    "load_model",
    "model_outputs",
    "save_model",
]


class ModelError(ValueError):
    """A file that is not a valid fnnet model, or data that do not fit one."""


class Model(NamedTuple):
    """Trained parameters with everything needed to predict from raw features.

    Attributes
    ----------
    params : Params
        ``W1, b1, ..., WL, bL``.
    hidden, output : str
        Activations of the hidden layers and of the output layer.
    task : {"binary", "multiclass", "regression"}
        ``binary`` uses a sigmoid output, ``multiclass`` softmax (a binary
        target trained with softmax is stored as a two-class ``multiclass``),
        ``regression`` identity.
    feature_names : tuple of str
        The input columns, in the order of the rows of ``X``.
    target : str
        Name of the target column.
    classes : tuple of str or None
        ``classes[i]`` is the label of class code ``i`` (None for regression).
    scaling : Standardizer or None
        Statistics fitted on the training examples, applied to every input.
    version : str
        The fnnet version that trained the model.
    training : Mapping
        How it was trained (JSON-able; informative only).
    """

    params: Tree
    hidden: str
    output: str
    task: str
    feature_names: tuple[str, ...]
    target: str
    classes: tuple[str, ...] | None
    scaling: Standardizer | None = None
    version: str = __version__
    training: Mapping[str, Any] = MappingProxyType({})

    @property
    def loss(self) -> str:
        """The output's canonical loss."""
        return CANONICAL_LOSS[self.output]


def save_model(path: str | os.PathLike[str], model: Model) -> Path:
    """Write ``model`` to ``path`` atomically (``.npz``, no pickle).

    Parameters
    ----------
    path : str or PathLike
        Target file; an existing file is replaced only once the new one is
        complete.
    model : Model
        Checked with the same rules as :func:`load_model` before writing.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from fnnet import initialize
    >>> model = Model(initialize((2, 1)), "tanh", "sigmoid", "binary",
    ...               ("x1", "x2"), "y", ("0", "1"))
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "model.npz"
    >>> load_model(save_model(target, model)).params == model.params
    True
    """
    model = _check_model(str(path), model)
    meta = {name: getattr(model, name) for name in _FIELDS}
    meta["feature_names"] = list(model.feature_names)
    meta["classes"] = None if model.classes is None else list(model.classes)
    if model.scaling is not None:
        meta["scaling_mean"] = np.asarray(model.scaling.mean)
        meta["scaling_scale"] = np.asarray(model.scaling.scale)
    return save(
        path,
        model.params,
        format=FORMAT,
        format_version=FORMAT_VERSION,
        fnnet_version=model.version,
        sizes=list(sizes_of(model.params)),
        loss=model.loss,
        training=dict(model.training),
        **meta,
    )


def load_model(path: str | os.PathLike[str]) -> Model:
    """Read a model written by :func:`save_model` and check every field.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelError
        (a ``ValueError``) for anything that is not a complete fnnet model:
        another program's ``.npz``, a plain parameter file from
        :func:`fnnet.save`, a newer format, inconsistent fields.
    """
    name = str(path)
    if Path(path).is_file() and not zipfile.is_zipfile(path):
        # np.load would try to unpickle it and say so: misleading for, say, a PNG
        raise ModelError(f"{name} is not an fnnet model (not an .npz file)")
    try:
        params, meta = load(path)
    except ValueError as e:
        raise ModelError(str(e)) from None
    if meta.get("format") != FORMAT:
        raise ModelError(
            f"{name} is not an fnnet model: it holds parameters only, without "
            "the features, scaling and labels needed to predict "
            "(make one with `fnnet train ... --out MODEL.npz`)"
        )
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"{name} is a model of format version {meta.get('format_version')!r}; "
            f"this fnnet ({__version__}) reads version {FORMAT_VERSION}"
        )
    model = _check_model(name, _from_meta(name, params, meta))
    if meta.get("loss") != model.loss or meta.get("sizes") != list(sizes_of(params)):
        raise ModelError(f"{name}: the stored loss or sizes do not match the model")
    return model


def _from_meta(name: str, params: Tree, meta: Mapping[str, Any]) -> Model:
    missing = [k for k in (*_FIELDS, "fnnet_version", "training") if k not in meta]
    if missing:
        raise ModelError(f"{name} is not a complete fnnet model: missing {missing}")
    scaling = None
    if "scaling_mean" in meta or "scaling_scale" in meta:
        scaling = Standardizer(meta.get("scaling_mean"), meta.get("scaling_scale"))
    return Model(
        params,
        meta["hidden"],
        meta["output"],
        meta["task"],
        meta["feature_names"],
        meta["target"],
        meta["classes"],
        scaling,
        meta["fnnet_version"],
        meta["training"],
    )


@contextlib.contextmanager
def _invalid(name: str) -> Iterator[None]:
    """Report a failed check of the model in file ``name`` as a ModelError."""
    try:
        yield
    except (TypeError, ValueError) as e:
        raise ModelError(f"{name}: {e}") from None


def _check_model(name: str, model: Model) -> Model:
    """Every field present, of the right kind, and consistent with the others.

    Returns the model with its names as tuples (a file holds lists).
    """
    with _invalid(f"{name}: invalid parameters"):
        check_params(model.params)
    with _invalid(name):
        classes = model.classes
        model = model._replace(
            feature_names=check_names("feature_names", model.feature_names),
            classes=None
            if classes is None
            else check_names("classes", classes, "class"),
        )
    _check_kinds(name, model)
    n_x, n_y = sizes_of(model.params)[0], sizes_of(model.params)[-1]
    if len(model.feature_names) != n_x:
        raise ModelError(
            f"{name}: {len(model.feature_names)} feature names for W1's {n_x} inputs"
        )
    want = 1 if model.task != "multiclass" else len(model.classes or ())
    if n_y != want:
        raise ModelError(
            f"{name}: a {model.task} model needs {want} outputs, has {n_y}"
        )
    if model.scaling is not None:
        with _invalid(name):
            check_standardizer("scaling", model.scaling, n_x, f"W1 takes {n_x} inputs")
    return model


def _check_kinds(name: str, model: Model) -> None:
    if model.task not in TASK_OUTPUTS:
        raise ModelError(f"{name}: unknown task {model.task!r}")
    if model.output not in TASK_OUTPUTS[model.task] or model.hidden not in HIDDEN:
        raise ModelError(
            f"{name}: hidden {model.hidden!r} / output {model.output!r} do not fit "
            f"a {model.task} model (hidden one of {HIDDEN}, output one of {OUTPUTS})"
        )
    with _invalid(name):
        check_name("target", model.target)
    if (model.classes is None) != (model.task == "regression"):
        raise ModelError(f"{name}: classes {model.classes!r} for a {model.task} model")
    if model.classes is not None and len(model.classes) < 2:
        raise ModelError(f"{name}: needs at least 2 classes, found {model.classes!r}")
    if not isinstance(model.version, str) or not isinstance(model.training, Mapping):
        raise ModelError(f"{name}: version must be a str and training a mapping")


def model_outputs(model: Model, X: Any) -> NDArray[np.floating]:
    """Output activations for raw (unscaled) features.

    Parameters
    ----------
    model : Model
    X : ndarray of shape (n_x, m)
        Features in ``model.feature_names`` order, as found in the data file.

    Returns
    -------
    A : ndarray of shape (n_y, m)
        ``forward_prop`` of the model's parameters on the scaled features.

    Examples
    --------
    >>> from fnnet import initialize
    >>> model = Model(initialize((2, 1)), "tanh", "sigmoid", "binary",
    ...               ("x1", "x2"), "y", ("0", "1"))
    >>> model_outputs(model, [[0.0], [0.0]])
    array([[0.5]])
    """
    W1, scaling = model.params["W1"], model.scaling
    if scaling is not None:
        n_x = W1.shape[1]
        X = check_matrix("X", X, W1.dtype, n_x, f"the model takes {n_x} features")
        check_standardizer("model.scaling", scaling, n_x, f"W1 takes {n_x} inputs")
        X = _apply_standardizer(X, scaling)
    A, _ = forward_prop(model.params, X, model.hidden, model.output)
    return A


def class_probabilities(model: Model, A: NDArray[np.floating]) -> NDArray[np.floating]:
    """Probability of each class, one row per class in ``model.classes`` order.

    A sigmoid output ``A`` is the probability of ``classes[1]``, so the rows
    are ``1 - A`` and ``A``; a softmax output is returned as is.
    """
    if model.task == "regression":
        raise ModelError("a regression model has no class probabilities")
    if model.output == "sigmoid":
        return np.vstack([1 - A, A])
    return A


def labels_of(model: Model, A: NDArray[np.floating]) -> list[str] | NDArray[Any]:
    """The prediction for each example (column of ``A``).

    Returns
    -------
    labels : list of str or ndarray of shape (m,)
        Class labels as written in the training file (the output's decision,
        :func:`fnnet.activations.decide`: threshold 0.5 for a sigmoid output,
        argmax for softmax), or the values for regression.
    """
    if model.task == "regression":
        return A[0]
    codes = decide(A, model.output).ravel()
    classes: Sequence[str] = model.classes or ()
    return [classes[c] for c in codes]
