"""``python -m bench``: run the benchmark, print the table, write the results.

Examples::

    python -m bench                     # full run, updates bench/RESULTS.md
    python -m bench --quick             # about a minute, epochs / 10
    python -m bench --only xor,tabular --repeats 9
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import machine, probes, report
from .impls import IMPLEMENTATIONS, REFERENCE
from .same_process import same_process_probes
from .timing import measure, measure_isolated
from .workloads import Workload, make_task, select

__all__ = ["main", "parse_args"]

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_REPEATS = {"quick": 3, "full": 5}
#: Seconds of timed calls after which a row sits out the remaining rounds.
DEFAULT_BUDGET_S = {"quick": 10.0, "full": 90.0}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see ``python -m bench --help``)."""
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time fnnet's training loop against a NumPy baseline "
        "and other frameworks.",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="fewer epochs and repeats, no 2048 matmul: about a minute",
    )
    p.add_argument("--only", help="comma-separated workloads, e.g. xor,tabular")
    p.add_argument("--repeats", type=int, help="timed calls per implementation")
    p.add_argument(
        "--budget",
        type=float,
        help="seconds of timed calls per row and workload before it stops "
        "(default: 10 quick, 90 full; 0: no limit)",
    )
    p.add_argument(
        "--impls", help=f"comma-separated subset of {','.join(IMPLEMENTATIONS)}"
    )
    p.add_argument("--no-probes", action="store_true", help="skip subprocess timings")
    p.add_argument("--no-save", action="store_true", help="print only, write no files")
    p.add_argument(
        "--in-process",
        action="store_true",
        help="time every implementation in this process (default: one process each)",
    )
    p.add_argument(
        "--note", action="append", default=[], help="a note for the report (repeatable)"
    )
    p.add_argument(
        "--results-dir", type=Path, default=BENCH_DIR / "results", help="output folder"
    )
    args = p.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        p.error(f"--repeats must be at least 1, found {args.repeats}")
    return args


def _factories(args: argparse.Namespace) -> dict[str, Any]:
    factories = dict(IMPLEMENTATIONS)
    if not args.impls:
        return factories
    wanted = [s.strip() for s in args.impls.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in factories]
    if unknown:
        raise SystemExit(f"--impls: unknown {unknown}, expected {list(factories)}")
    return {name: f for name, f in factories.items() if name in wanted}


_START = time.perf_counter()


def _clock() -> str:
    """Seconds since the run started, for the progress log."""
    return f"at {time.perf_counter() - _START:.0f} s"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _describe_workload(w: Workload, epochs: int, data: str) -> dict[str, Any]:
    return {
        "name": w.name,
        "sizes": list(w.sizes),
        "m": w.m,
        "epochs": epochs,
        "full_epochs": w.epochs,
        "dtype": w.dtype,
        "hidden": w.hidden,
        "output": w.output,
        "optimizer": w.optimizer,
        "learning_rate": w.learning_rate,
        "batch_size": w.batch_size,
        "data": data,
    }


