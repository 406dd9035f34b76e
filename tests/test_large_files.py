"""Large CSV files: predict and evaluate in blocks, progress while loading.

The files are generated in tmp_path (a few tens of MB, written with NumPy in
a second) and the commands run in child processes, whose peak memory
(``ru_maxrss``) is read with ``resource.getrusage(RUSAGE_CHILDREN)``: a child
of its own for each measurement.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fnnet as fn
from fnnet.cli import loading
from fnnet.cli.main import main
from fnnet.cli.use import _predictions_csv
from fnnet.data import blocks
from fnnet.data.csvfile import _load_fast
from fnnet.losses import accuracy, cost
from fnnet.model import Model, load_model, model_outputs, save_model

N_X = 30
CLASSES = ("ant", "bee", "cat")


def write_table(path: Path, m: int, seed: int = 0) -> np.ndarray:
    """m rows of N_X features (``-1.234`` or `` 5.678``) and a class label.

    Written as bytes built with NumPy, so a file of 10**5 rows takes
    milliseconds; returns the features as written, shape (m, N_X).
    """
    rng = np.random.default_rng(seed)
    units = rng.integers(-9999, 10000, size=(m, N_X))
    chars = np.empty((m, N_X, 7), np.uint8)
    chars[..., 0] = np.where(units < 0, ord("-"), ord(" "))
    digits = np.abs(units)
    chars[..., 1] = ord("0") + digits // 1000
    chars[..., 2] = ord(".")
    chars[..., 3] = ord("0") + digits // 100 % 10
    chars[..., 4] = ord("0") + digits // 10 % 10
    chars[..., 5] = ord("0") + digits % 10
    chars[..., 6] = ord(",")
    labels = np.array([c.encode() for c in CLASSES])[rng.integers(0, 3, size=m)]
    body = np.concatenate(
        [chars.reshape(m, -1), labels.view(np.uint8).reshape(m, 3)], 1
    )
    lines = np.concatenate([body, np.full((m, 1), ord("\n"), np.uint8)], axis=1)
    header = ",".join([f"x{i}" for i in range(N_X)] + ["kind"]) + "\n"
    path.write_bytes(header.encode() + lines.tobytes())
    return units / 1000


def a_model(path: Path) -> Path:
    """A 30-8-3 softmax model on these columns (trained for a few epochs)."""
    X = np.random.default_rng(1).normal(size=(N_X, 64))
    Y = fn.data.one_hot(np.arange(64) % 3, 3)
    params, _ = fn.train(
        fn.initialize((N_X, 8, 3)), X, Y, epochs=5, learning_rate=0.1,
        hidden="tanh", output="softmax",
    )  # fmt: skip
    scaling = fn.data.fit_standardizer(X)
    names = tuple(f"x{i}" for i in range(N_X))
    model = Model(params, "tanh", "softmax", "multiclass", names, "kind", CLASSES,
                  scaling, fn.__version__, {"data": "generated"})  # fmt: skip
    save_model(path, model)
    return path


def peak_mb(*args: object, cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    """Run ``fnnet ARGS`` in a child of a fresh child; its peak RSS in MB."""
    probe = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "sys.stdout.buffer.write(r.stdout[-2000:])\n"
        "sys.stderr.buffer.write(r.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.exit(r.returncode)\n"
    )
    command = [sys.executable, "-m", "fnnet.cli", *map(str, args)]
    result = subprocess.run(
        [sys.executable, "-c", probe, *command],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return int(result.stdout.splitlines()[-1]) / 1024, result


@pytest.mark.slow
def test_predict_and_evaluate_stream_in_bounded_memory(tmp_path: Path) -> None:
    model_path = a_model(tmp_path / "m.npz")
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    write_table(small, 100_000)
    features = write_table(large, 200_000, seed=2)
    base, _ = peak_mb("info", model_path, cwd=tmp_path)
    args = ("predict", model_path, "--probabilities", "--out")
    low, _ = peak_mb(*args, "s.csv", small, cwd=tmp_path)
    high, _ = peak_mb(*args, "l.csv", large, cwd=tmp_path)
    # read whole, 100,000 more rows would take 400 MB more (4 KB a row as
    # Python objects), or 24 MB as features alone: blocks hold a bounded part
    assert high - low < 20, (base, low, high)
    assert high - base < 150, (base, low, high)
    # the same bytes as reading the whole file and predicting all rows at once
    model = load_model(model_path)
    A = model_outputs(model, np.ascontiguousarray(features.T))
    expected = _predictions_csv(model, A, probabilities=True, header=True)
    assert (tmp_path / "l.csv").read_text() == expected
    peak, result = peak_mb("evaluate", model_path, large, cwd=tmp_path)
    assert result.returncode == 0 and peak - base < 150, (base, peak)
    ds = fn.data.load_csv(large, "kind", model.feature_names, task="multiclass",
                          classes=CLASSES)  # fmt: skip
    J, acc = cost(A, ds.Y, model.loss), accuracy(A, ds.Y, model.output)
    assert f"{large}: 200000 examples" in result.stdout
    assert f"accuracy    {acc:.4f}" in result.stdout
    assert f"cost        {J:.6g}  (cross_entropy)" in result.stdout


@pytest.mark.slow
def test_an_error_in_a_later_block_leaves_no_file_and_names_its_line(
    tmp_path: Path,
) -> None:
    model_path = a_model(tmp_path / "m.npz")
    data = tmp_path / "late.csv"
    write_table(data, 100_000)  # 100,000 rows: several blocks of every kind
    raw = bytearray(data.read_bytes())
    start = [i for i, byte in enumerate(raw) if byte == ord("\n")][90_000 - 2] + 1
    raw[start : start + 6] = b"  oops"  # line 90,000, column x0
    data.write_bytes(bytes(raw))
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    for command in (
        ("predict", model_path, data, "--out", out),
        ("evaluate", model_path, data),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "fnnet.cli", *map(str, command)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 1
        assert result.stderr == (
            f"fnnet: error: {data}, line 90000, column 'x0': expected a number, "
            "found 'oops'\n"
        )
        assert out.read_text() == "previous\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "late.csv",
            "m.npz",
            "out.csv",
        ]


# ---------------------------------------------------------------- loading progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("tqdm", [True, False], ids=["tqdm", "plain"])
def test_train_shows_loading_progress_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, tqdm: bool
) -> None:
    data = tmp_path / "d.csv"
    write_table(data, 300)
    monkeypatch.setattr(loading, "DELAY", 0.0)  # a load of any length shows
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 4096)  # several blocks
    if not tqdm:
        monkeypatch.setattr(loading, "tqdm_class", lambda: None)
    stderr = Terminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    assert main(["train", str(data), "--target", "kind", "--epochs", "2"]) == 0
    shown = stderr.getvalue()
    assert f"loading {data}" in shown
    if not tqdm:
        assert f"loading {data}: " in shown and "% of 0.1 MB" in shown
        assert shown.split("\rtraining")[0].endswith("\r")  # cleared before training
    assert "data        " in capsys.readouterr().out
    quiet = Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    assert (
        main(["train", str(data), "--target", "kind", "--epochs", "2", "--quiet"]) == 0
    )
    assert quiet.getvalue() == ""


def test_a_quick_load_shows_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    with loading.loading("d.csv", True) as progress:
        assert progress is not None
        progress(10, 100)  # within the first DELAY seconds
    with loading.loading("d.csv", False) as progress:
        assert progress is None
    assert stream.getvalue() == ""


# ---------------------------------------------------------------- the benchmark


@pytest.mark.parametrize("kind", ["numeric", "text"])
def test_the_benchmark_files_are_read_by_the_fast_reader(
    tmp_path: Path, kind: str
) -> None:
    from bench.data_load import write_csv

    path = write_csv(tmp_path / f"{kind}.csv", 500, kind)
    ds = _load_fast(path, "label", None, "auto", None, np.dtype(np.float64), None)
    assert ds.classes == (("0", "1") if kind == "numeric" else ("cat", "dog"))
    every = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(N_X))
    assert np.array_equal(ds.X, every.T) and ds.Y.shape == (1, 500)
