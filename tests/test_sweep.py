"""Sweeps: the grid, the records, resuming, and runs on a pool and a Dask cluster."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import fnnet as fn
from fnnet.cli import main
from fnnet.data import Dataset
from fnnet.fitting import Job, fit
from fnnet.model import load_model
from fnnet.settings import Settings
from fnnet.sweep import check_grid, check_seeds, read_records, summarize
from fnnet.sweep.local import pool
from fnnet.sweep.plan import Run
from fnnet.sweep.records import FIELDS, RecordFile, run_one

#: Runs long enough (~0.2 s) that a worker can be killed in the middle of one.
SLOW = Settings(epochs=3000, backend="numpy")
SLOW_GRID = {"learning_rate": [0.5, 1.2], "hidden_sizes": [[4], [6]]}


def strip(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records without their timing, in key order: what must match exactly."""
    rows = [{k: v for k, v in r.items() if k != "seconds"} for r in records]
    return sorted(rows, key=lambda r: r["key"])


@pytest.fixture(scope="module")
def serial_slow() -> list[dict[str, Any]]:
    return list(fn.sweep("xor", SLOW, SLOW_GRID, seeds=2))


# -- the grid ---------------------------------------------------------------


def test_grid_order_keys_and_config() -> None:
    s = fn.sweep("xor", Settings(epochs=5), {"learning-rate": [1, 0.1]}, seeds=[3, 0])
    configs = [(r.config["learning_rate"], r.config["seed"]) for r in s.runs]
    assert configs == [(1.0, 3), (1.0, 0), (0.1, 3), (0.1, 0)]
    again = fn.sweep("xor", Settings(epochs=5), {"learning_rate": [1.0]}, seeds=[3])
    assert again.runs[0].key == s.runs[0].key  # same resolved configuration
    assert set(s.runs[0].config) == set(Settings._fields)
    assert s.runs[0].config["hidden_sizes"] == [4]  # the truth tables' default
    assert len({r.key for r in s.runs}) == 4


@pytest.mark.parametrize(
    ("grid", "error", "match"),
    [
        ({"learning_rat": [1]}, ValueError, "not a training setting"),
        ({"seed": [1]}, ValueError, "give the seeds"),
        ({"epochs": 5}, TypeError, "must be a list"),
        ({"epochs": []}, ValueError, "at least one value"),
        ({"epochs": [5, 5]}, ValueError, "lists 5 twice"),
        ({"epochs": [10, -1]}, ValueError, r"grid\['epochs'\] must be a positive int"),
        ({"optimizer": ["sgd", "nesterov"]}, ValueError, "optimizer"),
        ([("epochs", [1])], TypeError, "mapping"),
    ],
)
def test_bad_grid_is_an_error_before_any_run(
    tmp_path: Path, grid: Any, error: type, match: str
) -> None:
    out = tmp_path / "runs.jsonl"
    with pytest.raises(error, match=match):
        fn.sweep("xor", None, grid, out=out)
    assert not out.exists()


def test_every_configuration_is_resolved_against_the_data_first() -> None:
    with pytest.raises(ValueError, match=r"patience.*grid point patience=5"):
        fn.sweep("xor", None, {"patience": [None, 5]})
    with pytest.raises(ValueError, match="same configuration"):
        fn.sweep("xor", None, {"epochs": [None, 2000]})
    with pytest.raises(ValueError, match="workers must be >= 1"):
        fn.sweep("xor", workers=0)
    assert check_grid(None) == {} and check_seeds(2) == (0, 1)
    for bad in (0, [], [1, 1], [-1]):
        with pytest.raises(ValueError):
            check_seeds(bad)


# -- records are what fnnet train reports ------------------------------------


def test_records_equal_fit_and_fnnet_train(tmp_path: Path) -> None:
    grid = {"learning_rate": [0.5, 2.0], "patience": [None, 5]}
    base = Settings(epochs=60, hidden_sizes=(4,))
    records = list(fn.sweep("diabetes", base, grid, seeds=2))
    assert len(records) == 8 and all(r["status"] == "ok" for r in records)
    for r in records:
        assert list(r) == list(FIELDS) and r["fnnet_version"] == fn.__version__
        given = {
            k: tuple(v) if isinstance(v, list) else v for k, v in r["config"].items()
        }
        result = fit("diabetes", Settings(**given))
        scores = result.scores()._asdict()
        assert {k: r[k] for k in scores} == scores  # exactly
        assert r["epochs_run"] == len(result.history.costs)
        assert r["best_epoch"] == result.history.best_epoch + 1
    r = next(r for r in records if r["config"]["patience"] == 5)
    c = r["config"]
    model = tmp_path / "model.npz"
    argv = ["train", "diabetes", "--epochs", "60", "--hidden-sizes", "4", "--quiet"]
    argv += ["--learning-rate", str(c["learning_rate"]), "--seed", str(c["seed"])]
    assert main([*argv, "--patience", "5", "--out", str(model)]) == 0
    training = load_model(model).training
    assert {k: training[k] for k in c} == c  # every setting, as the model has it
    assert (training["epochs_run"], training["best_epoch"]) == (
        r["epochs_run"],
        r["best_epoch"],
    )


