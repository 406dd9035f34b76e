"""Measurements that need a fresh process: compile times and the console command.

- *Cold compile*: a new Python process with the on-disk kernel cache off
  (``FNNET_NUMBA_CACHE=0``) imports fnnet and calls
  ``fnnet.train(..., backend="numba", epochs=1)`` twice. The first call pays
  type inference and LLVM compilation; the second is the steady cost; their
  difference is reported as the compile time.
- *Warm cache*: the same with the cache on, run twice so that the second
  process loads the kernels that the first one wrote to disk: what a user
  pays on every new process once the cache is warm.
- *Console command*: the wall time of ``fnnet train xor`` (interpreter
  start-up, imports, cached kernels, training, output), after one untimed
  run that warms the cache.

Run as ``python -m bench.probes WORKLOAD`` this module is the child process:
it prints one JSON line.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["cli_wall_time", "compile_probes", "kernel_config"]

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 900


def kernel_config(w: Any) -> tuple[str, ...]:
    """What decides which kernels a workload compiles (dtype, optimizer, ...)."""
    return (w.dtype, w.optimizer, w.hidden, w.output, str(w.batch_size is not None))


def _env(**overrides: str) -> dict[str, str]:
    env = dict(os.environ, **overrides)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), env.get("PYTHONPATH")])
    )
    return env


def _last_json_line(text: str) -> dict[str, Any]:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in the probe's output")


def _run_child(workload: str, cache: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.probes", workload]
    start = time.perf_counter()
    env = _env(FNNET_NUMBA_CACHE=cache)
    try:
        done = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return {"status": "error", "note": f"{type(exc).__name__}: {exc}"}
    try:
        result = _last_json_line(done.stdout)
    except ValueError:
        return {"status": "error", "note": _last_line(done)}
    result["process_s"] = time.perf_counter() - start
    return result


def _last_line(done: subprocess.CompletedProcess) -> str:
    """The exit code and last line of stderr of a failed child, for the table."""
    last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
    return f"exit {done.returncode}: {last[:200]}"


def compile_probes(workloads: Sequence[Any], cold: bool = True) -> list[dict]:
    """Cold and warm-cache first-call times of the numba backend, per kernel family.

    One probe per distinct :func:`kernel_config` among ``workloads``; with
    ``cold=False`` only the warm-cache one (a cold compile can take half a
    minute).
    """
    rows, seen = [], set()
    for w in workloads:
        if kernel_config(w) in seen:
            continue
        seen.add(kernel_config(w))
        row = {"workload": w.name, "config": "/".join(kernel_config(w)[:4])}
        if cold:
            row["cold"] = _run_child(w.name, cache="0")
        first = _run_child(w.name, cache="1")  # writes the cache if needed
        row["warm_cache"] = (
            _run_child(w.name, cache="1") if first["status"] == "ok" else first
        )
        rows.append(row)
    return rows


def _fnnet_command() -> tuple[list[str], str] | None:
    """How to run ``fnnet``: the console script, else its entry point, else None."""
    script = shutil.which("fnnet") or shutil.which(
        "fnnet", path=str(Path(sys.executable).parent)
    )
    if script:
        return [script], "console script"
    try:
        found = importlib.util.find_spec("fnnet.cli") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        return None
    code = (
        "import sys; from fnnet.cli import main; "
        "sys.argv[0] = 'fnnet'; sys.exit(main())"
    )
    return [sys.executable, "-c", code], "fnnet.cli:main (console script not installed)"


def _timed_run(cmd: list[str], cwd: str) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=TIMEOUT_S
    )
    return time.perf_counter() - start, done


def cli_wall_time(args: Sequence[str] = ("train", "xor"), runs: int = 3) -> dict:
    """Median wall time of ``fnnet train xor`` in a fresh process (warm cache)."""
    found = _fnnet_command()
    label = " ".join(["fnnet", *args])
    if found is None:
        return {
            "status": "n/a",
            "command": label,
            "note": "fnnet has no command line yet",
        }
    cmd, via = found
    with tempfile.TemporaryDirectory() as tmp:
        try:
            _, warm = _timed_run([*cmd, *args], tmp)
            if warm.returncode != 0:
                note = _last_line(warm)
                return {"status": "error", "command": label, "via": via, "note": note}
            times = [_timed_run([*cmd, *args], tmp)[0] for _ in range(runs)]
        except (subprocess.SubprocessError, OSError) as exc:
            return {"status": "error", "command": label, "via": via, "note": str(exc)}
    return {
        "status": "ok",
        "command": label,
        "via": via,
        "median_s": statistics.median(times),
        "runs_s": times,
    }


# ------------------------------------------------------------ child process


def _child(workload_name: str) -> dict[str, Any]:
    start = time.perf_counter()
    import fnnet  # noqa: F401  (timed: the import is part of the cost)

    import_s = time.perf_counter() - start
    from .impls import fnnet_numba_trial
    from .trial import Unavailable
    from .workloads import make_task, select

    task = make_task(select(workload_name)[0], quick=True, epochs=1)
    try:
        trial = fnnet_numba_trial(task)
        times = []
        for _ in range(2):
            start = time.perf_counter()
            trial.run()
            times.append(time.perf_counter() - start)
    except Unavailable as exc:
        return {"status": "n/a", "note": str(exc)}
    return {
        "status": "ok",
        "cache": os.environ.get("FNNET_NUMBA_CACHE"),
        "import_s": import_s,
        "first_call_s": times[0],
        "second_call_s": times[1],
        "compile_s": times[0] - times[1],
    }


if __name__ == "__main__":
    print(json.dumps(_child(sys.argv[1])))
