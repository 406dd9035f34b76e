"""The model-file bundle: exact round trips, and foreign or broken files rejected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import fnnet as fn
from fnnet.data import Standardizer, standardize
from fnnet.model import (
    Model,
    ModelError,
    class_probabilities,
    labels_of,
    load_model,
    model_outputs,
    save_model,
)


def _model(dtype: Any = np.float64, classes: tuple[str, ...] = ("no", "yes")) -> Model:
    """A small trained binary model with scaling, as `fnnet train` makes them."""
    rng = np.random.default_rng(0)
    X = rng.normal(50, 10, size=(2, 40)).astype(dtype)
    Y = (X[0:1] + X[1:2] > 100).astype(dtype)
    Z, scaling = standardize(X)
    params = fn.initialize((2, 3, 1), seed=0, dtype=dtype)
    params, _ = fn.train(params, Z, Y, epochs=50, learning_rate=0.5)
    training = {"epochs": 50, "hidden_sizes": [3]}
    return Model(
        params, "tanh", "sigmoid", "binary", ("a", "b"), "label", classes, scaling,
        fn.__version__, training,
    )  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_saved_and_loaded_model_predicts_bit_identically(
    tmp_path: Path, dtype: Any
) -> None:
    model = _model(dtype)
    loaded = load_model(save_model(tmp_path / "m.npz", model))
    X = np.random.default_rng(1).normal(50, 10, size=(2, 25))
    before, after = model_outputs(model, X), model_outputs(loaded, X)
    assert after.dtype == dtype
    assert before.tobytes() == after.tobytes()
    assert labels_of(model, before) == labels_of(loaded, after)


def test_every_field_round_trips(tmp_path: Path) -> None:
    model = _model(classes=("chien", "chat, gris"))
    loaded = load_model(save_model(tmp_path / "m.npz", model))
    assert loaded.params == model.params
    for field in ("hidden", "output", "task", "feature_names", "target", "classes"):
        assert getattr(loaded, field) == getattr(model, field), field
    assert loaded.scaling.mean.tobytes() == model.scaling.mean.tobytes()
    assert loaded.scaling.scale.tobytes() == model.scaling.scale.tobytes()
    assert loaded.version == fn.__version__
    assert loaded.training == {"epochs": 50, "hidden_sizes": [3]}
    assert loaded.loss == "logloss"


def test_model_without_scaling_round_trips(tmp_path: Path) -> None:
    model = _model()._replace(scaling=None)
    loaded = load_model(save_model(tmp_path / "m.npz", model))
    assert loaded.scaling is None
    X = np.array([[0.5, 1.0], [0.0, 2.0]])
    assert model_outputs(loaded, X).tobytes() == model_outputs(model, X).tobytes()


def test_outputs_scale_raw_features_with_the_stored_statistics() -> None:
    model = _model()
    X = np.array([[40.0, 60.0], [55.0, 45.0]])
    Z, _ = standardize(X, model.scaling)
    A, _ = fn.forward_prop(model.params, Z, "tanh", "sigmoid")
    assert np.array_equal(model_outputs(model, X), A)


def test_labels_and_probabilities_follow_the_class_order() -> None:
    model = _model(classes=("no", "yes"))
    A = np.array([[0.2, 0.5, 0.9]])
    assert labels_of(model, A) == ["no", "no", "yes"]  # threshold 0.5, as predict
    P = class_probabilities(model, A)
    assert np.allclose(P, [[0.8, 0.5, 0.1], [0.2, 0.5, 0.9]])
    soft = model._replace(output="softmax", task="multiclass", classes=("x", "y", "z"))
    A3 = np.array([[0.1, 0.7], [0.6, 0.2], [0.3, 0.1]])
    assert labels_of(soft, A3) == ["y", "x"]
    assert class_probabilities(soft, A3) is A3


def test_regression_model_gives_values(tmp_path: Path) -> None:
    params = fn.initialize((2, 1), seed=3)
    model = Model(params, "tanh", "identity", "regression", ("u", "v"), "y", None)
    loaded = load_model(save_model(tmp_path / "r.npz", model))
    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    assert np.array_equal(
        labels_of(loaded, model_outputs(loaded, X)), (params["W1"] @ X)[0]
    )
    with pytest.raises(ModelError, match="no class probabilities"):
        class_probabilities(loaded, X[:1])


def test_plain_parameter_file_is_not_a_model(tmp_path: Path) -> None:
    path = fn.save(tmp_path / "params.npz", fn.initialize((2, 4, 1)))
    with pytest.raises(
        ModelError, match="not an fnnet model: it holds parameters only"
    ):
        load_model(path)


def test_other_programs_files_are_not_models(tmp_path: Path) -> None:
    np.savez(tmp_path / "other.npz", weights=np.ones(3))
    with pytest.raises(ModelError, match="not an fnnet model"):
        load_model(tmp_path / "other.npz")
    (tmp_path / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    with pytest.raises(ModelError, match=r"not an fnnet model \(not an .npz file\)"):
        load_model(tmp_path / "picture.png")
    with pytest.raises(FileNotFoundError, match="no such model file"):
        load_model(tmp_path / "missing.npz")


def _tampered(tmp_path: Path, **changes: Any) -> Path:
    """A valid model file whose metadata is then changed behind save_model's back."""
    path = save_model(tmp_path / "m.npz", _model())
    params, meta = fn.load(path)
    meta = {**meta, **changes}
    return fn.save(tmp_path / "bad.npz", params, **{k: v for k, v in meta.items()})


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"format_version": 99}, "format version 99"),
        ({"feature_names": ["a"]}, "1 feature names for W1's 2 inputs"),
        (
            {"feature_names": ["a", "a"]},
            r"feature_names must not repeat a name, found \['a'\]",
        ),
        ({"output": "softmax"}, "do not fit a binary model"),
        (
            {"task": "regression", "output": "identity"},
            r"classes \(.no., .yes.\) for a regression model",
        ),
        ({"task": "clustering"}, "unknown task"),
        ({"hidden": "swish"}, "do not fit"),
        ({"classes": ["only"]}, "at least 2 classes"),
        ({"target": ""}, "target must be a column name"),
        ({"loss": "mse"}, "stored loss or sizes"),
        ({"sizes": [2, 9, 1]}, "stored loss or sizes"),
        ({"scaling_scale": np.zeros((2, 1))}, "scale must be positive"),
        ({"scaling_mean": np.zeros((3, 1))}, r"shape \(2, 1\)"),
        ({"scaling_mean": np.array([[np.nan], [0.0]])}, "finite floats"),
    ],
)
def test_inconsistent_metadata_is_rejected(
    tmp_path: Path, changes: dict[str, Any], match: str
) -> None:
    with pytest.raises(ModelError, match=match):
        load_model(_tampered(tmp_path, **changes))


