"""The ``fnnet`` command line: from a CSV file to a trained model file and back.

    fnnet train DATA [options] [--out MODEL.npz]  train, print a summary, save
    fnnet predict MODEL DATA [--out FILE]         one prediction per row, as CSV
    fnnet evaluate MODEL DATA                     accuracy and loss on labelled data
    fnnet info MODEL                              what a model file holds

DATA is a built-in data set (a logic gate, ``three_bit`` or ``diabetes``) or a
CSV file with a header row; a built-in name wins, so write ``./xor`` for a file
called ``xor``. Bad input ends with one line ``fnnet: error: ...`` on stderr and
exit status 1 (2 for a usage error), and no output file is written or replaced.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from . import __version__, data
from ._validation import check_fraction, check_positive_float, check_positive_int
from .activations import HIDDEN, OUTPUTS
from .data import Dataset, Standardizer
from .io import atomic_write
from .losses import CANONICAL_LOSS, accuracy, cost
from .model import (
    TASK_OUTPUTS,
    Model,
    class_probabilities,
    labels_of,
    load_model,
    model_outputs,
    save_model,
)
from .network import evaluate
from .optim import OPTIMIZERS
from .params import Tree, initialize, sizes_of
from .train import BACKENDS, History, train

__all__ = ["CliError", "main"]

Array = NDArray[np.floating]
#: Built-in truth tables; the other built-in, ``diabetes``, is a CSV file.
TABLES = tuple(name for name in data.BUILTIN if name != "diabetes")
TABLE_TARGET = "y"
TASKS = ("auto", "binary", "multiclass", "regression")


class CliError(Exception):
    """A problem with the command's input, reported as one line."""


# ---------------------------------------------------------------- settings


class Defaults(NamedTuple):
    """The training settings that depend on the kind of data."""

    hidden_sizes: tuple[int, ...]
    epochs: int
    sgd_rate: float
    validation_fraction: float
    standardize: bool


#: Truth tables: the tutorial networks, trained on every row as they are.
TABLE_DEFAULTS = Defaults((4,), 2000, 1.2, 0.0, False)
#: CSV data (files and the built-in diabetes CSV).
CSV_DEFAULTS = Defaults((8,), 500, 0.5, 0.2, True)
#: Default learning rates of the optimizers other than sgd.
RATES = {"momentum": 0.1, "adam": 0.01}


class Settings(NamedTuple):
    """Every option of ``fnnet train``, defaults filled in and ranges checked."""

    hidden_sizes: tuple[int, ...]
    hidden: str
    output: str | None
    optimizer: str
    backend: str
    standardize: bool
    learning_rate: float
    epochs: int
    batch_size: int | None
    seed: int
    validation_fraction: float
    patience: int | None
    l2: float


def _settings(args: argparse.Namespace) -> Settings:
    """Fill in the data-dependent defaults of ``fnnet train`` and check ranges."""
    d = TABLE_DEFAULTS if args.data in TABLES else CSV_DEFAULTS
    sizes = () if args.data == "three_bit" else d.hidden_sizes
    sizes = tuple(sizes if args.hidden_sizes is None else args.hidden_sizes)
    if any(n <= 0 for n in sizes):
        raise CliError(
            f"--hidden-sizes must be positive ints, found {list(sizes)} "
            "(for no hidden layer give --hidden-sizes with no values)"
        )
    standardize = d.standardize if args.standardize is None else args.standardize
    given = (args.hidden, args.output, args.optimizer, args.backend, standardize)
    s = Settings(sizes, *given, **_ranges(args, d))
    if s.patience is not None and s.validation_fraction == 0:
        raise CliError("--patience needs validation data: give --validation-fraction")
    return s


def _ranges(args: argparse.Namespace, d: Defaults) -> dict[str, Any]:
    rules = {
        "learning_rate": (check_positive_float, RATES.get(args.optimizer, d.sgd_rate)),
        "epochs": (check_positive_int, d.epochs),
        "batch_size": (check_positive_int, None),
        "seed": (_non_negative_int, 0),
        "validation_fraction": (check_fraction, d.validation_fraction),
        "patience": (check_positive_int, None),
        "l2": (_non_negative, 0.0),
    }
    given = {name: getattr(args, name) for name in rules}
    return {
        name: default if given[name] is None else check(_flag(name), given[name])
        for name, (check, default) in rules.items()
    }


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _non_negative(name: str, value: float) -> float:
    return check_positive_float(name, value, allow_zero=True)


