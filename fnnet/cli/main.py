"""The ``fnnet`` command line: from a CSV file to a trained model file and back.

    fnnet train DATA [options] [--out MODEL.npz]  train, print a summary, save
    fnnet predict MODEL DATA [--out FILE]         one prediction per row, as CSV
    fnnet evaluate MODEL DATA                     accuracy and loss on labelled data
    fnnet info MODEL                              what a model file holds
    fnnet sweep DATA [options] --grid NAME=JSON_LIST --out RUNS.jsonl
                                                  a grid of trainings, recorded

DATA is a built-in data set (a logic gate, ``three_bit`` or ``diabetes``) or a
CSV file with a header row; a built-in name wins, so write ``./xor`` for a file
called ``xor``. Bad input ends with one line ``fnnet: error: ...`` on stderr and
exit status 1 (2 for a usage error), and no output file is written or replaced.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .. import data
from .._version import __version__
from ..activations import HIDDEN, OUTPUTS
from ..data import TASKS
from ..optim import OPTIMIZERS
from ..settings import CSV_DEFAULTS, RATES, TABLE_DEFAULTS
from ..train import BACKENDS
from .common import CliError
from .sweep import SWEEP_EPILOG, add_sweep_options, cmd_sweep
from .train import cmd_train
from .use import cmd_evaluate, cmd_info, cmd_predict

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
    _add_train_arguments(_subcommand(sub, cmd_train, TRAIN_EPILOG))
    predict = _subcommand(sub, cmd_predict, PREDICT_EPILOG)
    _add_model_data(predict, "rows to predict: a CSV with the model's features")
    predict.add_argument("--out", metavar="FILE", help="write here, not to stdout")
    predict.add_argument(
        "--probabilities", action="store_true", help="add one column per class"
    )
    evaluate = _subcommand(sub, cmd_evaluate, EVALUATE_EPILOG)
    _add_model_data(evaluate, "a CSV with the features and the target, or built-in")
    info = _subcommand(sub, cmd_info, "example:\n  fnnet info diabetes.npz\n")
    info.add_argument("model", metavar="MODEL", help="a model file from fnnet train")
    sweep = _subcommand(sub, cmd_sweep, SWEEP_EPILOG)
    _add_settings_arguments(sweep)
    add_sweep_options(sweep)
    return parser


def _subcommand(
    sub: Any, run: Callable[[argparse.Namespace], int], epilog: str
) -> argparse.ArgumentParser:
    """A subparser named and described after its ``cmd_*`` function."""
    name = run.__name__.removeprefix("cmd_")
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


def _add_settings_arguments(p: argparse.ArgumentParser) -> None:
    """DATA and the options that are training settings (train and sweep)."""
    p.add_argument(
        "data", metavar="DATA", help=f"{', '.join(data.BUILTIN)}, or a CSV file"
    )
    d = p.add_argument_group("data")
    d.add_argument("--target", help="the column to predict (required for CSV files)")
    d.add_argument("--features", nargs="+", metavar="NAME", help="default: the rest")
    d.add_argument(
        "--task",
        choices=("auto", *TASKS),
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


def _add_train_arguments(p: argparse.ArgumentParser) -> None:
    _add_settings_arguments(p)
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
    except (
        CliError,
        ValueError,
        TypeError,
        OSError,
        ImportError,
        FloatingPointError,
    ) as e:
        message = " ".join(str(e).splitlines()) or type(e).__name__
        print(f"fnnet: error: {message}", file=sys.stderr)
        return 1
