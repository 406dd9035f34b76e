"""A sweep's plan: the grid checked and expanded, one prepared fit per run.

Every configuration is checked and resolved against the data by
:func:`fnnet.fitting.prepare` before any run starts, so a bad value in the grid
is an error up front, not a failed run. A CSV file is read once per dtype, so
every run sees the same rows even if the file changes during the sweep.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import numbers
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from ..data import Dataset
from ..fitting import Job, prepare
from ..settings import Settings, check_settings, source_of

#: Settings a grid may sweep: every field of Settings but the seed (see seeds).
GRID_NAMES = tuple(name for name in Settings._fields if name != "seed")


class Run(NamedTuple):
    """One run of a sweep: its key, data name, resolved settings and fit."""

    key: str
    data: str
    config: dict[str, Any]
    job: Job


def check_grid(
    grid: Mapping[str, Sequence[Any]] | None, label: Callable[[str], str] = str
) -> dict[str, tuple[Any, ...]]:
    """The grid with names as Settings fields and each value checked alone.

    Names may be written with dashes (``"learning-rate"``). Each value list is
    non-empty and without repeats; ``None`` means the default for the data.

    Examples
    --------
    >>> check_grid({"learning-rate": [0.1, 1], "hidden_sizes": [[8], []]})
    {'learning_rate': (0.1, 1), 'hidden_sizes': ([8], [])}
    >>> check_grid({"seed": [1, 2]})
    Traceback (most recent call last):
    ValueError: grid name 'seed' is not for the grid: give the seeds instead
    """
    if grid is None:
        return {}
    if not isinstance(grid, Mapping):
        raise TypeError(
            "grid must be a mapping of setting name to a list of values, "
            f"found {type(grid).__name__}"
        )
    out: dict[str, tuple[Any, ...]] = {}
    for name, values in grid.items():
        field = name.replace("-", "_") if isinstance(name, str) else name
        if field == "seed":
            raise ValueError(
                f"grid name {name!r} is not for the grid: give the seeds instead"
            )
        if field not in GRID_NAMES:
            raise ValueError(
                f"grid name {name!r} is not a training setting; one of "
                f"{', '.join(GRID_NAMES)}"
            )
        if field in out:
            raise ValueError(f"grid names {label(field)} twice")
        out[field] = _check_values(field, values, label)
    return out


def _check_values(field: str, values: Any, label: Callable[[str], str]) -> tuple:
    """A non-empty list of distinct values, each a valid setting on its own."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"{label(field)} must be a list of values, found {values!r}")
    if not values:
        raise ValueError(f"{label(field)} must list at least one value, found []")
    seen: list[Any] = []
    for value in values:
        if value is not None:
            value = getattr(check_settings(Settings(**{field: value}), label), field)
        if value in seen:
            raise ValueError(f"{label(field)} lists {value!r} twice")
        seen.append(value)
    return tuple(values)


def check_seeds(seeds: int | Iterable[int] | None, default: int = 0) -> tuple[int, ...]:
    """``n`` means seeds ``0`` to ``n - 1``; a list is taken as it is.

    Examples
    --------
    >>> check_seeds(3), check_seeds([7, 1]), check_seeds(None, default=5)
    ((0, 1, 2), (7, 1), (5,))
    """
    if seeds is None:
        return (default,)
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be a count >= 1 or a list, found {seeds}")
        return tuple(range(int(seeds)))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise TypeError(f"seeds must be an int or a list of ints, found {seeds!r}")
    found = tuple(seeds)
    checked = tuple(
        check_settings(Settings(seed=s), lambda _: "seeds").seed for s in found
    )
    if not checked or len(set(checked)) != len(checked):
        raise ValueError(
            f"seeds must be distinct and at least one, found {list(found)}"
        )
    return checked


