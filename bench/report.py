"""Turning measurements into rows, a Markdown report, JSON and a chart.

Every file is written atomically: to a temporary file in the same folder,
then ``os.replace``d over the target, so a reader never sees half a file.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .checks import Check, compare
from .timing import Measurement
from .workloads import Task, flops_per_epoch, needed_flops_per_epoch

__all__ = ["markdown", "rows_for", "write_atomic", "write_chart"]

BASELINE = "baseline"  # the tutorial loop: the second yardstick
LEAN = "lean"  # the lean NumPy loop: the headline yardstick
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes it private; be an ordinary file
        with os.fdopen(fd, mode) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -------------------------------------------------------------------- rows


def _reference(measurements: Sequence[Measurement], preferred: str) -> str | None:
    """The preferred reference if it ran, else the baseline, else nothing."""
    ok = {m.name for m in measurements if m.status == "ok" and m.outcome is not None}
    for name in (preferred, BASELINE):
        if name in ok:
            return name
    return None


def _check(m: Measurement, ref: Measurement | None, dtype: str) -> Check:
    return compare(
        m.outcome,
        None if ref is None else ref.outcome,
        dtype,
        comparable=m.comparable,
        is_reference=ref is not None and m.name == ref.name,
    )


def rows_for(
    task: Task, measurements: Sequence[Measurement], preferred_reference: str
) -> list[dict[str, Any]]:
    """One JSON-ready row per implementation, with speedup and check.

    ``speedup = lean_time / impl_time`` per epoch (medians), ``vs_tutorial``
    the same against the tutorial baseline; GFLOP/s are ``flops_per_epoch /
    per_epoch_s``; :func:`add_gflops` adds the matmul bound and each row's
    distance from it.
    """
    w, epochs = task.workload, task.epochs
    by_name = {m.name: m for m in measurements}
    ref_name = _reference(measurements, preferred_reference)
    ref = by_name.get(ref_name) if ref_name else None
    base, lean = by_name.get(BASELINE), by_name.get(LEAN)
    base_t = base.per_epoch_s(epochs) if base else None
    lean_t = lean.per_epoch_s(epochs) if lean else None
    rows = []
    for m in measurements:
        t = m.per_epoch_s(epochs)
        check = _check(m, ref, w.dtype)
        gflops = flops_per_epoch(w) / t / 1e9 if t else None
        rows.append(
            {
                "workload": w.name,
                "implementation": m.name,
                "status": m.status,
                "note": m.note,
                "first_call_s": m.first_call_s,
                "per_epoch_s": t,
                "spread": m.spread(),
                "calls": len(m.call_times_s),
                "call_times_s": m.call_times_s,
                "speedup": lean_t / t if lean_t and t else None,
                "vs_tutorial": base_t / t if base_t and t else None,
                "needed_flops": needed_flops_per_epoch(w),
                "accuracy": _accuracy(task, m.outcome),
                "gflops": gflops,
                "dtype": w.dtype,
                "pct_peak": None,
                "check": check.verdict,
                "reference": ref_name,
                "param_err": check.param_err,
                "cost_err": check.cost_err,
                "final_cost": float(m.outcome.costs[-1])
                if m.outcome and len(m.outcome.costs)
                else None,
            }
        )
    return rows


def _accuracy(task: Task, outcome: Any) -> float | None:
    """Share of training examples classified right by a softmax row's result."""
    if outcome is None or task.workload.output != "softmax":
        return None
    try:
        import fnnet as fn
    except ImportError:
        return None
    params = {k: v.astype(task.X.dtype) for k, v in outcome.params.items()}
    labels = fn.predict(params, task.X, task.workload.hidden, "softmax")
    return float(np.mean(labels == task.Y.argmax(axis=0)))


