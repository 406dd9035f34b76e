"""The ``fnnet`` command line.

``fnnet train xor`` trains the two-layer XOR network on the built-in truth
table and prints what it learned.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np

from . import data
from .network import forward_prop, predict
from .params import initialize
from .train import train


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fnnet", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a network on a built-in data set")
    t.add_argument("data", choices=[*data.GATES], help="built-in data set")
    t.add_argument("--hidden-sizes", type=int, nargs="*", default=[4])
    t.add_argument("--epochs", type=int, default=2000)
    t.add_argument("--learning-rate", type=float, default=1.2)
    t.add_argument("--backend", choices=["numpy", "numba"], default="numpy")
    t.add_argument("--seed", type=int, default=0)
    return parser


def _train(args: argparse.Namespace) -> int:
    X, Y = data.logic_gate(args.data)
    params = initialize((X.shape[0], *args.hidden_sizes, 1), seed=args.seed)
    start = time.perf_counter()
    params, history = train(
        params,
        X,
        Y,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        backend=args.backend,
        seed=args.seed,
    )
    elapsed = time.perf_counter() - start
    A, _ = forward_prop(params, X)
    labels = predict(params, X)
    print(
        f"{args.data}: {len(history.costs)} epochs in {elapsed:.2f} s, "
        f"final cost {history.costs[-1]:.4g}"
    )
    print("x1 x2 | target  output  predicted")
    for j in range(X.shape[1]):
        x1, x2 = X[:, j].astype(int)
        print(f" {x1}  {x2} |   {int(Y[0, j])}    {A[0, j]:.4f}     {labels[0, j]}")
    print(f"accuracy {float(np.mean(labels == Y)):.2f}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fnnet`` console script."""
    args = _parser().parse_args(argv)
    return _train(args)


if __name__ == "__main__":
    sys.exit(main())