def _non_negative_int(name: str, value: int) -> int:
    if value < 0:
        raise CliError(f"{name} must be a non-negative int, found {value}")
    return value


def _check_destination(flag: str, path: str | None) -> None:
    """Fail before any work if ``path`` could not be written later."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise CliError(f"{flag} {path} is a directory; give a file name")
    if not target.parent.is_dir():
        raise CliError(f"{flag} {path}: directory {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK):
        raise CliError(f"{flag} {path}: directory {target.parent} is not writable")


def _require_plotting() -> None:
    """matplotlib is an optional extra: say how to get it, before training."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CliError(
            '--plot needs matplotlib, which is not installed: pip install "fnnet[plot]"'
        ) from None


def _require_backend(backend: str) -> None:
    """The compiled backend must be importable before training starts."""
    if backend != "numba":
        return
    try:
        from .kernels import compiled as _  # noqa: F401
    except ImportError as e:
        raise CliError(
            f"the numba backend is not available ({e}); use --backend numpy"
        ) from None


# ---------------------------------------------------------------- data


class Source(NamedTuple):
    """Where DATA comes from: a truth table (no path) or a CSV file."""

    name: str
    path: Path | None
    target: str | None


def _source(name: str) -> Source:
    """Resolve DATA: a built-in name first, else a path to a CSV file."""
    if name in TABLES:
        return Source(name, None, TABLE_TARGET)
    if name == "diabetes":
        return Source(name, data.diabetes_csv(), "Diabetes")
    return Source(name, Path(name), None)


def _training_data(args: argparse.Namespace) -> tuple[Dataset, str]:
    """The data set named by DATA, and the name of its target."""
    src = _source(args.data)
    if src.path is None:
        given = [
            _flag(name)
            for name in ("target", "features", "task")
            if getattr(args, name) is not None
        ]
        if given:
            args.usage(f"{', '.join(given)}: only for CSV data, not {src.name}")
        return data.load_builtin(src.name), TABLE_TARGET
    target = args.target or src.target
    if target is None:
        args.usage(f"--target is required for a CSV file: the column of {src.name}")
    task = args.task or "auto"
    return data.load_csv(src.path, target, args.features, task=task), target


def _fit_output(ds: Dataset, target: str, output: str | None) -> tuple[Dataset, str]:
    """The output layer for the task; softmax on a binary target is 2 classes."""
    output = output or TASK_OUTPUTS[ds.task][0]
    if ds.task == "binary" and output == "softmax":
        return _as_multiclass(ds), output
    if output not in TASK_OUTPUTS[ds.task]:
        takes = (
            "sigmoid or softmax" if ds.task == "binary" else TASK_OUTPUTS[ds.task][0]
        )
        hint = " (--task reads a numeric column as classes)" * (ds.task == "regression")
        raise CliError(
            f"--output {output} does not fit the {ds.task} target {target!r}, "
            f"which takes --output {takes}{hint}"
        )
    return ds, output


def _as_multiclass(ds: Dataset) -> Dataset:
    """A binary data set as two one-hot classes, for a softmax output."""
    Y = data.one_hot(ds.Y[0].astype(np.intp), 2, dtype=ds.Y.dtype)
    return ds._replace(Y=Y, task="multiclass")


class Parts(NamedTuple):
    """The arrays training sees: split, then scaled with training statistics."""

    X: Array
    Y: Array
    X_val: Array | None
    Y_val: Array | None
    scaling: Standardizer | None


def _split_and_scale(ds: Dataset, s: Settings) -> Parts:
    """Split off the validation examples, then standardize with the rest."""
    X, Y, X_val, Y_val = ds.X, ds.Y, None, None
    if s.validation_fraction > 0:
        X, Y, X_val, Y_val = data.split(
            X, Y, fraction=s.validation_fraction, seed=s.seed
        )
    if not s.standardize:
        return Parts(X, Y, X_val, Y_val, None)
    X, scaling = data.standardize(X)
    if X_val is not None:
        X_val, _ = data.standardize(X_val, scaling)
    return Parts(X, Y, X_val, Y_val, scaling)


# ---------------------------------------------------------------- training


class Run(NamedTuple):
    """One finished training run: what went in and what came out."""

    name: str
    ds: Dataset
    target: str
    s: Settings
    parts: Parts
    params: Tree
    history: History
    seconds: float


