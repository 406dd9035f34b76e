"""fnnet.fitting.fit: the command line's recipe as a library function."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fnnet as fn
from fnnet import data
from fnnet.fitting import FitResult, Settings, fit, prepare, run
from fnnet.model import load_model

ROOT = Path(__file__).resolve().parent.parent


def _same_model(a: fn.model.Model, b: fn.model.Model) -> None:
    assert a.params == b.params
    assert a._replace(params=None, scaling=None, training=None, version=None) == (
        b._replace(params=None, scaling=None, training=None, version=None)
    )
    assert (a.scaling is None) == (b.scaling is None)
    if a.scaling is not None:
        assert np.array_equal(a.scaling.mean, b.scaling.mean)
        assert np.array_equal(a.scaling.scale, b.scaling.scale)


@pytest.mark.parametrize(
    "args",
    [
        ["xor", "--epochs", "300"],
        ["diabetes", "--epochs", "50", "--optimizer", "adam", "--batch-size", "64"],
    ],
)
def test_fit_gives_the_model_that_fnnet_train_saves(tmp_path: Path, args) -> None:
    out = tmp_path / "m.npz"
    command = [sys.executable, "-m", "fnnet.cli", "train", *args, "--quiet"]
    subprocess.run([*command, "--out", str(out)], check=True, timeout=120)
    flags = dict(zip(args[1::2], args[2::2], strict=True))
    settings = Settings(
        epochs=int(flags["--epochs"]),
        optimizer=flags.get("--optimizer", "sgd"),
        batch_size=int(flags["--batch-size"]) if "--batch-size" in flags else None,
    )
    result = fit(args[0], settings)
    _same_model(result.model, load_model(out))
    saved = load_model(out).training
    assert json.loads(json.dumps(dict(result.model.training))) == saved


def test_a_dataset_and_its_csv_path_fit_alike() -> None:
    settings = Settings(epochs=30, backend="numpy")
    ds = data.load_csv(data.diabetes_csv(), "Diabetes")
    by_path = fit(data.diabetes_csv(), settings, target="Diabetes")
    by_dataset = fit(ds, settings, target="Diabetes")
    _same_model(by_path.model, by_dataset.model)
    assert np.array_equal(by_path.history.costs, by_dataset.history.costs)


def test_settings_are_resolved_once_for_the_data() -> None:
    job = prepare("three_bit")
    assert job.settings.hidden_sizes == () and job.settings.epochs == 2000
    assert job.settings.validation_fraction == 0 and not job.settings.standardize
    job = prepare("diabetes", Settings(optimizer="adam"))
    assert job.settings.learning_rate == 0.01 and job.settings.standardize
    assert job.settings.output == "sigmoid" and job.settings.validation_fraction == 0.2
    nones = [k for k, v in job.settings._asdict().items() if v is None]
    assert nones == ["batch_size", "patience"]


def test_softmax_on_a_binary_target_is_two_classes() -> None:
    result = fit("xor", Settings(output="softmax", epochs=200, backend="numpy"))
    assert result.model.task == "multiclass" and result.model.classes == ("0", "1")
    assert result.model.params["W2"].shape == (2, 4)


def test_scores_say_what_does_not_apply() -> None:
    result = fit("and", Settings(epochs=50, backend="numpy"))
    scores = result.scores()
    assert scores.val_cost is None and scores.val_accuracy is None
    assert 0 <= scores.train_accuracy <= 1
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 40))
    ds = data.Dataset(X, X[:1] - X[1:], ("a", "b"), None, "regression")
    scores = fit(ds, Settings(epochs=20, backend="numpy")).scores()
    assert scores.train_accuracy is None and scores.val_accuracy is None
    assert scores.val_cost is not None and scores.val_cost >= 0


def test_run_takes_a_prepared_job_and_reports_progress() -> None:
    job = prepare("or", Settings(epochs=40, backend="numpy"))
    seen: list[int] = []
    result = run(job, lambda epoch, J: seen.append(epoch))
    assert isinstance(result, FitResult) and seen == list(range(40))
    assert len(result.history.costs) == 40 and result.seconds > 0


@pytest.mark.parametrize(
    ("settings", "error", "match"),
    [
        (Settings(epochs=0), ValueError, "epochs must be a positive int"),
        (Settings(hidden_sizes=(4, 0)), ValueError, "hidden_sizes must be positive"),
        (Settings(seed=-1), ValueError, "seed must be >= 0"),
        (Settings(optimizer="lbfgs"), ValueError, "optimizer must be one of"),
        (Settings(output="identity"), ValueError, "output identity does not fit"),
        (Settings(patience=3), ValueError, "patience needs validation data"),
        (Settings(standardize="yes"), TypeError, "standardize must be True or False"),
        (Settings(dtype="int8"), TypeError, "dtype must be float64 or float32"),
    ],
)
def test_bad_settings_are_named(settings, error, match) -> None:
    with pytest.raises(error, match=match):
        fit("xor", settings)


def test_messages_can_name_the_command_line_flags() -> None:
    with pytest.raises(ValueError, match="--learning-rate must be"):
        prepare(
            "xor",
            Settings(learning_rate=-1.0),
            label=lambda n: "--" + n.replace("_", "-"),
        )


def test_a_bad_dataset_is_named_before_training() -> None:
    X = np.array([[0.0, 1.0, np.nan]])
    ds = data.Dataset(X, np.array([[0.0, 1.0, 1.0]]), ("a",), ("0", "1"), "binary")
    with pytest.raises(ValueError, match=r"dataset\.X must be finite"):
        fit(ds)
    with pytest.raises(ValueError, match="feature_names has 2 names"):
        fit(ds._replace(X=np.zeros((1, 3)), feature_names=("a", "b")))
    with pytest.raises(ValueError, match="target is required for a CSV file"):
        fit(data.diabetes_csv())
    with pytest.raises(ValueError, match="apply to CSV data, not xor"):
        fit("xor", target="y")
    with pytest.raises(TypeError, match="dataset must be"):
        fit(3)


def test_float32_end_to_end() -> None:
    result = fit("xor", Settings(dtype="float32", epochs=100))
    assert result.model.params["W1"].dtype == np.float32


def test_import_structure_points_down_with_no_cycle() -> None:
    spec = importlib.util.spec_from_file_location(
        "import_graph", ROOT / "scripts" / "import_graph.py"
    )
    graph = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(graph)
    g = graph.graph()
    assert graph.upward(g) == [] and graph.cycles(g) == []
    assert "_run" in g["train"] and "_run" in g["kernels.compiled"]
    assert "train" in g["fitting"] and not {"fitting", "cli"} & g["train"]


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_resumed_fit_goes_on_exactly(backend) -> None:
    settings = Settings(
        epochs=50, optimizer="adam", batch_size=64, hidden_sizes=(8,), backend=backend
    )
    whole = fit("diabetes", settings._replace(epochs=100))
    first = fit("diabetes", settings)
    second = fit("diabetes", settings, resume=first.checkpoint)
    a, b = whole.model.params, second.model.params
    assert max(np.abs(a[k] - b[k]).max() for k in a) <= 1e-12
    assert second.model.scaling == first.model.scaling  # kept, not refitted
    costs = np.concatenate([first.history.costs, second.history.costs])
    assert np.array_equal(costs, whole.history.costs)
    again = fit("diabetes", settings, resume=first.checkpoint)  # checkpoint unchanged
    assert again.model.params == second.model.params


def test_a_checkpoint_that_does_not_fit_is_named() -> None:
    first = fit("xor", Settings(epochs=5, backend="numpy"))
    with pytest.raises(ValueError, match=r"resume.params are a \(2, 4, 1\)"):
        fit("xor", Settings(epochs=5, hidden_sizes=(3,)), resume=first.checkpoint)
    with pytest.raises(TypeError, match="resume must be a Checkpoint"):
        fit("xor", resume=first.model)
