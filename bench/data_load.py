"""Reading large CSV files: ``fnnet.data.load_csv`` against ``np.loadtxt`` and pandas.

    python -m bench.data_load                   # 200,000 rows; predict on 1,000,000
    python -m bench.data_load --repeats 1 --rows 20000 --predict-rows 0 --no-save

Two files are generated in a temporary folder, deterministically
(``numpy.random.default_rng(20240601)``): 30 features written as
``-1.234567`` and a label, ``0``/``1`` in the *numeric* file and
``cat``/``dog`` in the *text* file (about 300 bytes a row). Each measurement
is a child process of its own (``python -m bench.data_load --child ...``,
started from a small launcher process, as a child's ``ru_maxrss`` starts at
its parent's peak): it imports what it needs, reads ``ru_maxrss`` (the import
baseline), reads the file once, and prints the wall time of the read and the
peak ``ru_maxrss`` above the baseline. The rows, medians over ``--repeats`` children:

- ``np.loadtxt``: every column of the numeric file; of the text file the 30
  features only (``usecols``), as it reads no text;
- ``pandas.read_csv`` (C engine), where pandas is installed;
- ``load_csv``: ``fnnet.data.load_csv(path, "label")``, the fast reader;
- ``load_csv, exact reader``: the same through the exact reader, which reads
  every cell in Python (what ``load_csv`` did for every file before the fast
  reader, and still does for a file it cannot vouch for);
- ``fnnet train --epochs 1``: the whole command (NumPy backend, so no
  compilation), for its peak memory: loading plus training's own copies;
- ``fnnet predict``: the whole command on a file of ``--predict-rows`` rows,
  read and predicted in blocks.

"x arrays" is the peak above the baseline divided by the size of the arrays
returned. The report is printed and, unless ``--no-save``, written to
``bench/results/<date>-data-load.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N_FEATURES = 30
LABELS = {"numeric": (b"0", b"1"), "text": (b"cat", b"dog")}
#: Runs a command from a fresh small process: a child's ``ru_maxrss`` starts
#: at its parent's peak (inherited through fork and exec), so not from here.
LAUNCHER = (
    sys.executable,
    "-c",
    "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))",
    sys.executable,
)
READERS = ("np.loadtxt", "pandas.read_csv", "load_csv", "load_csv, exact reader")


def write_csv(path: Path, rows: int, kind: str, seed: int = 20240601) -> Path:
    """``rows`` rows of N_FEATURES values ``-1.234567`` and a label, quickly."""
    rng = np.random.default_rng(seed)
    with path.open("wb") as f:
        names = [f"x{i}" for i in range(N_FEATURES)] + ["label"]
        f.write((",".join(names) + "\n").encode())
        for start in range(0, rows, 100_000):
            f.write(_lines(rng, min(100_000, rows - start), LABELS[kind]))
    return path


def _lines(rng: np.random.Generator, m: int, labels: tuple[bytes, bytes]) -> bytes:
    """``m`` rows as bytes, made with NumPy: values of 6 decimals, a label."""
    units = np.clip(np.rint(rng.normal(size=(m, N_FEATURES)) * 1e6), -9999999, 9999999)
    digits = np.abs(units).astype(np.int64)
    chars = np.empty((m, N_FEATURES, 10), np.uint8)
    chars[..., 0] = np.where(units < 0, ord("-"), ord(" "))  # readers strip a space
    chars[..., 1] = ord("0") + digits // 10**6
    chars[..., 2] = ord(".")
    for k in range(6):
        chars[..., 3 + k] = ord("0") + digits // 10 ** (5 - k) % 10
    chars[..., 9] = ord(",")
    width = len(labels[0])  # both labels have the same width
    words = np.frombuffer(b"".join(labels), np.uint8).reshape(2, width)
    ends = np.full((m, 1), ord("\n"), np.uint8)
    rows = [chars.reshape(m, -1), words[rng.integers(0, 2, m)], ends]
    return np.concatenate(rows, axis=1).tobytes()


# ---------------------------------------------------------------- the children


def _child(reader: str, path: str, model: str | None) -> dict[str, Any]:
    """Import, note the baseline, read once; the time, peak and array size."""
    run = _prepare(reader, path, model)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    arrays = run()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": seconds,
        "peak_mb": (peak - base) / 1024,
        "base_mb": base / 1024,
        "array_mb": arrays / 2**20,
    }


def _prepare(reader: str, path: str, model: str | None) -> Any:
    """A call that reads the file with ``reader``, returning the bytes it holds."""
    text = "text" in Path(path).name
    if reader == "np.loadtxt":
        columns = range(N_FEATURES) if text else None
        return lambda: (
            np.loadtxt(path, delimiter=",", skiprows=1, usecols=columns).nbytes
        )
    if reader == "pandas.read_csv":
        import pandas as pd

        return lambda: int(pd.read_csv(path).memory_usage(deep=True).sum())
    if reader.startswith("load_csv"):
        from fnnet.data import csvfile, load_csv

        if reader == "load_csv":
            return lambda: _nbytes(load_csv(path, "label"))
        exact = csvfile._load_exact
        return lambda: _nbytes(exact(path, "label", None, "auto", None, np.float64))
    from fnnet.cli.main import main

    if reader == "fnnet train":
        args = ["train", path, "--target", "label", "--epochs", "1", "--quiet"]
        return lambda: main([*args, "--backend", "numpy"]) * 0
    return lambda: main(["predict", model, path, "--out", path + ".out"]) * 0


def _nbytes(ds: Any) -> int:
    return ds.X.nbytes + ds.Y.nbytes


def _measure(reader: str, path: Path, repeats: int, model: Path | None = None) -> dict:
    """Medians over ``repeats`` children, each reading the file once."""
    runs = []
    for _ in range(repeats):
        command = [*LAUNCHER, "-m", "bench.data_load", "--child", reader, str(path)]
        if model is not None:
            command += ["--model", str(model)]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            return {"error": done.stderr.strip().splitlines()[-1]}
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    return {**median, "seconds_all": [r["seconds"] for r in runs]}


# ---------------------------------------------------------------- the report


def run(rows: int, predict_rows: int, repeats: int, folder: Path) -> dict[str, Any]:
    """Generate the files, measure every reader on both, and the commands."""
    results: dict[str, dict[str, Any]] = {}
    files = {kind: write_csv(folder / f"{kind}.csv", rows, kind) for kind in LABELS}
    for kind, path in files.items():
        for reader in READERS:
            if reader.startswith("pandas") and not _has("pandas"):
                results[f"{kind} | {reader}"] = {"error": "pandas is not installed"}
                continue
            results[f"{kind} | {reader}"] = _measure(reader, path, repeats)
    results["numeric | fnnet train --epochs 1"] = _measure(
        "fnnet train", files["numeric"], repeats
    )
    if predict_rows:
        model = folder / "model.npz"
        train = ["train", files["numeric"], "--target", "label", "--epochs", "1"]
        subprocess.run(
            [sys.executable, "-m", "fnnet.cli", *map(str, train), "--out", model],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        big = write_csv(folder / f"predict-{predict_rows}.csv", predict_rows, "numeric")
        results[f"{predict_rows} rows | fnnet predict"] = _measure(
            "fnnet predict", big, repeats, model
        )
    sizes = {kind: path.stat().st_size for kind, path in files.items()}
    return {"rows": rows, "predict_rows": predict_rows, "repeats": repeats,
            "file_bytes": sizes, "results": results, **_machine()}  # fmt: skip


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _machine() -> dict[str, Any]:
    """When and on what: the date, the CPU as ``lscpu`` names it, the load."""
    try:
        found = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in found.splitlines()
            if line.startswith("Model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor() or platform.machine()
    versions = {"numpy": np.__version__, "python": platform.python_version()}
    if _has("pandas"):
        import pandas as pd

        versions["pandas"] = pd.__version__
    revision = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True
    )
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "git": revision.stdout.decode().strip() or None,
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "versions": versions,
    }


def markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown table with ratios to ``np.loadtxt``."""
    lines = [
        f"# Reading CSV files ({report['date']})",
        "",
        f"{report['rows']:,} rows of {N_FEATURES} features and a label "
        f"(numeric file {report['file_bytes']['numeric'] / 1e6:.1f} MB, text file "
        f"{report['file_bytes']['text'] / 1e6:.1f} MB); {report['cpu']}, "
        f"{report['cores']} cores, load average {report['load_average']}; "
        f"at {report['git']}; "
        f"medians of {report['repeats']} processes each; "
        + ", ".join(f"{k} {v}" for k, v in report["versions"].items()),
        "",
        "| file | reader | time | x np.loadtxt | peak above imports | x arrays |",
        "|---|---|--:|--:|--:|--:|",
    ]
    results = report["results"]
    for key, row in results.items():
        kind, reader = key.split(" | ")
        if "error" in row:
            lines.append(f"| {kind} | {reader} | {row['error']} | | | |")
            continue
        base = results.get(f"{kind} | np.loadtxt", {}).get("seconds")
        ratio = f"{row['seconds'] / base:.2f}" if base else ""
        arrays = f"{row['peak_mb'] / row['array_mb']:.1f}" if row["array_mb"] else ""
        lines.append(
            f"| {kind} | {reader} | {row['seconds']:.2f} s | {ratio} | "
            f"{row['peak_mb']:.0f} MB | {arrays} |"
        )
    lines += [
        "",
        "np.loadtxt reads the text file's 30 features only (usecols): it reads no",
        "text. Peaks are ru_maxrss above that after the imports; 0 MB: no higher",
        "than the imports' own peak.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.data_load", description=__doc__)
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--predict-rows", type=int, default=1_000_000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--no-save", action="store_true")
    p.add_argument(
        "--child", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS
    )
    p.add_argument("--model", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(_child(*args.child, args.model)))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        report = run(args.rows, args.predict_rows, args.repeats, Path(folder))
    text = markdown(report)
    print(text)
    if not args.no_save:
        from fnnet.io import atomic_write

        stem = ROOT / "bench" / "results" / f"{report['date']}-data-load"
        data = json.dumps(report, indent=1).encode()
        atomic_write(stem.with_suffix(".json"), lambda f: f.write(data))
        atomic_write(stem.with_suffix(".md"), lambda f: f.write(text.encode()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