def test_missing_field_is_rejected(tmp_path: Path) -> None:
    path = save_model(tmp_path / "m.npz", _model())
    params, meta = fn.load(path)
    del meta["target"]
    fn.save(path, params, **meta)
    with pytest.raises(ModelError, match=r"missing \['target'\]"):
        load_model(path)


def test_save_checks_the_model_and_writes_nothing_when_it_is_wrong(
    tmp_path: Path,
) -> None:
    model = _model()
    bad = model._replace(feature_names=("a", "b", "c"))
    with pytest.raises(ModelError, match="3 feature names"):
        save_model(tmp_path / "m.npz", bad)
    assert not (tmp_path / "m.npz").exists()
    wrong_scaling = Standardizer(np.zeros((2, 1)), -np.ones((2, 1)))
    with pytest.raises(ModelError, match="scale must be positive"):
        save_model(tmp_path / "m.npz", model._replace(scaling=wrong_scaling))
    assert list(tmp_path.iterdir()) == []


def test_labels_are_the_decision_predict_makes() -> None:
    model = _model()
    X = np.random.default_rng(2).normal(50, 10, size=(2, 30))
    A = model_outputs(model, X)
    Z, _ = standardize(X, model.scaling)
    codes = fn.predict(model.params, Z, hidden="tanh", output="sigmoid")[0]
    assert labels_of(model, A) == [model.classes[c] for c in codes]


def test_model_outputs_name_bad_features() -> None:
    model = _model()
    with pytest.raises(ValueError, match=r"X has 3 rows but the model takes 2"):
        model_outputs(model, np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"X must be finite, found nan at \[1, 0\]"):
        model_outputs(model, [[1.0], [np.nan]])


def test_save_checks_names_as_load_does(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"feature_names must not repeat a name"):
        save_model(tmp_path / "m.npz", _model()._replace(feature_names=("a", "a")))
    with pytest.raises(ModelError, match=r"classes\[1\] must be a class name"):
        save_model(tmp_path / "m.npz", _model(classes=("no", "")))
    assert list(tmp_path.iterdir()) == []
    model = _model()._replace(feature_names=["a", "b"], classes=["no", "yes"])
    loaded = load_model(save_model(tmp_path / "m.npz", model))
    assert loaded.feature_names == ("a", "b") and loaded.classes == ("no", "yes")


def test_task_outputs_is_the_data_policy() -> None:
    from fnnet import data, model

    assert model.TASK_OUTPUTS is data.TASK_OUTPUTS
