"""fnnet.sklearn: scikit-learn's own estimator checks, resuming, composition, files."""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from fnnet.sklearn import FnnetClassifier, FnnetRegressor

BACKENDS = ["numpy", "numba"]


@parametrize_with_checks([FnnetClassifier(), FnnetRegressor()])
def test_scikit_learn_estimator_checks(estimator, check) -> None:
    check(estimator)


def _blobs(n_classes: int, labels: list, m: int = 120, seed: int = 0):
    rng = np.random.default_rng(seed)
    codes = rng.integers(n_classes, size=m)
    X = rng.normal(size=(m, 3)) + 3 * codes[:, None]
    return X, np.array(labels, dtype=object if isinstance(labels[0], str) else None)[
        codes
    ]


@pytest.mark.parametrize(
    "labels",
    [["no", "yes"], [3, 7], [False, True], ["cat", "dog", "bird"], [0, 1, 2, 3]],
)
def test_labels_of_any_kind_come_back_as_given(labels) -> None:
    X, y = _blobs(len(labels), labels)
    clf = FnnetClassifier(hidden_sizes=(8,), epochs=200).fit(X, y)
    assert clf.classes_.tolist() == sorted(labels)
    pred = clf.predict(X)
    assert pred.dtype == clf.classes_.dtype and set(pred.tolist()) <= set(labels)
    assert clf.score(X, y) > 0.95
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(labels)) and np.allclose(proba.sum(axis=1), 1)
    assert np.array_equal(clf.classes_[proba.argmax(axis=1)], pred)


def test_softmax_on_two_classes() -> None:
    X, y = _blobs(2, ["a", "b"])
    clf = FnnetClassifier(hidden_sizes=(), output="softmax", epochs=100).fit(X, y)
    assert clf.model_.output == "softmax" and clf.predict_proba(X).shape == (120, 2)


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_regression_single_and_multi_output(n_outputs) -> None:
    X, y = make_regression(
        n_samples=150, n_features=4, n_targets=n_outputs, random_state=0
    )
    reg = FnnetRegressor(hidden_sizes=(16,), epochs=300, learning_rate=0.01)
    reg.fit(X, y / y.std())
    assert reg.predict(X).shape == y.shape
    assert reg.score(X, y / y.std()) > 0.9


def test_dataframes_keep_their_column_names(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    X, y = _blobs(2, ["no", "yes"])
    frame = pd.DataFrame(X, columns=["age", "height", "weight"])
    clf = FnnetClassifier(hidden_sizes=(4,), epochs=50).fit(frame, pd.Series(y))
    assert clf.feature_names_in_.tolist() == ["age", "height", "weight"]
    assert clf.model_.feature_names == ("age", "height", "weight")
    renamed = frame.rename(columns={"age": "years"})
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(renamed)


def _max_diff(a, b) -> float:
    return max(float(np.abs(a[k] - b[k]).max()) for k in a)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_two_calls_of_50_epochs_equal_one_of_100(backend, how) -> None:
    X, y = _blobs(3, ["a", "b", "c"])
    options = {"hidden_sizes": (8,), "batch_size": 32, "backend": backend}
    whole = FnnetClassifier(epochs=100, **options).fit(X, y)
    if how == "partial_fit":
        est = FnnetClassifier(epochs=50, **options)
        est.partial_fit(X, y, classes=["a", "b", "c"]).partial_fit(X, y)
    else:
        est = FnnetClassifier(epochs=50, warm_start=True, **options)
        est.fit(X, y).fit(X, y)
    assert _max_diff(whole.model_.params, est.model_.params) <= 1e-12
    assert est.n_iter_ == 100 and np.allclose(est.loss_curve_, whole.loss_curve_)


@pytest.mark.parametrize("backend", BACKENDS)
def test_regressor_resumes_with_momentum(backend) -> None:
    X, y = make_regression(n_samples=80, n_features=3, random_state=1)
    options = {"optimizer": "momentum", "learning_rate": 0.01, "backend": backend}
    whole = FnnetRegressor(epochs=100, **options).fit(X, y / y.std())
    est = FnnetRegressor(epochs=50, **options)
    est.partial_fit(X, y / y.std()).partial_fit(X, y / y.std())
    assert _max_diff(whole.model_.params, est.model_.params) <= 1e-12


def test_validation_curves_and_best_epoch() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 3)), rng.integers(2, size=200)  # nothing to learn
    clf = FnnetClassifier(
        hidden_sizes=(8,), epochs=400, validation_fraction=0.25, patience=5
    ).fit(X, y)
    assert len(clf.loss_curve_) == len(clf.validation_loss_curve_) == clf.n_iter_
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.n_iter_ < 400 and clf.best_epoch_ == clf.n_iter_ - 6
    assert (
        min(clf.validation_loss_curve_) == clf.validation_loss_curve_[clf.best_epoch_]
    )


def test_bad_settings_are_named_at_fit() -> None:
    X, y = _blobs(2, [0, 1])
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        FnnetClassifier(epochs=0).fit(X, y)
    with pytest.raises(ValueError, match="hidden must be one of"):
        FnnetRegressor(hidden="swish").fit(X, y.astype(float))
    clf = FnnetClassifier(epochs=5).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="y has labels"):
        clf.partial_fit(X, np.full(len(y), 2))
    with pytest.raises(ValueError, match="at least 2 classes in y, found 1 class"):
        FnnetClassifier(epochs=5).fit(X, np.zeros(len(y)))


