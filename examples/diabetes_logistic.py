"""Tutorial system 5: logistic regression on Glucose, BloodPressure -> Diabetes.

The CSV is loaded from a file (rows become columns), the features are
standardized, and a ``(2, 1)`` network (no hidden layer: logistic regression)
is trained by gradient descent while the cost falls. The shipped CSV is
synthetic (see ``scripts/make_diabetes_csv.py``); pass another path to use
your own file with the same columns.

Run: python examples/diabetes_logistic.py [path/to/diabetes.csv]
"""

from __future__ import annotations

import sys

import numpy as np

import fnnet as fn


def main(path: str | None = None, epochs: int = 500) -> fn.History:
    ds = fn.data.load_csv(path or fn.data.diabetes_csv(), target="Diabetes")
    X, scaling = fn.data.standardize(ds.X)
    params = fn.initialize((X.shape[0], 1), seed=0)
    params, history = fn.train(params, X, ds.Y, epochs=epochs, learning_rate=0.5)
    accuracy = float(np.mean(fn.predict(params, X) == ds.Y))
    print(f"{X.shape[1]} examples, features {ds.feature_names}")
    print("standardized with means", np.round(scaling.mean.ravel(), 1).tolist())
    for epoch in (0, 10, 50, 100, epochs - 1):
        print(f"epoch {epoch:4d}  cost {history.costs[epoch]:.4f}")
    print(f"training accuracy {accuracy:.3f}")
    print(
        "weights",
        np.round(params["W1"], 3).tolist(),
        "bias",
        round(float(params["b1"][0, 0]), 3),
    )
    return history


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
