"""``fnnet sweep``: a grid of ``fnnet train`` runs, recorded in a JSON-lines file."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from ..io import check_writable
from ..settings import Settings
from ..sweep import GRID_NAMES, Summary, numeric_settings, plot, read_records, sweep
from ..sweep import summarize as rank
from .common import CliError, flag
from .progress import StatusLine, tqdm_class
from .train import SETTINGS, _data_options, _require_plotting

SWEEP_EPILOG = """\
--grid NAME=JSON_LIST sweeps a training option over the values of a JSON list
(null: the default for the data); the grid is every combination, each run for
every seed. Records are appended to --out as runs finish; run the same
command again to run only what is missing (after a crash or Ctrl-C too).

examples:
  fnnet sweep xor --grid 'learning-rate=[0.01, 0.1, 1, 10]' --seeds 5 \\
      --out xor_runs.jsonl --workers 2 --plot xor_rates.png
  fnnet sweep diabetes --grid 'hidden-sizes=[[], [8], [16, 8]]' \\
      --grid 'optimizer=["sgd", "adam"]' --seeds 3 --out runs.jsonl \\
      --scheduler tcp://127.0.0.1:8786
"""


def add_sweep_options(p: argparse.ArgumentParser) -> None:
    """The options of ``fnnet sweep`` besides those it shares with ``fnnet train``."""
    g = p.add_argument_group("sweep")
    g.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="NAME=JSON_LIST",
        help="an option and its values, e.g. 'learning-rate=[0.1, 1]' (repeatable)",
    )
    g.add_argument("--seeds", type=int, metavar="N", help="seeds 0 to N-1 (default 1)")
    where = g.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N", help="local processes")
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help='a Dask scheduler (pip "fnnet[dask]")'
    )
    o = p.add_argument_group("output")
    o.add_argument("--out", metavar="RUNS.jsonl", required=True, help="the records")
    o.add_argument("--plot", metavar="FILE.png", help="cost against each setting")
    o.add_argument("--quiet", action="store_true", help="no progress, no table")


def cmd_sweep(args: argparse.Namespace) -> int:
    """``fnnet sweep``: train DATA over a grid of settings, one record per run."""
    for option, path in (("--out", args.out), ("--plot", args.plot)):
        if path is not None:
            check_writable(path, option)
    if args.plot:
        _require_plotting()
    if args.seeds is not None and args.seed is not None:
        args.usage("give --seed or --seeds, not both")
    given = {name: getattr(args, name, None) for name in SETTINGS}
    plan = sweep(
        args.data,
        Settings(**{k: v for k, v in given.items() if v is not None}),
        _grid(args),
        args.seeds,
        out=args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        label=flag,
        grid_label=lambda name: "--grid " + name.replace("_", "-"),
        **_data_options(args),
    )
    if args.plot and not numeric_settings(
        {"data": r.data, "config": r.config} for r in plan.runs
    ):
        raise CliError("--plot draws the cost against a numeric setting in --grid")
    _notices(args, plan)
    _run(plan, not args.quiet and sys.stderr.isatty(), args.out)
    keys = {run.key for run in plan.runs}
    found = [item for item in read_records(args.out) if item["key"] in keys]
    if args.plot:
        plot(found, args.plot)
    if not args.quiet:
        print("\n".join(_table(plan, found, args)))
    return 0


def _grid(args: argparse.Namespace) -> dict[str, Any]:
    """``--grid NAME=JSON_LIST`` options as a mapping (a usage error if malformed)."""
    grid: dict[str, Any] = {}
    for text in args.grid:
        name, sep, values = text.partition("=")
        field = name.strip().replace("-", "_")
        if not sep or not name.strip():
            args.usage(f"--grid {text}: write NAME=JSON_LIST, e.g. 'epochs=[100, 500]'")
        if field == "seed":
            args.usage("--grid seed: give --seeds N instead")
        if field not in GRID_NAMES:
            names = ", ".join(n.replace("_", "-") for n in GRID_NAMES)
            args.usage(f"--grid {name}: not a training option; one of {names}")
        if field in grid:
            args.usage(f"--grid {name} given twice")
        try:
            grid[field] = json.loads(values)
        except ValueError as e:
            raise CliError(f"--grid {name}: {values!r} is not JSON ({e})") from None
        if not isinstance(grid[field], list):
            raise CliError(
                f"--grid {name}: give a JSON list, e.g. [1, 2], not {values}"
            )
    return grid


def _notices(args: argparse.Namespace, plan: Any) -> None:
    """What resuming found in the records file, on stderr."""
    if args.quiet:
        return
    if plan.dropped:
        print(
            f"fnnet: {args.out}: dropping a partial last line ({plan.dropped} bytes) "
            "left by an interrupted sweep",
            file=sys.stderr,
        )
    if plan.done:
        print(
            f"fnnet: {args.out} has {len(plan.runs) - plan.todo} of the "
            f"{len(plan.runs)} runs already: running the other {plan.todo}",
            file=sys.stderr,
        )


def _run(plan: Any, show: bool, out: str) -> None:
    """Run what is left, showing progress; on Ctrl-C, say what was kept."""
    done = 0
    try:
        with _progress(plan.todo, show) as advance:
            for item in plan:
                done += 1
                advance(item["status"] != "ok")
    except KeyboardInterrupt:
        plan.close()
        print(
            f"fnnet: {done} finished runs are recorded in {out}: run the same "
            "command again to run the rest",
            file=sys.stderr,
        )
        raise
    finally:
        plan.close()


@contextlib.contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Any]:
    """``advance(failed)`` after each run: runs done of total, and failures."""
    if not enabled:
        yield lambda failed: None
        return
    tqdm = tqdm_class()
    bar = _Line(total, sys.stderr) if tqdm is None else _Bar(tqdm, total)
    try:
        yield bar.advance
    finally:
        bar.close()


class _Bar:
    def __init__(self, tqdm: Any, total: int) -> None:
        self.failed = 0
        self.bar = tqdm(
            total=total, desc="sweep", unit="run", file=sys.stderr, leave=False
        )

    def advance(self, failed: bool) -> None:
        self.failed += failed
        if self.failed:
            self.bar.set_postfix_str(f"{self.failed} failed", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


class _Line:
    """``sweep: 12/40 runs, 1 failed``, redrawn after every run."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self.line = StatusLine(stream)
        self.advance(False, count=False)

    def advance(self, failed: bool, count: bool = True) -> None:
        self.done += count
        self.failed += failed
        text = f"sweep: {self.done}/{self.total} runs"
        self.line.show(
            text + (f", {self.failed} failed" if self.failed else ""), force=True
        )

    def close(self) -> None:
        self.line.close()


