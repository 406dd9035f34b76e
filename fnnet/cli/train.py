"""``fnnet train``: settings from the options, :func:`fnnet.fitting.fit`, output."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ..fitting import FitResult, prepare, run
from ..io import atomic_write, check_writable
from ..model import save_model
from ..params import sizes_of
from ..settings import Settings, source_of
from .common import CliError, flag
from .loading import loading
from .progress import progress
from .summary import summary

#: The options of ``fnnet train`` that are training settings.
SETTINGS = Settings._fields


def cmd_train(args: argparse.Namespace) -> int:
    """``fnnet train``: train a network on DATA and save it as a model file."""
    for option, path in (("--out", args.out), ("--plot", args.plot)):
        if path is not None:
            check_writable(path, option)
    if args.plot:
        _require_plotting()
    given = {name: getattr(args, name, None) for name in SETTINGS}
    settings = Settings(**{k: v for k, v in given.items() if v is not None})
    show = not args.quiet and sys.stderr.isatty()
    with loading(source_of(args.data).name, show) as read:
        job = prepare(
            args.data, settings, label=flag, progress=read, **_data_options(args)
        )
    with progress(job.settings.epochs, show) as callback:
        result = run(job, callback)
    if args.plot:
        _write_plot(args.plot, result)
    if args.out:
        save_model(args.out, result.model)
    if not args.quiet:
        print("\n".join(summary(result, args.out, args.plot)))
    return 0


def _data_options(args: argparse.Namespace) -> dict[str, object]:
    """``--target``, ``--features`` and ``--task``: for CSV data only (usage errors)."""
    src = source_of(args.data)
    given = {n: getattr(args, n) for n in ("target", "features", "task")}
    if src.path is None:
        named = [flag(n) for n, v in given.items() if v is not None]
        if named:
            args.usage(f"{', '.join(named)}: only for CSV data, not {src.name}")
        return {}
    if (given["target"] or src.target) is None:
        args.usage(f"--target is required for a CSV file: the column of {src.name}")
    return given


def _require_plotting() -> None:
    """matplotlib is an optional extra: say how to get it, before training."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CliError(
            '--plot needs matplotlib, which is not installed: pip install "fnnet[plot]"'
        ) from None


def _write_plot(path: str, result: FitResult) -> None:
    """Training (and validation) cost per epoch, as a PNG."""
    from matplotlib.figure import Figure

    h, s, model = result.history, result.settings, result.model
    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.add_subplot()
    epochs = np.arange(1, len(h.costs) + 1)
    ax.plot(epochs, h.costs, label="training" + (" (with l2)" if s.l2 else ""))
    if h.val_costs is not None:
        ax.plot(epochs, h.val_costs, label="validation")
    if s.patience is not None:
        ax.axvline(h.best_epoch + 1, color="0.5", ls="--", label="best epoch kept")
    if h.costs.max() > 100 * h.costs.min():
        ax.set_yscale("log")
    title = (
        f"fnnet train {model.training['data']}: {sizes_of(model.params)} network, "
        f"{s.optimizer} at learning rate {s.learning_rate:g}"
    )
    ax.set(xlabel="epoch", ylabel=f"cost ({model.loss})", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110))