def plan(
    dataset: Dataset | str | os.PathLike[str],
    settings: Settings | None,
    grid: Mapping[str, tuple[Any, ...]],
    seeds: tuple[int, ...],
    *,
    target: str | None = None,
    features: list[str] | None = None,
    task: str | None = None,
    name: str | None = None,
    label: Callable[[str], str] = str,
    grid_label: Callable[[str], str] = str,
) -> list[Run]:
    """Every run of the sweep, in order: grid points as given, seeds innermost.

    ``grid`` and ``seeds`` come from :func:`check_grid` and :func:`check_seeds`.
    Raises what :func:`fnnet.fitting.prepare` raises, naming the grid point.
    """
    base = check_settings(Settings() if settings is None else settings, label)
    data = _Data(dataset, name, {"target": target, "features": features, "task": task})
    data.load(base.dtype, label)  # errors in the data itself, before the grid's
    runs, seen = [], {}
    for values in itertools.product(*grid.values()):
        point = dict(zip(grid, values, strict=True))
        lab = _labels(point, label, grid_label)
        for seed in seeds:
            try:
                run = data.run(base._replace(**point, seed=seed), lab)
            except (ValueError, TypeError) as e:
                raise type(e)(f"{e} (grid point {_show(point)})") from None
            if run.key in seen:
                raise ValueError(
                    f"grid points {_show(seen[run.key])} and {_show(point)} are the "
                    "same configuration once the defaults are filled in"
                )
            seen[run.key] = point
            runs.append(run)
    return runs


class _Data:
    """The sweep's data, loaded and hashed once per dtype, prepared per run."""

    def __init__(self, given: Any, name: str | None, options: dict[str, Any]) -> None:
        self.given, self.name, self.options = given, name, options
        self.loaded: dict[str, tuple[Job, str]] = {}

    def load(self, dtype: str, label: Callable[[str], str]) -> tuple[Job, str]:
        """The data in ``dtype`` (a default fit's job) and their hash."""
        dtype = check_settings(Settings(dtype=dtype), label).dtype
        if dtype not in self.loaded:
            held = prepare(
                self.given, Settings(dtype=dtype), name=self.name, **self.options
            )
            self.loaded[dtype] = held, _digest(held.dataset)
        return self.loaded[dtype]

    def run(self, s: Settings, label: Callable[[str], str]) -> Run:
        """The run of settings ``s``, checked and resolved by ``prepare``."""
        held, digest = self.load(s.dtype, label)
        if _is_table(self.given):
            job = prepare(self.given, s, name=self.name, label=label)
        else:
            job = prepare(
                held.dataset, s, target=held.target, name=held.name, label=label
            )
        return _run(job, digest)


def _is_table(dataset: Any) -> bool:
    """A built-in truth table: named, with no file behind it."""
    return isinstance(dataset, (str, os.PathLike)) and source_of(dataset).path is None


def _labels(
    point: Mapping[str, Any], label: Callable[[str], str], grid_label: Callable
) -> Callable[[str], str]:
    """Name a setting as the grid does when the grid sets it."""
    return lambda field: grid_label(field) if field in point else label(field)


def _show(point: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in point.items()) or "(none)"


def config_of(s: Settings) -> dict[str, Any]:
    """Resolved settings as JSON values (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in s._asdict().items()}


def _run(job: Job, digest: str) -> Run:
    """A run and its key: a hash of the data, the target and every setting."""
    config = config_of(job.settings)
    ident = {"data": job.name, "target": job.target, "digest": digest, "config": config}
    text = json.dumps(ident, sort_keys=True, separators=(",", ":"))
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return Run(key, job.name, config, job)


def _digest(ds: Dataset) -> str:
    """What the data hold, hashed: a changed file is a new configuration."""
    h = hashlib.sha256()
    for array in (ds.X, ds.Y):
        h.update(str((array.shape, array.dtype.str)).encode())
        h.update(array.tobytes(order="C"))
    h.update(repr((ds.feature_names, ds.classes, ds.task)).encode())
    return h.hexdigest()