def _peak_by_dtype(peak: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    best: dict[str, float] = {}
    for row in peak:
        best[row["dtype"]] = max(best.get(row["dtype"], 0.0), row["gflops"])
    return best


def _run_workloads(
    workloads: Sequence[Workload], factories: Mapping, args: argparse.Namespace
) -> tuple[list[dict], list[dict], list[str]]:
    described, rows, notes = [], [], []
    for w in workloads:
        task = make_task(w, args.quick)
        _log(f"{w.name}: {task.epochs} epochs, {args.repeats} rounds ({_clock()})")
        if args.in_process:
            measurements = measure(task, factories, args.repeats, args.budget or None)
        else:
            measurements = measure_isolated(
                task, list(factories), args.repeats, args.budget or None
            )
        described.append(_describe_workload(w, task.epochs, task.data_source))
        rows += report.rows_for(task, measurements, REFERENCE)
        if task.init_source != "fnnet":
            notes.append(f"{w.name}: initial parameters from {task.init_source}")
    return described, rows, notes


def _scaling(args: argparse.Namespace, workloads: Sequence[Workload]) -> str:
    if args.quick:
        scaled = ", ".join(f"{w.name} {w.quick_epochs}/{w.epochs}" for w in workloads)
        return (
            f"Quick mode: epochs scaled down ({scaled}), {args.repeats} rounds, "
            f"{_budget(args)}. Each call's fixed cost (validation, dispatch) is "
            "spread over fewer epochs, so the fastest rows on the small workloads "
            "look slower per epoch than in a full run; first-call times are not "
            "comparable either."
        )
    return f"Full mode: all epochs, {args.repeats} rounds, {_budget(args)}."


def _budget(args: argparse.Namespace) -> str:
    if not args.budget:
        return "no time budget"
    return f"a row stops after {args.budget:g} s of timed calls"


def _stem(args: argparse.Namespace, date: str, mode: str) -> str:
    suffix = "" if not args.only else "-" + args.only.replace(",", "-")
    return f"{date}-{mode}{suffix}"


def _save(
    result: dict[str, Any], args: argparse.Namespace, complete: bool
) -> tuple[list[Path], str | None]:
    """Write chart, JSON and Markdown (and RESULTS.md after a complete full run)."""
    stem = _stem(args, result["date"], result["mode"])
    out = args.results_dir
    png = out / f"{stem}.png"
    chart = png.name if report.write_chart(result, png) else None
    if chart is None:
        result["notes"].append("matplotlib is not installed: no chart")
    written = [png] if chart else []
    for path, text in (
        (out / f"{stem}.json", report.to_json(result)),
        (out / f"{stem}.md", report.markdown(result, chart)),
    ):
        report.write_atomic(path, text)
        written.append(path)
    if result["mode"] == "full" and complete and out == BENCH_DIR / "results":
        rel = f"results/{chart}" if chart else None
        report.write_atomic(BENCH_DIR / "RESULTS.md", report.markdown(result, rel))
        written.append(BENCH_DIR / "RESULTS.md")
    return written, chart


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the process exit code."""
    args = parse_args(argv)
    mode = "quick" if args.quick else "full"
    args.repeats = args.repeats or DEFAULT_REPEATS[mode]
    if args.budget is None:
        args.budget = DEFAULT_BUDGET_S[mode]
    workloads, factories = select(args.only), _factories(args)
    started, load_at_start = time.perf_counter(), machine.load_average()
    _log("matmul peak ...")
    sizes, calls = ((1024,), 3) if args.quick else ((1024, 2048), 5)
    peak = machine.matmul_peak(sizes, calls)
    described, rows, notes = _run_workloads(workloads, factories, args)
    _log("matmul peak again ...")
    peak = machine.matmul_peak(sizes, calls, previous=peak)
    report.add_gflops(rows, _peak_by_dtype(peak))
    probe_rows, cli, same = [], None, []
    if not args.no_probes:
        _log("compile probes and console command ...")
        probed = workloads[:1] if args.quick else workloads
        probe_rows = probes.compile_probes(probed, cold=not args.quick)
        cli = probes.cli_wall_time(runs=1 if args.quick else 3)
        heavy = [w for w in workloads if w.family in ("wide", "mnist")]
        same = same_process_probes(heavy[:1] if args.quick else heavy, args.quick)
        if args.quick:
            notes.append("quick mode: no cold-compile probe (a full run has it)")
    result = {
        "schema": 1,
        "date": datetime.now(timezone.utc).date().isoformat(),
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "mode": mode,
        "command": shlex.join(
            ["python", "-m", "bench", *(argv if argv is not None else sys.argv[1:])]
        ),
        "scaling": _scaling(args, workloads),
        "repeats": args.repeats,
        "budget_s": args.budget or None,
        "machine": machine.describe(),
        "load_average_at_start": load_at_start,
        "matmul_peak": peak,
        "workloads": described,
        "results": rows,
        "probes": probe_rows,
        "cli": cli,
        "same_process": same,
        "notes": [*args.note, *notes],
        "wall_time_s": time.perf_counter() - started,
    }
    complete = not args.only and not args.impls and not args.no_probes
    written, chart = ([], None) if args.no_save else _save(result, args, complete)
    print(report.markdown(result, chart))
    for path in written:
        _log(f"wrote {path}")
    _log(f"done in {result['wall_time_s']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
