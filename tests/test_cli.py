"""The ``fnnet`` console command, run for real in a subprocess on files in tmp_path."""

from __future__ import annotations

import csv
import io
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fnnet as fn
from fnnet.model import load_model, model_outputs

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _command() -> list[str]:
    """The installed console script, else ``python -m fnnet.cli``."""
    beside = Path(sys.executable).with_name("fnnet")
    found = str(beside) if beside.exists() else shutil.which("fnnet")
    return [found] if found else [sys.executable, "-m", "fnnet.cli"]


COMMAND = _command()


def fnnet(
    *args: object, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def assert_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    """Exit 1, one stderr line ``fnnet: error: ...`` naming the problem, no trace."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fnnet: error: ")
    assert fragment in lines[0]
    assert result.stdout == ""


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def write_csv(path: Path, header: list[str], table: list[list[object]]) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(table)
    return path


# ---------------------------------------------------------------- data files


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Binary (string labels, an id column), multiclass and regression CSVs."""
    d = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    h, w = rng.normal(170, 10, 80), rng.normal(70, 8, 80)
    label = np.where((h - 170) / 10 + (w - 70) / 8 > 0, "yes", "no")
    table = [
        [f"id{i}", f"{a:.2f}", f"{b:.2f}", c]
        for i, (a, b, c) in enumerate(zip(h, w, label, strict=True))
    ]
    write_csv(d / "people.csv", ["id", "height", "weight", "label"], table)
    new = [[f"{b:.2f}", "extra", f"{a:.2f}"] for a, b in zip(h[:5], w[:5], strict=True)]
    write_csv(d / "new.csv", ["weight", "note", "height"], new)
    centres = {"bird": (0, 0), "cat": (4, 0), "dog": (0, 4)}
    pets = [
        [f"{x + rng.normal(0, 0.7):.3f}", f"{y + rng.normal(0, 0.7):.3f}", name]
        for name, (x, y) in centres.items()
        for _ in range(30)
    ]
    write_csv(d / "pets.csv", ["u", "v", "kind"], pets)
    x = rng.normal(size=(60, 2))
    y = 3 * x[:, 0] - 2 * x[:, 1] + 1 + 0.05 * rng.normal(size=60)
    reg = [[f"{a:.4f}", f"{b:.4f}", f"{c:.4f}"] for (a, b), c in zip(x, y, strict=True)]
    write_csv(d / "reg.csv", ["x1", "x2", "y"], reg)
    return d


@pytest.fixture(scope="module")
def people_model(files: Path) -> Path:
    result = fnnet(
        "train",
        "people.csv",
        "--target",
        "label",
        "--features",
        "height",
        "weight",
        "--epochs",
        "150",
        "--out",
        "people.npz",
        "--quiet",
        cwd=files,
    )
    assert ok(result) == ""
    return files / "people.npz"


# ---------------------------------------------------------------- workflows


def test_train_on_csv_then_predict_and_evaluate(
    files: Path, people_model: Path
) -> None:
    model = load_model(people_model)
    assert model.classes == ("no", "yes")
    assert model.feature_names == ("height", "weight")
    assert (model.target, model.task, model.version) == (
        "label",
        "binary",
        fn.__version__,
    )
    out = rows(ok(fnnet("predict", people_model, "people.csv", cwd=files)))
    assert out[0] == ["label"] and len(out) == 81
    assert {r[0] for r in out[1:]} == {"no", "yes"}
    report = ok(fnnet("evaluate", people_model, "people.csv", cwd=files))
    accuracy = float(report.split("accuracy")[1].split()[0])
    assert accuracy >= 0.9
    assert "cost" in report and "logloss" in report


def test_probabilities_are_bit_identical_to_the_model_in_memory(
    files: Path, people_model: Path
) -> None:
    out = rows(
        ok(fnnet("predict", people_model, "people.csv", "--probabilities", cwd=files))
    )
    assert out[0] == ["label", "p_no", "p_yes"]
    P = np.array([[float(v) for v in r[1:]] for r in out[1:]]).T
    model = load_model(people_model)
    X = fn.data.read_features(files / "people.csv", model.feature_names)
    A = model_outputs(model, X)
    assert np.array_equal(P[1], A[0])  # exact: written as shortest round-trip text
    assert np.allclose(P.sum(axis=0), 1)
    assert [r[0] for r in out[1:]] == ["yes" if a > 0.5 else "no" for a in A[0]]


def test_prediction_data_may_reorder_omit_and_add_columns(
    files: Path, people_model: Path
) -> None:
    full = rows(ok(fnnet("predict", people_model, "people.csv", cwd=files)))
    subset = rows(ok(fnnet("predict", people_model, "new.csv", cwd=files)))
    assert subset == full[:6]


def test_predictions_to_a_file(files: Path, people_model: Path, tmp_path: Path) -> None:
    target = tmp_path / "predictions.csv"
    result = fnnet("predict", people_model, "people.csv", "--out", target, cwd=files)
    assert ok(result) == ""
    printed = ok(fnnet("predict", people_model, "people.csv", cwd=files))
    assert target.read_text() == printed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["predictions.csv"]


def test_standardization_uses_the_training_part_only(
    files: Path, people_model: Path
) -> None:
    ds = fn.data.load_csv(files / "people.csv", "label", ["height", "weight"])
    X_train, *_ = fn.data.split(ds.X, ds.Y, fraction=0.2, seed=0)
    stats = fn.data.fit_standardizer(X_train)
    scaling = load_model(people_model).scaling
    assert np.array_equal(scaling.mean, stats.mean)
    assert np.array_equal(scaling.scale, stats.scale)


@pytest.mark.slow
def test_multiclass_csv_with_softmax(files: Path, tmp_path: Path) -> None:
    model = tmp_path / "pets.npz"
    trained = ok(
        fnnet(
            "train",
            "pets.csv",
            "--target",
            "kind",
            "--epochs",
            "200",
            "--optimizer",
            "adam",
            "--out",
            model,
            cwd=files,
        )
    )
    assert "softmax output" in trained and "multiclass: bird, cat, dog" in trained
    out = rows(ok(fnnet("predict", model, "pets.csv", "--probabilities", cwd=files)))
    assert out[0] == ["kind", "p_bird", "p_cat", "p_dog"]
    P = np.array([[float(v) for v in r[1:]] for r in out[1:]])
    assert np.allclose(P.sum(axis=1), 1)
    assert [r[0] for r in out[1:]] == [("bird", "cat", "dog")[i] for i in P.argmax(1)]
    report = ok(fnnet("evaluate", model, "pets.csv", cwd=files))
    assert float(report.split("accuracy")[1].split()[0]) >= 0.9


@pytest.mark.slow
def test_regression_csv(files: Path, tmp_path: Path) -> None:
    model = tmp_path / "reg.npz"
    trained = ok(
        fnnet(
            "train",
            "reg.csv",
            "--target",
            "y",
            "--hidden-sizes",
            "--epochs",
            "300",
            "--out",
            model,
            cwd=files,
        )
    )
    assert "identity output" in trained and "mean squared error" in trained
    out = rows(ok(fnnet("predict", model, "reg.csv", cwd=files)))
    assert out[0] == ["y"]
    truth = np.loadtxt(files / "reg.csv", delimiter=",", skiprows=1)[:, 2]
    assert np.abs(np.array([float(r[0]) for r in out[1:]]) - truth).max() < 0.5
    report = ok(fnnet("evaluate", model, "reg.csv", cwd=files))
    assert float(report.split("mse")[1].split()[0]) < 0.05
    result = fnnet("predict", model, "reg.csv", "--probabilities", cwd=files)
    assert_error(result, "regression model")


def test_binary_target_with_softmax_output(files: Path, tmp_path: Path) -> None:
    model = tmp_path / "soft.npz"
    args = (
        "train",
        "people.csv",
        "--target",
        "label",
        "--features",
        "height",
        "weight",
    )
    ok(
        fnnet(
            *args, "--output", "softmax", "--epochs", "100", "--out", model, cwd=files
        )
    )
    out = rows(ok(fnnet("predict", model, "new.csv", "--probabilities", cwd=files)))
    assert out[0] == ["label", "p_no", "p_yes"]
    assert {r[0] for r in out[1:]} <= {"no", "yes"}


def test_xor_default_prints_the_learned_truth_table(tmp_path: Path) -> None:
    out = ok(fnnet("train", "xor", cwd=tmp_path))
    assert "(2, 4, 1): tanh hidden, sigmoid output" in out
    assert "x1 x2 | target  output  predicted" in out
    table = out.split("x1 x2 | target  output  predicted\n")[1].splitlines()
    assert [line.split()[-1] for line in table] == ["0", "1", "1", "0"]
    assert "accuracy 1.0000" in out and "2000 epochs" in out
    assert "not saved" in out and list(tmp_path.iterdir()) == []


def test_three_bit_default_is_one_sigmoid_layer(tmp_path: Path) -> None:
    out = ok(fnnet("train", "three_bit", "--epochs", "1000", cwd=tmp_path))
    assert "(3, 1): no hidden layer" in out and "accuracy 1.0000" in out
    assert "x1 x2 x3 | target" in out


@pytest.mark.slow
def test_tutorial_system_5_with_cost_curve(tmp_path: Path) -> None:
    out = ok(
        fnnet(
            "train",
            "diabetes",
            "--hidden-sizes",
            "--epochs",
            "300",
            "--learning-rate",
            "0.5",
            "--plot",
            "curve.png",
            "--out",
            "diabetes.npz",
            cwd=tmp_path,
        )
    )
    assert "(2, 1): no hidden layer, sigmoid output, cost logloss" in out
    assert "320 for training, 80 for validation, standardized" in out
    assert "written to diabetes.npz" in out and "written to curve.png" in out
    assert (tmp_path / "curve.png").read_bytes().startswith(PNG_SIGNATURE)
    report = ok(fnnet("evaluate", "diabetes.npz", "diabetes", cwd=tmp_path))
    assert float(report.split("accuracy")[1].split()[0]) > 0.7
    csv_path = fn.data.diabetes_csv()
    same = ok(fnnet("evaluate", "diabetes.npz", csv_path, cwd=tmp_path))
    assert same.splitlines()[1:] == report.splitlines()[1:]


@pytest.mark.slow
def test_gate_model_predicts_a_builtin_truth_table(tmp_path: Path) -> None:
    ok(
        fnnet(
            "train", "or", "--epochs", "500", "--out", "or.npz", "--quiet", cwd=tmp_path
        )
    )
    out = rows(ok(fnnet("predict", "or.npz", "or", cwd=tmp_path)))
    assert out == [["y"], ["0"], ["1"], ["1"], ["1"]]
    assert "accuracy    1.0000" in ok(fnnet("evaluate", "or.npz", "or", cwd=tmp_path))
    info = ok(fnnet("info", "or.npz", cwd=tmp_path))
    assert "features    x1, x2 -> y" in info and "binary (0, 1)" in info


def test_early_stopping_is_reported(files: Path) -> None:
    args = ("train", "reg.csv", "--target", "y", "--hidden-sizes", "--patience", "2")
    out = ok(fnnet(*args, "--learning-rate", "1.9", "--epochs", "500", cwd=files))
    assert "stopped early (patience 2); kept the best epoch" in out


@pytest.mark.slow
def test_numba_backend_works_or_fails_in_one_line(tmp_path: Path) -> None:
    result = fnnet(
        "train",
        "xor",
        "--backend",
        "numba",
        "--epochs",
        "50",
        "--out",
        "m.npz",
        cwd=tmp_path,
    )
    if result.returncode == 0:
        assert (tmp_path / "m.npz").exists()
    else:
        assert_error(result, "numba")
        assert not (tmp_path / "m.npz").exists()


# ---------------------------------------------------------------- progress bar


def _with_terminal_stderr(
    args: list[object], cwd: Path, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal; return (status, stdout, stderr)."""
    pty = pytest.importorskip("pty")
    fcntl, termios = pytest.importorskip("fcntl"), pytest.importorskip("termios")
    main, child = pty.openpty()
    # a terminal of 24 x 80: a fresh pty has width 0, and tqdm draws nothing there
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    with subprocess.Popen(
        [*COMMAND, *map(str, args)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=child,
    ) as proc:
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        stdout = proc.stdout.read().decode()
    os.close(main)
    return proc.returncode, stdout, b"".join(chunks).decode(errors="replace")


def _blocking(tmp_path: Path, *modules: str) -> dict[str, str]:
    """An environment in which importing ``modules`` fails, as if not installed."""
    for name in modules:
        (tmp_path / "block" / name).mkdir(parents=True)
        (tmp_path / "block" / name / "__init__.py").write_text(
            f"raise ImportError('{name} is blocked for this test')\n"
        )
    return {**os.environ, "PYTHONPATH": str(tmp_path / "block")}


@pytest.mark.slow
def test_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    # long enough (about a second) for tqdm to redraw with the cost at least once
    status, out, err = _with_terminal_stderr(
        ["train", "xor", "--epochs", "5000"], tmp_path
    )
    assert status == 0 and "training:" in err and "/5000" in err and "cost" in err
    assert "x1 x2 | target" in out
    piped = fnnet("train", "xor", "--epochs", "300", cwd=tmp_path)
    assert piped.returncode == 0 and piped.stderr == ""
    status, out, err = _with_terminal_stderr(
        ["train", "xor", "--epochs", "300", "--quiet"], tmp_path
    )
    assert (status, out, err) == (0, "", "")


@pytest.mark.slow
def test_no_tqdm_means_a_plain_line_and_no_complaint(tmp_path: Path) -> None:
    env = _blocking(tmp_path, "tqdm")
    status, out, err = _with_terminal_stderr(
        ["train", "xor", "--epochs", "5000"], tmp_path, env
    )
    assert status == 0 and "x1 x2 | target" in out
    # one line on stderr, redrawn in place and blanked at the end
    assert "training: " in err and "/5000 epochs, cost " in err and "\n" not in err
    assert err.endswith("\r") and err.split("\r")[-2].strip() == ""
    assert "tqdm" not in err
    status, out, err = _with_terminal_stderr(
        ["train", "xor", "--epochs", "5000", "--quiet"], tmp_path, env
    )
    assert (status, out, err) == (0, "", "")
    piped = fnnet("train", "xor", "--epochs", "5000", cwd=tmp_path, env=env)
    assert piped.returncode == 0 and piped.stderr == ""


def test_no_matplotlib_fails_before_training(tmp_path: Path) -> None:
    env = _blocking(tmp_path, "matplotlib")
    result = fnnet(
        "train", "xor", "--plot", "c.png", "--out", "m.npz", cwd=tmp_path, env=env
    )
    assert_error(result, 'pip install "fnnet[plot]"')
    assert not (tmp_path / "c.png").exists() and not (tmp_path / "m.npz").exists()


# ---------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Broken inputs, and a model ``ok.npz`` trained on ``ok.csv``."""
    tmp_path = tmp_path_factory.mktemp("bad")
    write_csv(tmp_path / "ragged.csv", ["a", "b", "y"], [[1, 2, 0], [3, 1]])
    write_csv(tmp_path / "text.csv", ["a", "b", "y"], [[1, 2, 0], [3, "x", 1]])
    write_csv(tmp_path / "ok.csv", ["a", "b", "y"], [[1, 2, 0], [3, 1, 1], [0, 1, 1]])
    write_csv(tmp_path / "no_b.csv", ["a", "y"], [[1, 0]])
    write_csv(tmp_path / "new_label.csv", ["a", "b", "y"], [[1, 2, 0], [3, 1, 7]])
    write_csv(tmp_path / "no_y.csv", ["a", "b"], [[1, 2]])
    np.savez(tmp_path / "other.npz", weights=np.ones(3))
    fn.save(tmp_path / "params.npz", fn.initialize((2, 1)))
    (tmp_path / "picture.png").write_bytes(PNG_SIGNATURE + bytes(30))
    args = ("ok.csv", "--target", "y", "--validation-fraction", "0", "--epochs", "5")
    ok(fnnet("train", *args, "--out", "ok.npz", "--quiet", cwd=tmp_path))
    return tmp_path


TRAIN_ERRORS = [
    (["missing.csv", "--target", "y"], "no such file"),
    (["ragged.csv", "--target", "y"], "line 3"),
    (["text.csv", "--target", "y"], "'x'"),
    (["ok.csv", "--target", "nope"], "target column 'nope' not found"),
    (["ok.csv", "--target", "y", "--features", "a", "c"], "'c' not found"),
    (["ok.csv", "--target", "y", "--epochs", "0"], "--epochs must be a positive int"),
    (["ok.csv", "--target", "y", "--learning-rate", "-1"], "--learning-rate"),
    (["ok.csv", "--target", "y", "--hidden-sizes", "0"], "--hidden-sizes"),
    (["ok.csv", "--target", "y", "--validation-fraction", "1.5"], "fraction"),
    (["ok.csv", "--target", "y", "--batch-size", "-2"], "--batch-size"),
    (["ok.csv", "--target", "y", "--l2", "-0.1"], "--l2"),
    (["ok.csv", "--target", "y", "--seed", "-1"], "--seed"),
    (["ok.csv", "--target", "y", "--output", "identity"], "does not fit the binary"),
    (["xor", "--patience", "5"], "--patience needs validation data"),
    (["xor", "--out", "nowhere/m.npz"], "does not exist"),
    (["xor", "--out", "."], "is a directory"),
]


@pytest.mark.parametrize(("args", "fragment"), TRAIN_ERRORS)
def test_bad_training_input_is_one_line_and_writes_nothing(
    bad_files: Path, tmp_path: Path, args: list[str], fragment: str
) -> None:
    out = [] if "--out" in args else ["--out", tmp_path / "m.npz"]
    before = sorted(p.name for p in bad_files.iterdir())
    assert_error(fnnet("train", *args, *out, cwd=bad_files), fragment)
    assert list(tmp_path.iterdir()) == []
    assert sorted(p.name for p in bad_files.iterdir()) == before


def test_divergence_is_one_line_and_keeps_the_old_model(files: Path) -> None:
    (files / "old.npz").write_bytes(b"the previous model")
    args = ("train", "reg.csv", "--target", "y", "--learning-rate", "10")
    assert_error(fnnet(*args, "--out", "old.npz", cwd=files), "training diverged")
    assert (files / "old.npz").read_bytes() == b"the previous model"


USE_ERRORS = [
    (["predict", "missing.npz", "ok.csv"], "no such model file"),
    (["predict", "params.npz", "ok.csv"], "holds parameters only"),
    (["predict", "other.npz", "ok.csv"], "not an fnnet model"),
    (["predict", "picture.png", "ok.csv"], "not an .npz file"),
    (["predict", "ok.npz", "no_b.csv"], "feature column 'b' not found"),
    (["predict", "ok.npz", "missing.csv"], "no such file"),
    (["predict", "ok.npz", "diabetes"], "not found"),
    (["predict", "ok.npz", "three_bit"], "but the model expects a, b"),
    (["evaluate", "ok.npz", "no_y.csv"], "target column 'y' not found"),
    (["evaluate", "ok.npz", "new_label.csv"], "'7' is not one of the classes"),
    (["evaluate", "params.npz", "ok.csv"], "holds parameters only"),
    (["info", "other.npz"], "not an fnnet model"),
]


@pytest.mark.parametrize(("args", "fragment"), USE_ERRORS)
def test_bad_model_or_data_is_one_line_and_leaves_output_untouched(
    bad_files: Path, tmp_path: Path, args: list[str], fragment: str
) -> None:
    previous = tmp_path / "out.csv"
    previous.write_text("previous predictions\n")
    extra = ["--out", previous] if args[0] == "predict" else []
    assert_error(fnnet(*args, *extra, cwd=bad_files), fragment)
    assert previous.read_text() == "previous predictions\n"
    assert list(tmp_path.iterdir()) == [previous]


USAGE_ERRORS = [
    [],
    ["fit", "xor"],
    ["train"],
    ["train", "data.csv"],  # no --target
    ["train", "xor", "--target", "y"],
    ["train", "xor", "--features", "x1"],
    ["train", "xor", "--epochs", "many"],
    ["train", "xor", "--hidden", "swish"],
    ["train", "xor", "--ep", "10"],  # no abbreviations
    ["predict", "m.npz"],
    ["evaluate"],
]


@pytest.mark.parametrize("args", USAGE_ERRORS)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = fnnet(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "usage: fnnet" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["train", "predict", "evaluate", "info"])
def test_help_for_every_subcommand(tmp_path: Path, command: str) -> None:
    out = ok(fnnet(command, "--help", cwd=tmp_path))
    assert out.startswith(f"usage: fnnet {command}")
    assert f"fnnet {command}: " in out and "example" in out


def test_top_level_help_and_version(tmp_path: Path) -> None:
    out = ok(fnnet("--help", cwd=tmp_path))
    assert all(c in out for c in ("train", "predict", "evaluate", "info"))
    assert ok(fnnet("--version", cwd=tmp_path)).strip() == f"fnnet {fn.__version__}"


def test_python_dash_m_works_too(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fnnet.cli", "train", "and", "--epochs", "300"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok(result).splitlines()[-1].split()[-1] == "1"
