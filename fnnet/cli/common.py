"""What the command's modules share: its error type, and how values are shown."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class CliError(Exception):
    """A problem with the command's input, reported as one line."""


def flag(name: str) -> str:
    """The option that sets a setting: ``learning_rate`` -> ``--learning-rate``."""
    return "--" + name.replace("_", "-")


def listing(names: Sequence[str], limit: int = 10) -> str:
    """``a, b, c``, cut short after ``limit`` names."""
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def mean_squared_error(J: float) -> float:
    """The mean squared error behind an ``mse`` cost, which is half of it."""
    return 2 * J


def metrics(J: float, acc: float | None) -> str:
    """Accuracy and cost, or for regression (no accuracy) the mean squared error."""
    if acc is None or np.isnan(acc):
        mse = mean_squared_error(J)
        return f"mean squared error {mse:.4g}  (cost {J:.4g}, half of it)"
    return f"accuracy {acc:.4f}  cost {J:.4g}"