def _fit(p: Parts, s: Settings, progress: bool) -> tuple[Tree, History, float]:
    """Initialize and train; return the parameters, history and seconds taken."""
    sizes = (p.X.shape[0], *s.hidden_sizes, p.Y.shape[0])
    params = initialize(sizes, seed=s.seed, scheme=s.hidden)
    options = {
        "epochs": s.epochs,
        "optimizer": OPTIMIZERS[s.optimizer](s.learning_rate),
        "batch_size": s.batch_size,
        "hidden": s.hidden,
        "output": s.output,
        "backend": s.backend,
        "seed": s.seed,
        "l2": s.l2,
        "validation": None if p.X_val is None else (p.X_val, p.Y_val),
        "patience": s.patience,
    }
    start = time.perf_counter()
    # train raises FloatingPointError on a non-finite cost: NumPy's warnings
    # on the way there would only add noise to that one-line error
    with _progress_bar(s.epochs, progress) as callback, np.errstate(all="ignore"):
        params, history = train(params, p.X, p.Y, callback=callback, **options)
    return params, history, time.perf_counter() - start


@contextlib.contextmanager
def _progress_bar(total: int, enabled: bool) -> Iterator[Callable | None]:
    """A tqdm bar on stderr showing the cost, as a ``train`` callback (or None)."""
    bar = _tqdm(total) if enabled else None
    if bar is None:
        yield None
        return

    def advance(epoch: int, J: float) -> None:
        bar.set_postfix_str(f"cost {J:.4g}", refresh=False)
        bar.update(epoch + 1 - bar.n)

    try:
        yield advance
    finally:
        bar.close()


def _tqdm(total: int) -> Any:
    """A tqdm bar, or None when tqdm (an optional extra) is not installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(
        total=total, desc="training", unit="epoch", file=sys.stderr, leave=False
    )


def _model_of(run: Run) -> Model:
    """The model file's contents: parameters, data description, how it was made."""
    h = run.history
    training = {
        "data": run.name,
        **run.s._asdict(),
        "epochs_run": len(h.costs),
        "best_epoch": h.best_epoch + 1,
        "stopped_early": bool(h.stopped_early),
    }
    return Model(
        run.params,
        run.s.hidden,
        run.s.output,
        run.ds.task,
        run.ds.feature_names,
        run.target,
        run.ds.classes,
        run.parts.scaling,
        __version__,
        training,
    )


def _write_plot(path: str, run: Run) -> None:
    """Training (and validation) cost per epoch, as a PNG."""
    from matplotlib.figure import Figure

    h, loss = run.history, CANONICAL_LOSS[run.s.output]
    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.add_subplot()
    epochs = np.arange(1, len(h.costs) + 1)
    ax.plot(epochs, h.costs, label="training" + (" (with l2)" if run.s.l2 else ""))
    if h.val_costs is not None:
        ax.plot(epochs, h.val_costs, label="validation")
    if run.s.patience is not None:
        ax.axvline(h.best_epoch + 1, color="0.5", ls="--", label="best epoch kept")
    if h.costs.max() > 100 * h.costs.min():
        ax.set_yscale("log")
    title = (
        f"fnnet train {run.name}: {sizes_of(run.params)} network, "
        f"{run.s.optimizer} at learning rate {run.s.learning_rate:g}"
    )
    ax.set(xlabel="epoch", ylabel=f"cost ({loss})", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110))


def _cmd_train(args: argparse.Namespace) -> int:
    """``fnnet train``: train a network on DATA and save it as a model file."""
    s = _settings(args)
    _check_destination("--out", args.out)
    _check_destination("--plot", args.plot)
    if args.plot:
        _require_plotting()
    _require_backend(s.backend)
    ds, target = _training_data(args)
    ds, output = _fit_output(ds, target, s.output)
    s = s._replace(output=output)
    p = _split_and_scale(ds, s)
    progress = not args.quiet and sys.stderr.isatty()
    run = Run(args.data, ds, target, s, p, *_fit(p, s, progress))
    model = _model_of(run)
    if args.plot:
        _write_plot(args.plot, run)
    if args.out:
        save_model(args.out, model)
    if not args.quiet:
        print("\n".join(_summary(run, model, args.out, args.plot)))
    return 0


# ---------------------------------------------------------------- summary


