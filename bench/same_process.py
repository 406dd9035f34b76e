"""Both fnnet backends in one process, each call right after the other's.

The main table runs every implementation in a process of its own. A user
runs NumPy matrix work and then ``backend="numba"`` in the same process; if
the kernel's BLAS kept a thread pool of its own, NumPy's idle threads would
spin against it. This probe alternates ``fnnet.train(backend="numpy")`` and
``backend="numba"`` in one fresh process (one warm-up call each, then
``ROUNDS`` rounds) and reports each one's median time per epoch.

Run as ``python -m bench.same_process WORKLOAD EPOCHS`` this module is the
child process: it prints one JSON line.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["same_process_probes"]

ROUNDS = 3


def same_process_probes(workloads: Sequence[Any], quick: bool) -> list[dict]:
    """One child process per workload; its medians, or why it failed."""
    from .probes import ROOT, TIMEOUT_S, _env, _last_json_line, _last_line

    rows = []
    for w in workloads:
        epochs = str(w.scaled_epochs(quick))
        cmd = [sys.executable, "-m", "bench.same_process", w.name, epochs]
        try:
            done = subprocess.run(
                cmd, cwd=ROOT, env=_env(), capture_output=True, text=True,
                timeout=TIMEOUT_S,
            )  # fmt: skip
            rows.append({"workload": w.name, **_last_json_line(done.stdout)})
        except (subprocess.SubprocessError, OSError, ValueError) as exc:
            note = _last_line(done) if isinstance(exc, ValueError) else str(exc)
            rows.append({"workload": w.name, "status": "error", "note": note})
    return rows


def _child(name: str, epochs: int) -> dict[str, Any]:
    from .impls import IMPLEMENTATIONS
    from .workloads import make_task, select

    task = make_task(select(name)[0], quick=False, epochs=epochs)
    trials = {b: IMPLEMENTATIONS[f"fnnet-{b}"](task) for b in ("numpy", "numba")}
    times: dict[str, list[float]] = {b: [] for b in trials}
    for trial in trials.values():
        trial.run()  # warm-up (compiles or loads the kernel)
    for _ in range(ROUNDS):
        for b, trial in trials.items():
            start = time.perf_counter()
            trial.run()
            times[b].append((time.perf_counter() - start) / epochs)
    medians = {f"{b}_s": statistics.median(t) for b, t in times.items()}
    return {"status": "ok", "epochs": epochs, "rounds": ROUNDS, **medians}


if __name__ == "__main__":
    print(json.dumps(_child(sys.argv[1], int(sys.argv[2]))))
