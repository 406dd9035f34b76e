"""Tutorial system 1: a step-activation perceptron on logic gates.

The perceptron rule learns AND and OR, which a single line separates, and
never settles on XOR, which no line separates. The learning-rate experiment
shows how many epochs each rate needs on AND and OR.

Run: python examples/perceptron_gates.py
"""

from __future__ import annotations

import numpy as np

from fnnet import data, perceptron

RATES = (0.01, 0.1, 0.5, 1.0)


def run(gate: str, learning_rate: float, epochs: int = 100) -> tuple[float, int | None]:
    """Accuracy after training and the epoch it converged in (None if never)."""
    X, Y = data.logic_gate(gate)
    params = perceptron.initialize(2, seed=0)
    params, history = perceptron.train(
        params, X, Y, epochs=epochs, learning_rate=learning_rate
    )
    accuracy = float(np.mean(perceptron.predict(params, X) == Y))
    return accuracy, history.converged_epoch


def main() -> dict[str, dict[float, tuple[float, int | None]]]:
    results = {g: {lr: run(g, lr) for lr in RATES} for g in ("and", "or", "xor")}
    print("gate  rate   accuracy  converged at epoch")
    for gate, by_rate in results.items():
        for lr, (acc, epoch) in by_rate.items():
            print(
                f"{gate:4s}  {lr:<5}  {acc:8.2f}  {'never' if epoch is None else epoch}"
            )
    return results


if __name__ == "__main__":
    main()