def test_pipeline_cross_validation_and_grid_search_agree_across_jobs() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[::3], y[::3]
    pipe = make_pipeline(
        StandardScaler(), FnnetClassifier(hidden_sizes=(8,), epochs=50)
    )
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.9
    grid = {
        "fnnetclassifier__l2": [0.0, 1.0],
        "fnnetclassifier__hidden": ["tanh", "relu"],
    }
    one = GridSearchCV(pipe, grid, cv=3, n_jobs=1).fit(X, y)
    two = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X, y)
    assert np.array_equal(
        one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"]
    )
    assert one.best_params_ == two.best_params_


def test_grid_search_on_a_dask_cluster_gives_the_same_scores(loopback_cluster) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[::3], y[::3]
    est = FnnetClassifier(hidden_sizes=(8,), epochs=50)
    grid = {"l2": [0.0, 1.0], "learning_rate": [0.01, 0.05]}
    local = GridSearchCV(est, grid, cv=3, n_jobs=1).fit(X, y)
    with loopback_cluster(), joblib.parallel_backend("dask"):
        remote = GridSearchCV(est, grid, cv=3, n_jobs=-1).fit(X, y)
    assert np.array_equal(
        local.cv_results_["mean_test_score"], remote.cv_results_["mean_test_score"]
    )


def test_clone_params_pickle_and_joblib(tmp_path: Path) -> None:
    X, y = _blobs(3, [0, 1, 2])
    clf = FnnetClassifier(hidden_sizes=(4,), epochs=30, seed=3)
    assert clone(clf).get_params() == clf.get_params()
    assert clf.set_params(epochs=40).epochs == 40
    clf.fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(again.predict_proba(X), clf.predict_proba(X))
    joblib.dump(clf, tmp_path / "clf.joblib")
    loaded = joblib.load(tmp_path / "clf.joblib")
    assert np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert not hasattr(clone(clf), "model_")


def _write_csv(path: Path, X: np.ndarray, y: np.ndarray) -> None:
    header = ",".join([f"x{i}" for i in range(X.shape[1])] + ["y"])
    rows = [
        ",".join([*map(repr, map(float, r)), str(t)]) for r, t in zip(X, y, strict=True)
    ]
    path.write_text("\n".join([header, *rows]) + "\n")


def test_model_files_without_pickle_work_with_the_command_line(tmp_path: Path) -> None:
    X, y = _blobs(3, ["cat", "dog", "owl"], m=60)
    clf = FnnetClassifier(hidden_sizes=(4,), epochs=100).fit(X, y)
    clf.save(tmp_path / "clf.npz")
    loaded = FnnetClassifier.load(tmp_path / "clf.npz")
    assert loaded.get_params() == clf.get_params()
    assert np.array_equal(loaded.predict(X), clf.predict(X))
    assert np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    _write_csv(tmp_path / "rows.csv", X, y)
    command = [sys.executable, "-m", "fnnet.cli"]
    out = subprocess.run(
        [*command, "predict", "clf.npz", "rows.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert out[0] == "y" and out[1:] == clf.predict(X).tolist()
    report = subprocess.run(
        [*command, "evaluate", "clf.npz", "rows.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"accuracy    {clf.score(X, y):.4f}" in report
    with pytest.raises(ValueError, match="was not saved by FnnetRegressor"):
        FnnetRegressor.load(tmp_path / "clf.npz")


def test_regressor_files_round_trip(tmp_path: Path) -> None:
    X, y = make_regression(n_samples=50, n_features=2, random_state=0)
    reg = FnnetRegressor(hidden_sizes=(4,), epochs=20).fit(X, y / y.std())
    reg.save(tmp_path / "reg.npz")
    back = FnnetRegressor.load(tmp_path / "reg.npz")
    assert np.array_equal(back.predict(X), reg.predict(X)) and back.predict(X).ndim == 1


@pytest.mark.slow
@pytest.mark.parametrize("load", [load_breast_cancer, load_digits])
def test_cross_validated_accuracy_within_a_point_of_mlpclassifier(load) -> None:
    X, y = load(return_X_y=True)
    same = {"hidden_sizes": (100,), "hidden": "relu", "optimizer": "adam"}
    fnnet = FnnetClassifier(
        **same,
        learning_rate=1e-3,
        batch_size=200,
        epochs=200,
        l2=1e-4,
        standardize=False,
    )
    mlp = MLPClassifier(
        hidden_layer_sizes=(100,),
        activation="relu",
        solver="adam",
        learning_rate_init=1e-3,
        batch_size=200,
        max_iter=200,
        alpha=1e-4,
        random_state=0,
    )
    cv = KFold(5, shuffle=True, random_state=0)
    ours = cross_val_score(make_pipeline(StandardScaler(), fnnet), X, y, cv=cv).mean()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = cross_val_score(
            make_pipeline(StandardScaler(), mlp), X, y, cv=cv
        ).mean()
    assert abs(ours - theirs) <= 0.01, (ours, theirs)


def test_without_scikit_learn_the_import_error_names_the_extra(tmp_path: Path) -> None:
    (tmp_path / "sklearn").mkdir()
    (tmp_path / "sklearn" / "__init__.py").write_text("raise ImportError('blocked')\n")
    env = {"PYTHONPATH": str(tmp_path), "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-c", "import fnnet.sklearn"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert 'pip install "fnnet[sklearn]"' in result.stderr.splitlines()[-1]
    import_fnnet = subprocess.run(
        [sys.executable, "-c", "import fnnet"], env=env, capture_output=True
    )
    assert import_fnnet.returncode == 0  # the library never imports its edges