def test_diverged_and_error_runs_are_recorded() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 20))
    ds = Dataset(X, 3 * X.sum(0, keepdims=True), ("a", "b"), None, "regression")
    grid = {"learning_rate": [0.5, 5.0]}
    records = list(fn.sweep(ds, Settings(epochs=200, validation_fraction=0), grid))
    ok, bad = sorted(records, key=lambda r: r["config"]["learning_rate"])
    assert ok["status"] == "ok" and ok["train_accuracy"] is None
    assert bad["status"] == "diverged" and bad["diverged_epoch"] == 112
    assert "diverged" in bad["message"] and bad["train_cost"] is None
    broken = Dataset(X, X[:1, :3], ("a", "b"), None, "regression")
    run = Run("k", "broken", {}, Job(broken, fit(ds).settings, "broken", "y"))
    err = run_one(run)
    assert err["status"] == "error" and err["message"] and err["seconds"] >= 0


def test_summarize_ranks_by_validation_cost_over_seeds() -> None:
    records = list(
        fn.sweep("diabetes", Settings(epochs=30), {"learning_rate": [0.01, 1]}, 2)
    )
    best, worst = summarize(records)
    assert best.settings == {"learning_rate": 1.0} and best.part == "validation"
    mean = np.mean(
        [r["val_cost"] for r in records if r["config"]["learning_rate"] == 1]
    )
    assert best.cost == pytest.approx(mean) and best.runs == best.ok == 2
    assert worst.cost > best.cost and best.cost_sd is not None


# -- the file: streamed, resumable -------------------------------------------


def test_resume_drops_a_partial_line_and_runs_only_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "runs.jsonl"
    args = ("xor", Settings(epochs=50), {"learning_rate": [0.5, 1.0, 2.0]}, 2)
    first = list(fn.sweep(*args, out=out))
    lines = out.read_bytes().splitlines(keepends=True)
    assert len(lines) == 6 and [json.loads(x) for x in lines] == first
    kept = b"".join(lines[:3])
    out.write_bytes(kept + lines[3][:25])  # a crash in the middle of a write
    assert len(read_records(out)) == 3
    again = fn.sweep(*args, out=out)
    assert (again.todo, again.dropped, len(again.done)) == (3, 25, 3)
    rest = list(again)
    assert len(rest) == 3 and out.read_bytes().startswith(kept)
    assert strip(read_records(out)) == strip(first)
    assert list(fn.sweep(*args, out=out)) == []  # all done: nothing runs