def _summary(run: Run, model: Model, out: str | None, plot: str | None) -> list[str]:
    """What ``fnnet train`` prints when it is done."""
    saved = f"written to {out}" if out else "not saved (add --out MODEL.npz)"
    lines = [*_describe_data(run), *_describe_training(run), *_describe_fit(run)]
    lines.append(f"model       {saved}")
    if plot:
        lines.append(f"cost curve  written to {plot}")
    if run.name in TABLES:
        lines += ["", *_truth_table(run.name, model)]
    return lines


def _describe_data(run: Run) -> list[str]:
    """Where the examples came from and how they were split and scaled."""
    ds, p = run.ds, run.parts
    kind = "built-in" if run.name in data.BUILTIN else "CSV"
    classes = f": {_listing(ds.classes)}" if ds.classes else ""
    used = f"all {p.X.shape[1]} for training"
    if p.X_val is not None:
        used = f"{p.X.shape[1]} for training, {p.X_val.shape[1]} for validation"
    scaled = ", standardized with training statistics" if p.scaling else ""
    return [
        f"data        {run.name} ({kind}): {ds.X.shape[1]} examples, "
        f"{_listing(ds.feature_names)} -> {run.target} ({ds.task}{classes})",
        f"            {used}{scaled}",
    ]


def _describe_training(run: Run) -> list[str]:
    """The network, the optimizer, and how many epochs ran in how long."""
    s, h, sizes = run.s, run.history, sizes_of(run.params)
    hidden = f"{s.hidden} hidden, " if len(sizes) > 2 else "no hidden layer, "
    batch = "full batch" if s.batch_size is None else f"batches of {s.batch_size}"
    l2 = f", l2 {s.l2:g}" if s.l2 else ""
    ran = f"{len(h.costs)}" + ("" if len(h.costs) == s.epochs else f" of {s.epochs}")
    lines = [
        f"network     {sizes}: {hidden}{s.output} output, "
        f"cost {CANONICAL_LOSS[s.output]}",
        f"optimizer   {s.optimizer}, learning rate {s.learning_rate:g}, {batch}{l2}",
        f"ran         {ran} epochs in {run.seconds:.2f} s ({s.backend} backend)",
    ]
    if s.patience is not None:
        stop = "stopped early" if h.stopped_early else "did not stop early"
        lines.append(
            f"            {stop} (patience {s.patience}); kept the best epoch, "
            f"{h.best_epoch + 1}"
        )
    return lines


def _describe_fit(run: Run) -> list[str]:
    """Metrics of the returned parameters on the training and validation parts."""
    p, s = run.parts, run.s
    loss = CANONICAL_LOSS[s.output]
    found = [("training", p.X, p.Y), ("validation", p.X_val, p.Y_val)]
    return [
        f"{label:<12}" + _metrics(*evaluate(run.params, X, Y, s.hidden, s.output, loss))
        for label, X, Y in found
        if X is not None
    ]


def _metrics(J: float, acc: float) -> str:
    """Accuracy and cost, or for regression (no accuracy) the mean squared error."""
    if np.isnan(acc):
        return f"mean squared error {2 * J:.4g}  (cost {J:.4g}, half of it)"
    return f"accuracy {acc:.4f}  cost {J:.4g}"


def _truth_table(name: str, model: Model) -> list[str]:
    """Inputs, target, output (probability of class 1) and prediction per row."""
    ds = data.load_builtin(name)
    A = model_outputs(model, ds.X)
    P1, labels = class_probabilities(model, A)[1], labels_of(model, A)
    names = ds.feature_names
    lines = [" ".join(names) + " | target  output  predicted"]
    for j in range(ds.X.shape[1]):
        cells = zip(ds.X[:, j], names, strict=True)
        inputs = " ".join(f"{int(v):>{len(n)}}" for v, n in cells)
        lines.append(f"{inputs} | {int(ds.Y[0, j]):>6}  {P1[j]:.4f}  {labels[j]:>9}")
    return lines


def _listing(names: Sequence[str], limit: int = 10) -> str:
    """``a, b, c``, cut short after ``limit`` names."""
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


# ---------------------------------------------------------------- using a model


def _builtin_for(model: Model, name: str) -> Dataset:
    """A built-in truth table, checked against the model's features and classes."""
    ds = data.load_builtin(name, dtype=model.params["W1"].dtype)
    if ds.feature_names != model.feature_names:
        raise CliError(
            f"{name} has features {_listing(ds.feature_names)} but the model "
            f"expects {_listing(model.feature_names)}"
        )
    if model.task != "regression" and ds.classes != model.classes:
        raise CliError(
            f"{name} has classes {_listing(ds.classes or ())} but the model "
            f"predicts {_listing(model.classes or ())}"
        )
    return _as_multiclass(ds) if model.task == "multiclass" else ds