def add_gflops(rows: list[dict[str, Any]], peak_gflops: Mapping[str, float]) -> None:
    """Fill ``pct_peak`` (GFLOP/s as a share of the matmul peak of that dtype),
    ``bound_s`` (the needed FLOPs over that peak: the matmul bound of an
    epoch) and ``x_bound`` (per-epoch time over the bound)."""
    for row in rows:
        peak = peak_gflops.get(row["dtype"])
        if peak:
            row["bound_s"] = row["needed_flops"] / (peak * 1e9)
        if row["gflops"] and peak:
            row["pct_peak"] = 100 * row["gflops"] / peak
            row["x_bound"] = row["per_epoch_s"] / row["bound_s"]


# ---------------------------------------------------------------- Markdown


def fmt_time(seconds: float | None) -> str:
    """A duration with a unit that keeps 3 significant digits.

    Examples
    --------
    >>> fmt_time(0.000123), fmt_time(0.0456), fmt_time(7.891), fmt_time(None)
    ('123 µs', '45.6 ms', '7.89 s', '-')
    """
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _cells(*cells: object) -> str:
    """One Markdown table row."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _num(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _check_cell(row: Mapping[str, Any]) -> str:
    """Verdict with the parameter and cost errors, e.g. ``ok (4e-16 / 1e-15)``."""
    if row["param_err"] is None or row["check"] in ("ref", "-"):
        return row["check"]
    cost = "-" if row["cost_err"] is None else f"{row['cost_err']:.0e}"
    return f"{row['check']} ({row['param_err']:.0e} / {cost})"


def _times(value: float | None) -> str:
    return f"{value:.2f}x" if value else "-"


def _result_line(row: Mapping[str, Any]) -> str:
    if row["status"] != "ok":
        label = "not available" if row["status"] == "n/a" else "error"
        return _cells(
            row["workload"], row["implementation"], label, *[""] * 7, row["note"]
        )
    spread = _num(None if row["spread"] is None else 100 * row["spread"], ".0f")
    acc = row.get("accuracy")
    cells = [
        row["workload"],
        row["implementation"],
        fmt_time(row["first_call_s"]),
        fmt_time(row["per_epoch_s"]),
        f"{spread}%" if spread != "-" else spread,
        f"**{_times(row['speedup'])}**" if row["speedup"] else "-",
        _times(row.get("vs_tutorial")),
        _times(row.get("x_bound")),
        _check_cell(row),
        "-" if acc is None else f"{100 * acc:.2f}%",
        row["note"],
    ]
    return _cells(*cells)


_HEADER = (
    "| workload | implementation | first call | per epoch (median) | spread "
    "| vs lean | vs tutorial | x matmul bound | check (param / cost err) "
    "| accuracy | note |\n"
    "|---|---|--:|--:|--:|--:|--:|--:|---|--:|---|"
)


def _workload_lines(
    workloads: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]
) -> list[str]:
    bound = {r["workload"]: r for r in rows if r.get("bound_s")}
    lines = [
        "| workload | network | m | epochs | dtype | training | needed GFLOP "
        "| matmul bound | data |",
        "|---|---|--:|--:|---|---|--:|--:|---|",
    ]
    for w in workloads:
        net = "-".join(map(str, w["sizes"])) + f" {w['hidden']}/{w['output']}"
        how = f"{w['optimizer']}({w['learning_rate']:g})"
        how += f", batch {w['batch_size']}" if w["batch_size"] else ", full batch"
        r = bound.get(w["name"], {})
        gflop = f"{r['needed_flops'] / 1e9:.3g}" if r else "-"
        lines.append(
            f"| {w['name']} | {net} | {w['m']} | {w['epochs']} | {w['dtype']} "
            f"| {how} | {gflop} | {fmt_time(r.get('bound_s'))} | {w['data']} |"
        )
    return lines


def _pool(p: Mapping[str, Any]) -> str:
    """One thread pool, e.g. ``openblas 0.3.31 (numpy, Haswell): 2 threads``."""
    about = ", ".join(str(x) for x in (p.get("owner"), p.get("architecture")) if x)
    name = " ".join(str(x) for x in (p["internal_api"], p.get("version")) if x)
    return f"{name}{f' ({about})' if about else ''}: {p['num_threads']} threads"


def _machine_lines(meta: Mapping[str, Any]) -> list[str]:
    v, th = meta["versions"], meta["threads"]
    libs = ", ".join(f"{k} {val}" for k, val in v.items() if val)
    missing = ", ".join(k for k, val in v.items() if not val) or "none"
    env = meta["env"]
    set_ = ", ".join(f"{k}={val}" for k, val in env.items() if val is not None)
    unset = ", ".join(k for k, val in env.items() if val is None)
    pools = th["threadpools"]
    if isinstance(pools, list):
        pools = "; ".join(_pool(p) for p in pools)
    blas = meta["numpy_blas"]
    return [
        f"- CPU: {meta['cpu']}, {meta['cores']} cores available ({meta['platform']})",
        f"- Libraries: {libs}; not installed: {missing}",
        f"- Repository: {meta.get('git') or 'unknown'}",
        f"- NumPy BLAS: {blas.get('name')} {blas.get('version') or ''}",
        f"- Thread pools: {pools}; numba threads {th.get('numba')}",
        f"- Environment: {set_ or 'nothing relevant set'}; unset: {unset or '-'}",
    ]


def _peak_lines(peak: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["| dtype | n | time | GFLOP/s |", "|---|--:|--:|--:|"]
    for p in peak:
        lines.append(
            _cells(p["dtype"], p["n"], fmt_time(p["seconds"]), f"{p['gflops']:.1f}")
        )
    return lines


def _probe_lines(
    probes: Sequence[Mapping[str, Any]], cli: Mapping[str, Any] | None
) -> list:
    lines = [
        "| what | config | first call | steady call | first - steady | import fnnet "
        "| process |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for p in probes:
        for kind in ("cold", "warm_cache"):
            r = p.get(kind)
            if r is None:
                continue
            label = "cold compile (cache off)" if kind == "cold" else "warm disk cache"
            if r.get("status") != "ok":
                what = f"{label}: {p['workload']}"
                lines.append(_cells(what, p["config"], r.get("note"), *[""] * 4))
                continue
            cells = [
                r[k] for k in ("first_call_s", "second_call_s", "compile_s", "import_s")
            ]
            times = " | ".join(fmt_time(c) for c in [*cells, r.get("process_s")])
            lines.append(f"| {label}: {p['workload']} | {p['config']} | {times} |")
    if cli is not None:
        what = f"`{cli['command']}` (warm cache)"
        if cli["status"] == "ok":
            median = fmt_time(cli["median_s"])
            lines.append(_cells(what, cli["via"], *[""] * 4, median))
        else:
            lines.append(_cells(what, cli.get("note"), *[""] * 5))
    return lines


def _same_process_lines(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    if not rows:
        return []
    lines = [
        "## Both backends in one process, alternating (per epoch, median)",
        "",
        "| workload | numpy | numba | numba / numpy |",
        "|---|--:|--:|--:|",
    ]
    for r in rows:
        if r.get("status") != "ok":
            lines.append(_cells(r["workload"], "error", r.get("note"), ""))
            continue
        ratio = f"{r['numba_s'] / r['numpy_s']:.2f}"
        lines.append(
            _cells(r["workload"], fmt_time(r["numpy_s"]), fmt_time(r["numba_s"]), ratio)
        )
    return [*lines, ""]


def _load_line(report: Mapping[str, Any]) -> str:
    start, end = report.get("load_average_at_start"), report["machine"]["load_average"]
    if not end:
        return "- Load average: unknown"

    def fmt(load: Sequence[float] | None) -> str:
        return " / ".join(f"{x:.2f}" for x in load) if load else "unknown"

    return (
        f"- Load average (1 / 5 / 15 min): {fmt(start)} at the start, {fmt(end)} "
        f"at the end, on {report['machine']['cores']} cores (more than that "
        "means other work competed for the CPU)"
    )


def markdown(report: Mapping[str, Any], chart: str | None) -> str:
    """The whole report as Markdown; ``chart`` is the PNG's relative path."""
    meta = report["machine"]
    out = [
        f"# fnnet benchmark — {report['date']} ({report['mode']})",
        "",
        f"Command: `{report['command']}`. {report['scaling']}",
        "",
        *_machine_lines(meta),
        _load_line(report),
        "",
        "## Workloads",
        "",
        *_workload_lines(report["workloads"], report["results"]),
        "",
        "## Results",
        "",
        f"Median time per epoch over {report['repeats']} interleaved calls per "
        "implementation (fewer where a row ran out of its time budget) "
        "after one warm-up call (*first call*, which includes any "
        "compilation), each implementation in a process of its own; *spread* is "
        "the interquartile range of the calls relative to their median; *vs lean* "
        "= lean NumPy time / implementation time (the headline ratio), *vs "
        "tutorial* the same against the tutorial loop; *x matmul bound* = time "
        "per epoch / the workload's matmul bound; *check* compares final "
        "parameters and costs with the reference "
        '(`fnnet.train(backend="numpy")`); *accuracy* is on the training set.',
        "",
        _HEADER,
        *(_result_line(r) for r in report["results"]),
        "",
        "The matmul bound of a workload is the matrix-multiply FLOPs an epoch "
        "needs (forward, `dW` of every layer and `dA` of every layer but the "
        "first: `2 m (3 Σ n_(l-1) n_l - n_0 n_1)`) over the best matrix-multiply "
        "rate of its dtype measured in this run.",
        "",
        "## Matrix-multiply peak (NumPy `A @ B`, best of several)",
        "",
        *_peak_lines(report["matmul_peak"]),
        "",
        "## Compile time and console command",
        "",
        *_probe_lines(report.get("probes") or [], report.get("cli")),
        "",
        *_same_process_lines(report.get("same_process") or []),
    ]
    if report.get("notes"):
        out += ["## Notes", "", *(f"- {n}" for n in report["notes"]), ""]
    out += [f"![speedups]({chart})", ""] if chart else ["(no chart written)", ""]
    return "\n".join(out)


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinity (at any depth) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def to_json(report: Mapping[str, Any]) -> str:
    """The report as indented JSON (NaN and infinities become null)."""
    return json.dumps(_finite(report), indent=1, default=str, allow_nan=False) + "\n"