def _table(
    plan: Any, found: list[dict[str, Any]], args: argparse.Namespace
) -> list[str]:
    """The sweep in one line, then its configurations ranked by mean cost."""
    rows = rank(found)
    seeds = len({r.config["seed"] for r in plan.runs})
    n = len(plan.runs) // seeds
    failed = sum(item["status"] != "ok" for item in found)
    lines = [
        f"sweep       {plan.runs[0].data}: {n} configuration{'s' * (n > 1)} x "
        f"{seeds} seed{'s' * (seeds > 1)} = {len(plan.runs)} runs, "
        f"{failed} failed; records in {args.out}",
    ]
    if args.plot:
        lines.append(f"plot        written to {args.plot}")
    if not rows:
        return lines
    part = " or ".join(sorted({r.part for r in rows}, reverse=True))
    lines.append(f"ranked by   {part} cost, mean ± sd over seeds")
    names = list(rows[0].settings)
    header = ["rank", *(flag(n)[2:] for n in names), "runs ok", "cost", "accuracy"]
    cells = [header] + [_cells(i, row, names) for i, row in enumerate(rows, 1)]
    widths = [max(len(c[j]) for c in cells) for j in range(len(header))]
    return [*lines, ""] + [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]


def _cells(i: int, row: Summary, names: list[str]) -> list[str]:
    def pm(mean: float | None, sd: float | None, fmt: str) -> str:
        if mean is None:
            return "-"
        return format(mean, fmt) + ("" if sd is None else " ± " + format(sd, ".2g"))

    failed = [f"{row.diverged} diverged"] * bool(row.diverged) + [
        f"{row.errors} errors"
    ] * bool(row.errors)
    runs = f"{row.ok}/{row.runs}" + (f" ({', '.join(failed)})" if failed else "")
    return [
        str(i),
        *(json.dumps(row.settings[n]) for n in names),
        runs,
        pm(row.cost, row.cost_sd, ".4g"),
        pm(row.accuracy, row.accuracy_sd, ".3f"),
    ]
