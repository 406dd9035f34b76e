"""What both training backends share: one validated run, and what it records.

:func:`fnnet.train` validates its arguments once into a :class:`RunSpec`;
the NumPy reference loop (:mod:`fnnet.train`) and the compiled backend
(:mod:`fnnet.kernels.compiled`) both read it, draw their minibatch orders with
:func:`batch_orders`, stop on :func:`diverged` and report a :class:`History`.
This module imports neither backend, so every import points down to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from .optim import Optimizer
from .params import Tree

Array = NDArray[np.floating]


class History(NamedTuple):
    """What happened during :func:`fnnet.train`, one entry per epoch run.

    ``costs[e]`` is the training cost seen during epoch ``e`` (the mean of the
    minibatch costs, each before its update; with full batches, the cost of
    the parameters entering the epoch). ``val_costs[e]`` and
    ``val_accuracies[e]`` are measured on the validation data after epoch
    ``e`` (``None`` without validation data; accuracy is ``nan`` for
    regression). ``best_epoch`` is the epoch whose parameters were returned.
    ``state`` is the optimizer's state after the last epoch run: pass it
    back as ``train(..., state=history.state)`` (with the returned
    parameters and the same ``numpy.random.Generator`` as ``seed``) to go
    on exactly where training stopped.
    """

    costs: Array
    val_costs: Array | None
    val_accuracies: Array | None
    best_epoch: int
    stopped_early: bool
    state: Any = None


class RunSpec(NamedTuple):
    """One training run, validated: what :func:`fnnet.train` hands a backend.

    Arrays are finite, of the parameters' dtype and of matching shapes;
    ``loss`` is resolved; ``X_val`` and ``Y_val`` are both set or both None;
    ``state`` is the optimizer state to start from (checked against
    ``params``).
    """

    params: Tree
    X: Array
    Y: Array
    epochs: int
    optimizer: Optimizer
    batch_size: int | None
    hidden: str
    output: str
    loss: str
    rng: np.random.Generator
    l2: float
    X_val: Array | None
    Y_val: Array | None
    patience: int | None
    callback: Callable[[int, float], Any] | None
    state: Any

    @property
    def full_batch(self) -> bool:
        """True when every step sees all the examples."""
        return self.batch_size is None or self.batch_size >= self.X.shape[1]


def batch_orders(
    rng: np.random.Generator, m: int, batch_size: int | None
) -> NDArray[np.intp] | None:
    """The example order of one epoch: ``None`` for full batch, else a permutation.

    Both backends call this once per epoch, so they see the same batches.
    """
    if batch_size is None or batch_size >= m:
        return None
    return rng.permutation(m)


class TrainingDiverged(FloatingPointError):
    """Training stopped because a cost stopped being finite.

    ``epoch`` is the (0-based) epoch whose training or validation cost was
    NaN or infinite, and ``cost`` that value.
    """

    def __init__(self, message: str, epoch: int, cost: float) -> None:
        super().__init__(message)
        self.epoch, self.cost = epoch, cost

    def __reduce__(self) -> tuple[Any, ...]:  # pickles (it crosses processes)
        return type(self), (str(self), self.epoch, self.cost)


def diverged(epoch: int, J: float, costs: Sequence[float] | Array) -> TrainingDiverged:
    """The error raised when the cost stops being finite."""
    last = f"{costs[-1]:.6g} at epoch {len(costs) - 1}" if len(costs) else "none"
    return TrainingDiverged(
        f"training diverged: the cost became {J} at epoch {epoch} (last finite cost: "
        f"{last}); lower the learning rate or standardize X",
        epoch,
        float(J),
    )


class EarlyStopping:
    """Book-keeping for validation metrics and patience (no effect on the maths).

    Twin of the compiled kernel's ``_improved`` and its patience test.
    """

    def __init__(self, patience: int | None, params: Tree) -> None:
        self.patience, self.best_params = patience, params
        self.val_costs: list[float] = []
        self.val_accuracies: list[float] = []
        self.best_epoch, self.best_cost = -1, np.inf
        self.stopped = False

    def record(self, epoch: int, params: Tree, val_cost: float, val_acc: float) -> None:
        if not np.isfinite(val_cost):
            raise diverged(epoch, val_cost, self.val_costs)
        self.val_costs.append(val_cost)
        self.val_accuracies.append(val_acc)
        if val_cost < self.best_cost:
            self.best_epoch, self.best_cost, self.best_params = epoch, val_cost, params

    def should_stop(self, epoch: int) -> bool:
        """True (and remembered) once ``patience`` epochs passed without improvement."""
        if self.patience is not None and epoch - self.best_epoch >= self.patience:
            self.stopped = True
        return self.stopped

    def result(
        self, params: Tree, costs: Sequence[float], state: Any
    ) -> tuple[Tree, History]:
        if self.patience is None:
            self.best_params, self.best_epoch = params, len(costs) - 1
        history = make_history(
            costs,
            self.val_costs,
            self.val_accuracies,
            self.best_epoch,
            self.stopped,
            state,
        )
        return self.best_params, history


def make_history(
    costs: Sequence[float] | Array,
    val_costs: Sequence[float] | Array,
    val_accuracies: Sequence[float] | Array,
    best_epoch: int,
    stopped: bool,
    state: Any = None,
) -> History:
    """A :class:`History` of read-only float64 arrays (``None`` without validation)."""

    def frozen(values: Sequence[float] | Array) -> Array | None:
        if len(values) == 0:
            return None
        arr = np.array(values, dtype=np.float64)
        arr.setflags(write=False)
        return arr

    return History(
        costs=frozen(costs),
        val_costs=frozen(val_costs),
        val_accuracies=frozen(val_accuracies),
        best_epoch=best_epoch,
        stopped_early=stopped,
        state=state,
    )