def test_the_records_file_is_checked_and_locked(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_bytes(b"not a sweep\n")
    with pytest.raises(ValueError, match="line 1 is not a sweep record"):
        fn.sweep("xor", Settings(epochs=5), out=other)
    binary = tmp_path / "model.npz"
    binary.write_bytes(b"PK\x03\x04 no newline")
    with pytest.raises(ValueError, match="does not end as a sweep"):
        fn.sweep("xor", Settings(epochs=5), out=binary)
    assert binary.read_bytes() == b"PK\x03\x04 no newline"
    out = tmp_path / "runs.jsonl"
    with RecordFile(out), pytest.raises(BlockingIOError, match="another sweep"):
        list(fn.sweep("xor", Settings(epochs=5), out=out))


# -- a local process pool ----------------------------------------------------


def _kill_workers() -> list[int]:
    killed = []
    for child in multiprocessing.active_children():
        if child.name == "fnnet-sweep-worker":
            os.kill(child.pid, signal.SIGKILL)
            killed.append(child.pid)
    return killed


def test_pool_survives_killed_workers_and_matches_serial(
    tmp_path: Path, serial_slow: list[dict[str, Any]]
) -> None:
    out = tmp_path / "runs.jsonl"
    records, killed = [], []
    for record in fn.sweep("xor", SLOW, SLOW_GRID, seeds=2, workers=2, out=out):
        records.append(record)
        if len(records) == 1:
            killed = _kill_workers()
    assert len(killed) == 2
    assert strip(records) == strip(serial_slow)  # each config once, same numbers
    assert strip(read_records(out)) == strip(serial_slow)
    assert not [c for c in multiprocessing.active_children() if c.pid in killed]


class _Poison:
    """Unpickling this ends the process: a run that kills every worker it meets."""

    def __reduce__(self) -> tuple[Any, tuple[int]]:
        return os._exit, (3,)


def test_a_run_that_keeps_killing_workers_is_an_error_record() -> None:
    good = fn.sweep("xor", Settings(epochs=5, backend="numpy")).runs[0]
    poison = good._replace(key="poison", job=_Poison())
    records = {r["key"]: r for r in pool([poison, good], workers=2, attempts=3)}
    assert records[good.key]["status"] == "ok"
    assert records["poison"]["status"] == "error"
    assert "died 3 times (last exit code 3)" in records["poison"]["message"]


def test_closing_a_sweep_stops_its_workers(tmp_path: Path) -> None:
    s = fn.sweep("xor", SLOW, SLOW_GRID, workers=2, out=tmp_path / "runs.jsonl")
    next(s)
    s.close()
    children = multiprocessing.active_children()
    assert not [c for c in children if c.name == "fnnet-sweep-worker"]
    assert len(read_records(tmp_path / "runs.jsonl")) == 1


# -- the command line --------------------------------------------------------


def test_cli_sweep_table_plot_and_resume(tmp_path: Path, capsys: Any) -> None:
    out, png = tmp_path / "runs.jsonl", tmp_path / "rates.png"
    argv = ["sweep", "xor", "--epochs", "100", "--grid", "learning-rate=[0.3, 3]"]
    argv += ["--grid", "hidden-sizes=[[2], [4]]", "--seeds", "2", "--out", str(out)]
    assert main([*argv, "--plot", str(png), "--workers", "2"]) == 0
    text = capsys.readouterr().out
    assert "2 seeds = 8 runs, 0 failed" in text and "learning-rate" in text
    assert png.read_bytes().startswith(b"\x89PNG") and len(read_records(out)) == 8
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "8 of the 8 runs already" in captured.err and len(read_records(out)) == 8


@pytest.mark.parametrize(
    ("extra", "status", "message"),
    [
        (["--grid", "learning_rat=[1]"], 2, "--grid learning_rat: not a training"),
        (["--grid", "epochs"], 2, "write NAME=JSON_LIST"),
        (["--grid", "seed=[1, 2]"], 2, "--seeds"),
        (["--seed", "1", "--seeds", "2"], 2, "--seed or --seeds"),
        (["--grid", "epochs=[1, oops]"], 1, "--grid epochs: '[1, oops]' is not JSON"),
        (["--grid", "epochs=[10, 0]"], 1, "--grid epochs must be a positive int"),
        (["--grid", "hidden=[1]"], 1, "--grid hidden"),
        (["--grid", 'hidden=["relu"]', "--plot", "p.png"], 1, "numeric setting"),
        (["--workers", "1", "--scheduler", "tcp://127.0.0.1:1"], 2, "not allowed"),
    ],
)
def test_cli_errors_name_the_option(
    tmp_path: Path,
    capsys: Any,
    monkeypatch: Any,
    extra: list[str],
    status: int,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "runs.jsonl"
    argv = ["sweep", "xor", "--epochs", "5", "--out", str(out), *extra]
    if status == 2:
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2
    else:
        assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) <= (
        1 if status == 1 else 20
    )
    assert not out.exists()


def test_missing_extras_are_clear_errors_before_any_run(
    tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"fnnet\[dask\]"):
        fn.sweep("xor", scheduler="tcp://127.0.0.1:8786")
    out = tmp_path / "runs.jsonl"
    argv = ["sweep", "xor", "--grid", "epochs=[5, 6]", "--out", str(out)]
    assert main([*argv, "--plot", str(tmp_path / "p.png")]) == 1
    assert main([*argv, "--scheduler", "tcp://127.0.0.1:8786"]) == 1
    err = capsys.readouterr().err
    assert "fnnet[plot]" in err and "fnnet[dask]" in err and not out.exists()


# -- a Dask cluster on this machine ------------------------------------------


@pytest.fixture(scope="module")
def cluster(loopback_cluster: Any) -> Any:
    with loopback_cluster() as client:
        yield client


def test_dask_matches_serial_and_survives_a_killed_worker(
    cluster: Any, tmp_path: Path, serial_slow: list[dict[str, Any]]
) -> None:
    pids = cluster.run(os.getpid)
    out = tmp_path / "runs.jsonl"
    records = []
    for record in fn.sweep("xor", SLOW, SLOW_GRID, seeds=2, scheduler=cluster, out=out):
        records.append(record)
        if len(records) == 1:
            os.kill(next(iter(pids.values())), signal.SIGKILL)
    assert strip(records) == strip(serial_slow)
    assert strip(read_records(out)) == strip(serial_slow)
    deadline = time.monotonic() + 30  # the nanny brings the worker back
    while len(cluster.scheduler_info()["workers"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)


def test_dask_by_address_with_the_compiled_backend(cluster: Any) -> None:
    address = cluster.scheduler.address
    args = ("diabetes", Settings(epochs=40), {"learning_rate": [0.1, 1.0]}, 2)
    on_cluster = list(fn.sweep(*args, scheduler=address))
    assert strip(on_cluster) == strip(list(fn.sweep(*args)))
