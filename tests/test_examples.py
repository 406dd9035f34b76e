"""Each tutorial system runs as a script and reaches its outcome."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_runs_as_a_script(script):
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_perceptron_learns_and_or_and_fails_on_xor():
    results = _load("perceptron_gates").main()
    for gate in ("and", "or"):
        assert all(
            acc == 1.0 and epoch is not None for acc, epoch in results[gate].values()
        )
    assert all(acc < 1.0 and epoch is None for acc, epoch in results["xor"].values())
    # The learning-rate experiment shows a difference: the smallest rate is the slowest.
    assert results["and"][0.01][1] > results["and"][0.5][1]


def test_xor_network_learns_xor():
    import fnnet as fn

    params, costs = _load("xor_network").main()
    X, Y = fn.data.logic_gate("xor")
    assert np.array_equal(fn.predict(params, X), Y.astype(int))
    assert costs[-1] < 0.01 < costs[0]


def test_three_bit_network_fits_its_data():
    A, history = _load("three_bit").main()
    import fnnet as fn

    _, Y = fn.data.three_bit()
    assert np.array_equal((A > 0.5).astype(int), Y.astype(int))
    assert history.costs[-1] < 0.05


def test_diabetes_logistic_regression_cost_falls():
    history = _load("diabetes_logistic").main()
    costs = history.costs
    assert costs[-1] < costs[0] - 0.1
    assert np.all(
        np.diff(costs) <= 1e-12
    )  # full-batch GD on a convex cost never rises here


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    """The README's Python examples run, in order, as a reader would paste them.

    They run in an empty folder, where any file they write lands.
    """
    import re

    monkeypatch.chdir(tmp_path)
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    assert len(blocks) >= 3
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    import fnnet as fn

    X, _ = fn.data.logic_gate("xor")
    assert fn.predict(namespace["params"], X).tolist() == [[0, 1, 1, 0]]
