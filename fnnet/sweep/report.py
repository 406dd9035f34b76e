"""What a sweep found: configurations ranked over their seeds, and a plot."""

from __future__ import annotations

import json
import math
import os
import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from ..io import atomic_write

#: Numeric settings drawn on a log axis whatever their range.
LOG_SETTINGS = ("learning_rate",)


class Summary(NamedTuple):
    """One configuration over its seeds; ``cost`` is the mean over ``ok`` runs.

    ``part`` is ``"validation"`` when the runs held out validation data (the
    cost and accuracy are then the validation ones), else ``"training"``.
    Spreads are sample standard deviations (``None`` with fewer than 2 runs).
    """

    settings: dict[str, Any]
    runs: int
    ok: int
    diverged: int
    errors: int
    part: str
    cost: float | None
    cost_sd: float | None
    accuracy: float | None
    accuracy_sd: float | None


def varying(records: Iterable[dict[str, Any]]) -> list[str]:
    """The settings (and ``data``) that differ between records, seed aside.

    Examples
    --------
    >>> varying([{"data": "xor", "config": {"seed": 0, "epochs": 5, "l2": 0.0}},
    ...          {"data": "xor", "config": {"seed": 1, "epochs": 9, "l2": 0.0}}])
    ['epochs']
    """
    seen: dict[str, set[str]] = {}
    for item in records:
        for name, value in _settings(item).items():
            seen.setdefault(name, set()).add(json.dumps(value))
    return [name for name, values in seen.items() if len(values) > 1]


def _settings(item: dict[str, Any]) -> dict[str, Any]:
    config = {k: v for k, v in item["config"].items() if k != "seed"}
    return {"data": item["data"], **config}


def summarize(records: Iterable[dict[str, Any]]) -> list[Summary]:
    """Configurations ranked by their mean cost over seeds, lowest first.

    Records group by every setting but the seed; each :class:`Summary` names
    the settings that differ between configurations. The cost is the
    validation cost, or the training cost for runs without a validation part;
    configurations with no successful run come last.

    Examples
    --------
    >>> def rec(rate, seed, cost):
    ...     return {"data": "xor", "status": "ok", "val_cost": None,
    ...             "train_cost": cost, "train_accuracy": 1.0,
    ...             "config": {"learning_rate": rate, "seed": seed}}
    >>> best = summarize([rec(0.1, 0, 0.5), rec(1.2, 0, 0.1), rec(1.2, 1, 0.3)])[0]
    >>> best.settings, best.runs, best.part, round(best.cost, 6)
    ({'learning_rate': 1.2}, 2, 'training', 0.2)
    """
    records = list(records)
    names = varying(records)
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in records:
        groups.setdefault(json.dumps(_settings(item), sort_keys=True), []).append(item)
    rows = [_summary(group, names) for group in groups.values()]
    return sorted(rows, key=lambda r: math.inf if r.cost is None else r.cost)


def _summary(group: list[dict[str, Any]], names: list[str]) -> Summary:
    ok = [item for item in group if item["status"] == "ok"]
    held_out = any(item["val_cost"] is not None for item in ok)
    prefix = "val_" if held_out else "train_"
    costs = [item[prefix + "cost"] for item in ok]
    accuracies = [item[prefix + "accuracy"] for item in ok]
    return Summary(
        settings={name: _settings(group[0])[name] for name in names},
        runs=len(group),
        ok=len(ok),
        diverged=sum(item["status"] == "diverged" for item in group),
        errors=sum(item["status"] == "error" for item in group),
        part="validation" if held_out else "training",
        cost=_mean(costs),
        cost_sd=_sd(costs),
        accuracy=None if None in accuracies else _mean(accuracies),
        accuracy_sd=None if None in accuracies else _sd(accuracies),
    )


def _legend(name: str, value: Any) -> str:
    if name == "hidden_sizes" and value == []:
        return "no hidden layer"
    return f"{name.replace('_', ' ')} {json.dumps(value)}"


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _sd(values: list[float]) -> float | None:
    return statistics.stdev(values) if len(values) > 1 else None


def numeric_settings(records: Iterable[dict[str, Any]]) -> list[str]:
    """The differing settings whose values are all numbers (plotted on an axis)."""
    records = list(records)

    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    return [
        name
        for name in varying(records)
        if all(number(_settings(item)[name]) for item in records)
    ]


def require_matplotlib() -> None:
    """matplotlib is an optional extra: say how to get it."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(
            "plotting a sweep needs matplotlib, which is not installed: "
            'pip install "fnnet[plot]"'
        ) from None


def plot(records: Iterable[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Draw the cost against each numeric setting swept, written atomically as PNG.

    One panel per numeric setting that differs between the records (a log
    axis for the learning rate, and for positive values spanning 100x or
    more); one line per combination of the other differing settings, at the
    mean over seeds with a band of one standard deviation.

    Raises
    ------
    ValueError
        If no numeric setting differs between the records.
    ImportError
        Without matplotlib (``pip install "fnnet[plot]"``).
    """
    require_matplotlib()
    from matplotlib.figure import Figure

    records = list(records)
    axes_names = numeric_settings(records)
    if not axes_names:
        raise ValueError(
            "a sweep plot draws the cost against a numeric setting, and no numeric "
            "setting differs between these runs"
        )
    rows = summarize(records)
    fig = Figure(figsize=(6.0 * len(axes_names), 4.6), layout="constrained")
    for ax, name in zip(
        fig.subplots(1, len(axes_names), squeeze=False)[0], axes_names, strict=True
    ):
        _panel(ax, name, rows)
    seeds = max(r.runs for r in rows)
    fig.suptitle(
        f"fnnet sweep {records[0]['data']}: mean and standard deviation over "
        f"{seeds} seed{'s' * (seeds > 1)}",
        fontsize="medium",
    )
    return atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110))


def _panel(ax: Any, name: str, rows: list[Summary]) -> None:
    """The cost against one setting: a line per combination of the others."""
    lines: dict[str, list[Summary]] = {}
    for row in rows:
        others = {k: v for k, v in row.settings.items() if k != name}
        label = ", ".join(_legend(k, v) for k, v in others.items())
        lines.setdefault(label or "all runs", []).append(row)
    for label, members in sorted(lines.items()):
        members = sorted(
            (r for r in members if r.cost is not None), key=lambda r: r.settings[name]
        )
        x = [r.settings[name] for r in members]
        y = [r.cost for r in members]
        sd = [r.cost_sd or 0.0 for r in members]
        (line,) = ax.plot(x, y, marker="o", ms=4, label=label)
        low = [c - s for c, s in zip(y, sd, strict=True)]
        high = [c + s for c, s in zip(y, sd, strict=True)]
        ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, lw=0)
    values = [r.settings[name] for r in rows]
    if name in LOG_SETTINGS or (min(values) > 0 and max(values) >= 100 * min(values)):
        ax.set_xscale("log")
    costs = [r.cost for r in rows if r.cost is not None]
    if costs and min(costs) > 0 and max(costs) > 30 * min(costs):
        ax.set_yscale("log")
    parts = {r.part for r in rows}
    part = parts.pop() if len(parts) == 1 else "validation or training"
    ax.set(xlabel=name.replace("_", " "), ylabel=f"{part} cost")
    ax.grid(alpha=0.3)
    ax.grid(alpha=0.1, which="minor")
    if len(lines) > 1:
        ax.legend(fontsize="small")
