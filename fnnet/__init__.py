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
``fn.fit`` is the whole recipe of ``fnnet train``: from a data set and
settings to a trained, self-describing model (:mod:`fnnet.fitting`).
"""

from __future__ import annotations

from . import activations, data, fitting, losses, model, optim, perceptron
from ._run import TrainingDiverged
from ._version import __version__
from .fitting import fit
from .io import load, save
from .losses import cost, l2_penalty
from .network import backward_prop, check_grads, forward_prop, predict
from .optim import update
from .params import Params, Tree, freeze, initialize, layer_keys, sizes_of, tree_map
from .sweep import sweep
from .train import History, train

__all__ = [
    "History",
    "Params",
    "TrainingDiverged",
    "Tree",
    "__version__",
    "activations",
    "backward_prop",
    "check_grads",
    "cost",
    "data",
    "fit",
    "fitting",
    "forward_prop",
    "freeze",
    "initialize",
    "l2_penalty",
    "layer_keys",
    "load",
    "losses",
    "model",
    "optim",
    "perceptron",
    "predict",
    "save",
    "sizes_of",
    "sweep",
    "train",
    "tree_map",
    "update",
]
