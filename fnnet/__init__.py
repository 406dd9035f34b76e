"""fnnet: neural networks from scratch, in a functional style.

Parameters are immutable trees threaded through pure functions::

    import fnnet as fn

    params = fn.initialize((2, 4, 1), seed=0)
    A, cache = fn.forward_prop(params, X, hidden="tanh", output="sigmoid")
    J = fn.cost(A, Y, loss="logloss")
    grads = fn.backward_prop(params, cache, Y)
    params = fn.update(params, grads, learning_rate=1.2)

``fn.train`` runs the same loop on the NumPy reference backend or as a
compiled Numba kernel (``backend="numba"``) that gives the same numbers.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from . import activations, data, losses, optim, perceptron
from .io import load, save
from .losses import cost, l2_penalty
from .network import backward_prop, check_grads, forward_prop, predict
from .optim import update
from .params import Params, Tree, freeze, initialize, layer_keys, sizes_of, tree_map
from .train import History, train

try:
    __version__ = version("fnnet")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "History",
    "Params",
    "Tree",
    "__version__",
    "activations",
    "backward_prop",
    "check_grads",
    "cost",
    "data",
    "forward_prop",
    "freeze",
    "initialize",
    "l2_penalty",
    "layer_keys",
    "load",
    "losses",
    "optim",
    "perceptron",
    "predict",
    "save",
    "sizes_of",
    "train",
    "tree_map",
    "update",
]
