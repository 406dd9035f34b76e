"""Tutorial systems 2 and 4: the two-layer XOR network.

``W1 b1 W2 b2`` with a tanh hidden layer and a sigmoid output, trained with
cross-entropy (log-loss) by plain gradient descent, written out as the
tutorials do: the pure functions composed in a loop. ``predict`` thresholds
the output at 0.5.

Run: python examples/xor_network.py
"""

from __future__ import annotations

import fnnet as fn


def main(
    epochs: int = 2000, learning_rate: float = 1.2, seed: int = 0
) -> tuple[fn.Params, list[float]]:
    X, Y = fn.data.logic_gate("xor")
    params = fn.initialize((2, 4, 1), seed=seed)
    costs = []
    for epoch in range(epochs):
        A, cache = fn.forward_prop(params, X, hidden="tanh", output="sigmoid")
        costs.append(fn.cost(A, Y, loss="logloss"))
        grads = fn.backward_prop(params, cache, Y)
        params = fn.update(params, grads, learning_rate=learning_rate)
        if epoch % 500 == 0:
            print(f"epoch {epoch:5d}  cost {costs[-1]:.6f}")
    print(f"final cost {costs[-1]:.6f}")
    print(
        "predictions", fn.predict(params, X).tolist(), "targets", Y.astype(int).tolist()
    )
    return params, costs


if __name__ == "__main__":
    main()