def _features_for(model: Model, name: str) -> Array:
    """The model's feature columns, in its order, from DATA."""
    src = _source(name)
    if src.path is None:
        return _builtin_for(model, name).X
    dtype = model.params["W1"].dtype
    return data.read_features(src.path, model.feature_names, dtype=dtype)


def _labelled_for(model: Model, name: str) -> Dataset:
    """Features and targets from DATA, coded with the model's classes."""
    src = _source(name)
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


def _cmd_predict(args: argparse.Namespace) -> int:
    """``fnnet predict``: predict every row of DATA with a model, as CSV."""
    model = load_model(args.model)
    if args.probabilities and model.task == "regression":
        raise CliError(f"--probabilities: {args.model} is a regression model")
    _check_destination("--out", args.out)
    A = model_outputs(model, _features_for(model, args.data))
    text = _predictions_csv(model, A, args.probabilities)
    if args.out is None:
        sys.stdout.write(text)
    else:
        atomic_write(args.out, lambda f: f.write(text.encode("utf-8")))
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    """``fnnet evaluate``: a model's accuracy and cost (or MSE) on labelled DATA."""
    model = load_model(args.model)
    ds = _labelled_for(model, args.data)
    A = model_outputs(model, ds.X)
    J, acc = cost(A, ds.Y, model.loss), accuracy(A, ds.Y, model.output)
    lines = [f"data        {args.data}: {ds.X.shape[1]} examples"]
    if model.task == "regression":
        lines.append(f"mse         {2 * J:.6g}  (mean squared error)")
        lines.append(f"cost        {J:.6g}  (mse loss: half the mean squared error)")
    else:
        lines.append(f"accuracy    {acc:.4f}")
        lines.append(f"cost        {J:.6g}  ({model.loss})")
    print("\n".join(lines))
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    """``fnnet info``: show what a model file holds."""
    m = load_model(args.model)
    sizes = sizes_of(m.params)
    hidden = f"{m.hidden} hidden, " if len(sizes) > 2 else "no hidden layer, "
    classes = f" ({_listing(m.classes)})" if m.classes else ""
    scaling = "none"
    if m.scaling is not None:
        scaling = f"mean {m.scaling.mean.ravel()}, scale {m.scaling.scale.ravel()}"
    lines = [
        f"model       {args.model} (written by fnnet {m.version})",
        f"network     {sizes}: {hidden}{m.output} output, cost {m.loss}, "
        f"{m.params['W1'].dtype}",
        f"task        {m.task}{classes}",
        f"features    {_listing(m.feature_names, limit=50)} -> {m.target}",
        f"scaling     {scaling}",
        "training    " + ", ".join(f"{k} {v}" for k, v in m.training.items()),
    ]
    print("\n".join(lines))
    return 0


# ---------------------------------------------------------------- parser

TRAIN_EPILOG = f"""\
defaults for truth tables (gates, three_bit) / CSV data (files, diabetes):
  --hidden-sizes    4 (three_bit: none) / 8
  --epochs          {TABLE_DEFAULTS.epochs} / {CSV_DEFAULTS.epochs}
  --learning-rate   sgd {TABLE_DEFAULTS.sgd_rate} / {CSV_DEFAULTS.sgd_rate}; \
momentum {RATES["momentum"]}; adam {RATES["adam"]}
  --validation-fraction  0 / {CSV_DEFAULTS.validation_fraction}
  --standardize     off / on (statistics of the training part, kept in the model)
  --output          from the target: binary sigmoid, multiclass softmax,
                    regression identity

examples:
  fnnet train xor
  fnnet train diabetes --hidden-sizes --epochs 300 --learning-rate 0.5 \\
      --plot cost_curve.png --out diabetes.npz
  fnnet train iris.csv --target species --hidden-sizes 16 --optimizer adam \\
      --patience 50 --epochs 2000 --out iris.npz
"""

PREDICT_EPILOG = """\
The output is CSV with a header: one column named after the target, holding
the class label as written in the training file (or the value, for
regression); with --probabilities, then one column p_<label> per class.

examples:
  fnnet predict diabetes.npz new_patients.csv
  fnnet predict iris.npz flowers.csv --probabilities --out predictions.csv
"""

