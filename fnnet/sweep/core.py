"""``fnnet.sweep``: a grid of fits, run where asked, each recorded as it ends."""

from __future__ import annotations

import contextlib
import numbers
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..data import Dataset
from ..io import check_writable
from ..settings import Settings, check_settings
from . import cluster, local
from .plan import Run, check_grid, check_seeds, plan
from .records import RecordFile, _scan, pending


class Sweep:
    """A checked, planned sweep; iterate over it to run it.

    Made by :func:`sweep`. Iterating runs what is left and yields one record
    per run as it finishes (appending each to ``out`` first, if given).

    Attributes
    ----------
    runs : list of Run
        Every run of the sweep, in grid order (seeds innermost).
    done : list of dict
        Records already in ``out`` for runs of this sweep, when it was made.
    todo : int
        Runs left to run when it was made.
    dropped : int
        Bytes of a partial last line found in ``out`` (cut off when it runs).
    """

    def __init__(
        self, runs: list[Run], out: Any, execute: Callable[[list[Run]], Iterator]
    ) -> None:
        self.runs, self.out, self._execute = runs, out, execute
        found, end, size = _scan(Path(out)) if out is not None else ([], 0, 0)
        keys = {run.key for run in runs}
        self.done = [item for item in found if item["key"] in keys]
        self.todo = len(runs) - len({item["key"] for item in self.done})
        self.dropped = size - end
        self._records: Iterator[dict[str, Any]] | None = None

    def __iter__(self) -> Sweep:
        return self

    def __next__(self) -> dict[str, Any]:
        if self._records is None:
            self._records = self._run()
        return next(self._records)

    def close(self) -> None:
        """Stop: end the runs in flight (their records are lost) and the workers."""
        if self._records is not None:
            self._records.close()  # type: ignore[attr-defined]

    def _run(self) -> Iterator[dict[str, Any]]:
        if self.out is None:
            with contextlib.closing(self._execute(self.runs)) as records:
                yield from records
            return
        with RecordFile(self.out) as f:
            todo = list(pending(f.done, self.runs))
            if not todo:
                return
            with contextlib.closing(self._execute(todo)) as records:
                for item in records:
                    f.append(item)
                    yield item


def sweep(
    dataset: Dataset | str | os.PathLike[str],
    settings: Settings | None = None,
    grid: Mapping[str, Sequence[Any]] | None = None,
    seeds: int | Iterable[int] | None = None,
    *,
    out: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    target: str | None = None,
    features: list[str] | None = None,
    task: str | None = None,
    name: str | None = None,
    label: Callable[[str], str] = str,
    grid_label: Callable[[str], str] | None = None,
) -> Sweep:
    """Fit every configuration of a grid, for each seed, and record each run.

    Every configuration is checked (and resolved against the data) before any
    run starts; the returned :class:`Sweep` runs them as it is iterated.

    Parameters
    ----------
    dataset : Dataset, or str or PathLike
        As for :func:`fnnet.fitting.fit`: a Dataset, a built-in name or a CSV.
    settings : Settings, optional
        The base settings, as ``fnnet train`` takes them.
    grid : mapping of str to list, optional
        Setting name (``"learning_rate"`` or ``"learning-rate"``) to the values
        to try; ``None`` in a list means the default for the data. Every
        combination is a configuration, in the order given (the last name
        varies fastest). A grid value replaces the base setting.
    seeds : int or list of int, optional
        ``n`` for seeds 0 to n - 1, or the seeds; default: the base setting's.
    out : str or PathLike, optional
        A JSON-lines file: each record is appended as its run finishes, and
        runs already recorded there are skipped (so a stopped sweep resumes).
    workers : int, optional
        Run on a pool of this many local processes, each with one BLAS thread
        (default: one after another, in this process). Call from a script
        guarded by ``if __name__ == "__main__":``, as for any spawned pool.
    scheduler : distributed.Client or str, optional
        Run on a Dask cluster: a client, or a scheduler's address such as
        ``"tcp://127.0.0.1:8786"``. Needs ``pip install "fnnet[dask]"``.
    target, features, task, name
        As for :func:`fnnet.fitting.fit`.
    label, grid_label : callable, optional
        How messages name a base setting and a grid setting.

    Returns
    -------
    Sweep
        An iterator of records (dicts), one per run not yet in ``out``, in the
        order the runs finish. A record holds ``key`` (a hash of the data and
        the configuration), ``data``, ``config`` (every resolved setting, the
        seed included), ``status`` (``"ok"``, ``"diverged"`` with
        ``diverged_epoch``, or ``"error"``; ``message`` says why),
        ``train_cost``, ``val_cost``, ``train_accuracy``, ``val_accuracy``
        (``None`` where they do not apply, as in
        :meth:`fnnet.fitting.FitResult.scores`), ``epochs_run``,
        ``best_epoch``, ``seconds`` and ``fnnet_version``.

    Raises
    ------
    ValueError, TypeError
        For a bad grid, seed, setting or data, before any run.
    ImportError
        For a scheduler without Dask installed.

    Examples
    --------
    >>> runs = sweep("xor", Settings(epochs=300, backend="numpy"),
    ...              {"learning_rate": [0.1, 1.2]}, seeds=2)
    >>> len(runs.runs), runs.todo
    (4, 4)
    >>> [(r["config"]["learning_rate"], r["config"]["seed"], r["status"])
    ...  for r in runs]
    [(0.1, 0, 'ok'), (0.1, 1, 'ok'), (1.2, 0, 'ok'), (1.2, 1, 'ok')]
    """
    execute = _executor(workers, scheduler)
    if out is not None:
        check_writable(out, "out")
    base = check_settings(Settings() if settings is None else settings, label)
    grid_label = grid_label or (lambda field: f"grid[{field!r}]")
    runs = plan(
        dataset,
        base,
        check_grid(grid, grid_label),
        check_seeds(seeds, base.seed),
        target=target,
        features=features,
        task=task,
        name=name,
        label=label,
        grid_label=grid_label,
    )
    return Sweep(runs, out, execute)


def _executor(workers: Any, scheduler: Any) -> Callable[[list[Run]], Iterator]:
    """Where the runs go: this process, a local pool, or a Dask cluster."""
    if workers is not None and scheduler is not None:
        raise ValueError("give workers or scheduler, not both")
    if scheduler is not None:
        cluster.require_distributed()  # Dask is imported only when asked for
        return lambda runs: cluster.on_cluster(runs, scheduler)
    if workers is None:
        return local.serial
    if not isinstance(workers, numbers.Integral) or isinstance(workers, bool):
        raise TypeError(f"workers must be an int, found {type(workers).__name__}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, found {workers}")

    def on_pool(runs: list[Run]) -> Iterator[dict[str, Any]]:
        local.warm(runs)
        return local.pool(runs, int(workers))

    return on_pool
