"""``fnnet predict``, ``fnnet evaluate`` and ``fnnet info``: using a model file."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
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

#: Bytes the activations of a block of examples may take while predicting.
BLOCK_BYTES = 32 << 20
#: Bounds on the examples in a block.
MIN_ROWS, MAX_ROWS = 1 << 10, 1 << 16


def cmd_predict(args: argparse.Namespace) -> int:
    """``fnnet predict``: predict every row of DATA with a model, as CSV.

    DATA is read and predicted block by block, and each block's rows are
    written as soon as they are made: to ``--out`` atomically (an error in
    a later block leaves no file), else to stdout (an error in a later
    block comes after the rows before it).
    """
    model = load_model(args.model)
    if args.probabilities and model.task == "regression":
        raise CliError(f"--probabilities: {args.model} is a regression model")
    if args.out is not None:
        check_writable(args.out, "--out")
    blocks = _feature_blocks(model, args.data)
    if args.out is None:
        _write_predictions(sys.stdout.write, model, blocks, args.probabilities)
    else:
        atomic_write(
            args.out,
            lambda f: _write_predictions(
                lambda text: f.write(text.encode("utf-8")),
                model,
                blocks,
                args.probabilities,
            ),
        )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``fnnet evaluate``: a model's accuracy and cost (or MSE) on labelled DATA.

    DATA is read block by block; only the outputs and targets of all rows
    are kept, for the cost and accuracy over all of them.
    """
    model = load_model(args.model)
    outputs, targets = [], []
    for X, Y in _labelled_blocks(model, args.data):
        outputs.append(model_outputs(model, X))
        targets.append(Y)
    A, Y = _joined(outputs), _joined(targets)
    J, acc = cost(A, Y, model.loss), accuracy(A, Y, model.output)
    lines = [f"data        {args.data}: {A.shape[1]} examples"]
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


def _block_rows(model: Model) -> int:
    """Examples per block: a power of two whose activations fit BLOCK_BYTES."""
    sizes = sizes_of(model.params)
    per_example = 2 * sum(sizes) * model.params["W1"].dtype.itemsize
    rows = 1 << max(0, (BLOCK_BYTES // per_example).bit_length() - 1)
    return min(max(rows, MIN_ROWS), MAX_ROWS)


def _feature_blocks(model: Model, name: str) -> Iterator[Array]:
    """The model's feature columns, in its order, from DATA, block by block."""
    src = source_of(name)
    if src.path is None:
        yield _builtin_for(model, name).X
        return
    dtype = model.params["W1"].dtype
    rows = _block_rows(model)
    blocks = data.iter_features(src.path, model.feature_names, dtype=dtype, rows=rows)
    for (X,) in _last_joined((X,) for X in blocks):
        yield X


def _labelled_blocks(model: Model, name: str) -> Iterator[tuple[Array, Array]]:
    """Features and targets from DATA, coded with the model's classes, by blocks."""
    src = source_of(name)
    if src.path is None:
        ds = _builtin_for(model, name)
        yield ds.X, ds.Y
        return
    blocks = data.iter_csv(
        src.path,
        model.target,
        model.feature_names,
        task=model.task,
        classes=model.classes,
        dtype=model.params["W1"].dtype,
        rows=_block_rows(model),
    )
    yield from _last_joined((ds.X, ds.Y) for ds in blocks)


def _last_joined(blocks: Iterable[tuple[Array, ...]]) -> Iterator[tuple[Array, ...]]:
    """The blocks, a short last one joined to the one before it.

    Every block but the last has the same number of examples; the last is
    not left with a few, whose products BLAS may round otherwise than it
    rounds the same columns of a larger product.
    """
    held = None
    for block in blocks:
        if held is not None and block[0].shape[1] < held[0].shape[1]:
            block = tuple(map(_joined, zip(held, block, strict=True)))
        elif held is not None:
            yield held
        held = block
    if held is not None:
        yield held


def _joined(arrays: Sequence[Array]) -> Array:
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays, axis=1)


def _write_predictions(
    write: Callable[[str], Any],
    model: Model,
    blocks: Iterable[Array],
    probabilities: bool,
) -> None:
    """The predictions CSV, a block of rows at a time; the header first."""
    for i, X in enumerate(blocks):
        A = model_outputs(model, X)
        write(_predictions_csv(model, A, probabilities, header=i == 0))


def _predictions_csv(model: Model, A: Array, probabilities: bool, header: bool) -> str:
    """One row per example: the label (or value), then class probabilities."""
    names, columns = [model.target], [_cells(labels_of(model, A))]
    if probabilities:
        names += [f"p_{c}" for c in model.classes or ()]
        columns += [_cells(row) for row in class_probabilities(model, A)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(names)
    writer.writerows(zip(*columns, strict=True))
    return buffer.getvalue()


def _cells(values: list[str] | Array) -> list[str]:
    """Labels as they are; numbers as the shortest text that reads back exactly."""
    if isinstance(values, np.ndarray):
        return list(map(repr, values.tolist()))  # tolist: exact Python floats
    return values
