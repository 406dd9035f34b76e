"""Tutorial system 3: a one-layer sigmoid network on seven 3-bit examples.

The examples are
``[0,1,0],[0,0,1],[1,0,0],[1,1,0],[1,1,1],[0,1,1],[0,1,0] -> 1,0,0,1,1,0,1``.
A single sigmoid unit (no hidden layer, ``sizes = (3, 1)``) fits them.

Run: python examples/three_bit.py
"""

from __future__ import annotations

import numpy as np

import fnnet as fn


def main(
    epochs: int = 5000, learning_rate: float = 1.0
) -> tuple[np.ndarray, fn.History]:
    X, Y = fn.data.three_bit()
    params = fn.initialize((3, 1), seed=1)
    params, history = fn.train(
        params, X, Y, epochs=epochs, learning_rate=learning_rate, output="sigmoid"
    )
    A, _ = fn.forward_prop(params, X, output="sigmoid")
    print("outputs    ", np.round(A, 3).tolist())
    print("targets    ", Y.astype(int).tolist())
    print(f"cost {history.costs[0]:.4f} -> {history.costs[-1]:.4f}")
    return A, history


if __name__ == "__main__":
    main()
