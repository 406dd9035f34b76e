"""Training settings: every option of ``fnnet train``, checked and resolved.

:class:`Settings` holds what a caller gives (``None``: the default for the
data). :func:`check_settings` checks each given value where it enters;
:func:`resolve_settings` fills in the defaults that depend on the data, once,
after it is loaded. :func:`source_of` reads a data name as the command line
does.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from . import data
from ._validation import (
    check_choice,
    check_dtype,
    check_fraction,
    check_int,
    check_positive_float,
    check_positive_int,
)
from .activations import HIDDEN, OUTPUTS
from .data import TASK_OUTPUTS
from .optim import OPTIMIZERS
from .train import check_backend

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


def check_settings(s: Settings, label: Callable[[str], str] = str) -> Settings:
    """Check every given setting's type and range; ``None`` means the default.

    ``label`` names a setting in messages (the command line passes its flags).
    """
    if not isinstance(s, Settings):
        raise TypeError(f"settings must be fnnet.settings.Settings, found {s!r}")
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


def resolve_settings(
    s: Settings, d: Defaults, task: str, label: Callable[[str], str]
) -> Settings:
    """The settings with every data-dependent default filled in, checked together.

    ``d`` are the defaults of the kind of data (:func:`source_of`), ``task``
    the data set's; ``label`` names a setting in messages.
    """
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