EVALUATE_EPILOG = """\
examples:
  fnnet evaluate diabetes.npz diabetes
  fnnet evaluate iris.npz iris_test.csv
"""


def _build_parser() -> argparse.ArgumentParser:
    """The ``fnnet`` parser and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="fnnet",
        description=(__doc__ or "").replace("``", ""),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"fnnet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_train_arguments(_subcommand(sub, _cmd_train, TRAIN_EPILOG))
    predict = _subcommand(sub, _cmd_predict, PREDICT_EPILOG)
    _add_model_data(predict, "rows to predict: a CSV with the model's features")
    predict.add_argument("--out", metavar="FILE", help="write here, not to stdout")
    predict.add_argument(
        "--probabilities", action="store_true", help="add one column per class"
    )
    evaluate = _subcommand(sub, _cmd_evaluate, EVALUATE_EPILOG)
    _add_model_data(evaluate, "a CSV with the features and the target, or built-in")
    info = _subcommand(sub, _cmd_info, "example:\n  fnnet info diabetes.npz\n")
    info.add_argument("model", metavar="MODEL", help="a model file from fnnet train")
    return parser


def _subcommand(
    sub: Any, run: Callable[[argparse.Namespace], int], epilog: str
) -> argparse.ArgumentParser:
    """A subparser named and described after its ``cmd_*`` function."""
    name = run.__name__.removeprefix("_cmd_")
    about = (run.__doc__ or "").split(": ", 1)[-1].rstrip(".")
    p = sub.add_parser(
        name,
        help=about,
        description=f"fnnet {name}: {about}.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    p.set_defaults(run=run, usage=p.error)
    return p


def _add_model_data(p: argparse.ArgumentParser, data_help: str) -> None:
    p.add_argument("model", metavar="MODEL", help="a model file from fnnet train")
    p.add_argument("data", metavar="DATA", help=data_help)


def _add_train_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "data", metavar="DATA", help=f"{', '.join(data.BUILTIN)}, or a CSV file"
    )
    d = p.add_argument_group("data")
    d.add_argument("--target", help="the column to predict (required for CSV files)")
    d.add_argument("--features", nargs="+", metavar="NAME", help="default: the rest")
    d.add_argument(
        "--task",
        choices=TASKS,
        help="default auto: text or 2 values are classes, other numbers regression",
    )
    d.add_argument(
        "--validation-fraction", type=float, metavar="F", help="share held out"
    )
    d.add_argument(
        "--standardize",
        action=argparse.BooleanOptionalAction,
        help="scale features with training statistics",
    )
    n = p.add_argument_group("network")
    widths = "hidden layer widths; no values: no hidden layer"
    n.add_argument("--hidden-sizes", nargs="*", type=int, metavar="N", help=widths)
    n.add_argument("--hidden", choices=HIDDEN, default="tanh", help="default tanh")
    n.add_argument("--output", choices=OUTPUTS, help="default: from the target")
    _add_optimization_arguments(p.add_argument_group("training"))
    o = p.add_argument_group("output")
    o.add_argument("--out", metavar="MODEL.npz", help="write the trained model here")
    o.add_argument("--plot", metavar="CURVE.png", help="cost per epoch (matplotlib)")
    o.add_argument("--quiet", action="store_true", help="no progress bar, no summary")


def _add_optimization_arguments(g: Any) -> None:
    g.add_argument(
        "--optimizer", choices=tuple(OPTIMIZERS), default="sgd", help="default sgd"
    )
    g.add_argument("--learning-rate", type=float, metavar="RATE", help="see below")
    g.add_argument("--epochs", type=int, metavar="N", help="see below")
    g.add_argument("--batch-size", type=int, metavar="N", help="default: full batch")
    g.add_argument(
        "--backend",
        choices=BACKENDS,
        default="numba",
        help="default numba: compiled (the first run compiles, then cached)",
    )
    g.add_argument("--seed", type=int, help="initialization, split, batches (0)")
    g.add_argument("--patience", type=int, metavar="N", help="stop early (validation)")
    g.add_argument("--l2", type=float, metavar="LAMBDA", help="L2 penalty (0)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fnnet`` console script; returns the exit status."""
    args = _build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("fnnet: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `fnnet predict ... | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (CliError, ValueError, TypeError, OSError, FloatingPointError) as e:
        message = " ".join(str(e).splitlines()) or type(e).__name__
        print(f"fnnet: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