# ------------------------------------------------------------------- chart


def write_chart(report: Mapping[str, Any], path: Path) -> bool:
    """A grouped bar chart of the speedups; False without matplotlib.

    Bars grow up (faster) or down (slower) from the baseline's 1x line, on a
    log scale, labelled with their value.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = [
        r for r in report["results"] if r["speedup"] and r["implementation"] != LEAN
    ]
    workloads = list(dict.fromkeys(r["workload"] for r in rows))
    impls = list(dict.fromkeys(r["implementation"] for r in rows))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(workloads)), 4.5))
    width = 0.8 / max(1, len(impls))
    for i, impl in enumerate(impls):
        xs, ys = [], []
        for j, wl in enumerate(workloads):
            for r in rows:
                if r["workload"] == wl and r["implementation"] == impl:
                    xs.append(j + (i - (len(impls) - 1) / 2) * width)
                    ys.append(r["speedup"])
        bars = ax.bar(xs, [y - 1 for y in ys], width, bottom=1.0, label=impl)
        ax.bar_label(bars, [f"{y:.2g}" for y in ys], fontsize=6, padding=1)
    ax.axhline(1.0, color="black", linewidth=0.8, label="lean NumPy = 1")
    ax.set_yscale("log")
    ax.set_xticks(range(len(workloads)), workloads)
    ax.set_ylabel("speedup over the lean NumPy loop (x, log)")
    ax.set_title(f"fnnet benchmark {report['date']} ({report['mode']})")
    ax.legend(fontsize="small", ncol=3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    write_atomic(path, buf.getvalue())
    return True
