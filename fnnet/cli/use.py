"""``fnnet predict``, ``fnnet evaluate`` and ``fnnet info``: using a model file."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import data
from ..data import Dataset
from ..io import atomic_write, check_writable
from ..losses import accuracy, cost
from ..model import (
    Model,
    class_probabilities,
    labels_of,
    load_model,
    model_outputs,
)
from ..params import sizes_of
from ..settings import source_of
from .common import CliError, listing, mean_squared_error

Array = NDArray[np.floating]


def cmd_predict(args: argparse.Namespace) -> int:
    """``fnnet predict``: predict every row of DATA with a model, as CSV."""
    model = load_model(args.model)
    if args.probabilities and model.task == "regression":
        raise CliError(f"--probabilities: {args.model} is a regression model")
    if args.out is not None:
        check_writable(args.out, "--out")
    A = model_outputs(model, _features_for(model, args.data))
    text = _predictions_csv(model, A, args.probabilities)
    if args.out is None:
        sys.stdout.write(text)
    else:
        atomic_write(args.out, lambda f: f.write(text.encode("utf-8")))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``fnnet evaluate``: a model's accuracy and cost (or MSE) on labelled DATA."""
    model = load_model(args.model)
    ds = _labelled_for(model, args.data)
    A = model_outputs(model, ds.X)
    J, acc = cost(A, ds.Y, model.loss), accuracy(A, ds.Y, model.output)
    lines = [f"data        {args.data}: {ds.X.shape[1]} examples"]
    if model.task == "regression":
        lines.append(f"mse         {mean_squared_error(J):.6g}  (mean squared error)")
        lines.append(f"cost        {J:.6g}  (mse loss: half the mean squared error)")
    else:
        lines.append(f"accuracy    {acc:.4f}")
        lines.append(f"cost        {J:.6g}  ({model.loss})")
    print("\n".join(lines))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """``fnnet info``: show what a model file holds."""
    m = load_model(args.model)
    sizes = sizes_of(m.params)
    hidden = f"{m.hidden} hidden, " if len(sizes) > 2 else "no hidden layer, "
    classes = f" ({listing(m.classes)})" if m.classes else ""
    scaling = "none"
    if m.scaling is not None:
        scaling = f"mean {m.scaling.mean.ravel()}, scale {m.scaling.scale.ravel()}"
    lines = [
        f"model       {args.model} (written by fnnet {m.version})",
        f"network     {sizes}: {hidden}{m.output} output, cost {m.loss}, "
        f"{m.params['W1'].dtype}",
        f"task        {m.task}{classes}",
        f"features    {listing(m.feature_names, limit=50)} -> {m.target}",
        f"scaling     {scaling}",
        "training    " + ", ".join(f"{k} {v}" for k, v in m.training.items()),
    ]
    print("\n".join(lines))
    return 0


def _builtin_for(model: Model, name: str) -> Dataset:
    """A built-in truth table, checked against the model's features and classes."""
    ds = data.load_builtin(name, dtype=model.params["W1"].dtype)
    if ds.feature_names != model.feature_names:
        raise CliError(
            f"{name} has features {listing(ds.feature_names)} but the model "
            f"expects {listing(model.feature_names)}"
        )
    if model.task != "regression" and ds.classes != model.classes:
        raise CliError(
            f"{name} has classes {listing(ds.classes or ())} but the model "
            f"predicts {listing(model.classes or ())}"
        )
    return data.as_multiclass(ds) if model.task == "multiclass" else ds


def _features_for(model: Model, name: str) -> Array:
    """The model's feature columns, in its order, from DATA."""
    src = source_of(name)
    if src.path is None:
        return _builtin_for(model, name).X
    dtype = model.params["W1"].dtype
    return data.read_features(src.path, model.feature_names, dtype=dtype)


def _labelled_for(model: Model, name: str) -> Dataset:
    """Features and targets from DATA, coded with the model's classes."""
    src = source_of(name)
    if src.path is None:
        return _builtin_for(model, name)
    return data.load_csv(
        src.path,
        model.target,
        model.feature_names,
        task=model.task,
        classes=model.classes,
        dtype=model.params["W1"].dtype,
    )


def _predictions_csv(model: Model, A: Array, probabilities: bool) -> str:
    """One row per example: the label (or value), then class probabilities."""
    labels = labels_of(model, A)
    header, columns = [model.target], [[_cell(v) for v in labels]]
    if probabilities:
        header += [f"p_{c}" for c in model.classes or ()]
        columns += [[_cell(v) for v in row] for row in class_probabilities(model, A)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(zip(*columns, strict=True))
    return buffer.getvalue()


def _cell(value: Any) -> str:
    """Labels as they are; numbers as the shortest text that reads back exactly."""
    return value if isinstance(value, str) else repr(float(value))
