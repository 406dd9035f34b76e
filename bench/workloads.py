"""The benchmark workloads, their deterministic data and their initial parameters.

Every array here is a pure function of a workload and a seed: the data come
from ``numpy.random.default_rng(DATA_SEED)`` (or from a data set that
scikit-learn ships, when it is installed and the workload asks for it), the
initial parameters from ``fnnet.initialize(sizes, seed=INIT_SEED, dtype=...)``
and the minibatch orders from ``numpy.random.default_rng(BATCH_SEED)``, one
permutation per epoch, exactly as ``fnnet.train(..., seed=BATCH_SEED)``
draws them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BATCH_SEED",
    "DATA_SEED",
    "INIT_SEED",
    "WORKLOADS",
    "Task",
    "Workload",
    "batch_orders",
    "flops_per_epoch",
    "make_data",
    "make_task",
    "needed_flops_per_epoch",
    "select",
]

DATA_SEED = 20_240_601
INIT_SEED = 0
BATCH_SEED = 0

Array = NDArray[np.floating]


@dataclass(frozen=True)
class Workload:
    """One benchmark row: a network, its data and how it is trained.

    Attributes
    ----------
    name : str
        Row label, e.g. ``"wide-f32"``.
    family : str
        Data set generator (``"xor"``, ``"tabular"``, ``"wide"``, ``"minibatch"``,
        or ``"random"`` for any shape); ``--only`` accepts a family or a name.
    sizes : tuple of int
        Layer widths ``(n_x, n_1, ..., n_L)``.
    m : int
        Number of training examples.
    epochs : int
        Epochs of a full run.
    quick_epochs : int
        Epochs with ``--quick``: few enough that the slowest implementation
        stays around a second per call on a busy two-core machine.
    dtype : str
        ``"float64"`` or ``"float32"``.
    learning_rate : float
    optimizer : {"sgd", "adam"}
    batch_size : int or None
        ``None`` means full batch.
    hidden, output : str
        Activations, as ``fnnet.train`` names them.
    """

    name: str
    family: str
    sizes: tuple[int, ...]
    m: int
    epochs: int
    quick_epochs: int
    dtype: str = "float64"
    learning_rate: float = 1.2
    optimizer: str = "sgd"
    batch_size: int | None = None
    hidden: str = "tanh"
    output: str = "sigmoid"

    def scaled_epochs(self, quick: bool) -> int:
        """Epochs to run: all of them, or ``quick_epochs`` with ``--quick``."""
        return self.quick_epochs if quick else self.epochs


_MNIST = {
    "family": "mnist",
    "sizes": (784, 100, 100, 10),
    "m": 60_000,
    "epochs": 10,
    "quick_epochs": 1,
    "learning_rate": 1e-3,
    "optimizer": "adam",
    "batch_size": 200,
    "hidden": "relu",
    "output": "softmax",
}

WORKLOADS: tuple[Workload, ...] = (
    Workload("xor", "xor", (2, 4, 1), 4, 10_000, 100, learning_rate=1.2),
    Workload("tabular", "tabular", (30, 16, 1), 569, 2_000, 50, learning_rate=0.5),
    Workload("deeper", "deeper", (30, 64, 32, 1), 455, 2_000, 50, learning_rate=0.5),
    Workload("wide-f64", "wide", (784, 512, 1), 4096, 20, 1, learning_rate=0.1),
    Workload("wide-f32", "wide", (784, 512, 1), 4096, 20, 1, "float32", 0.1),
    Workload(
        "minibatch",
        "minibatch",
        (64, 32, 10),
        1797,
        50,
        1,
        learning_rate=1e-3,
        optimizer="adam",
        batch_size=64,
        output="softmax",
    ),
    Workload("mnist-f64", dtype="float64", **_MNIST),
    Workload("mnist-f32", dtype="float32", **_MNIST),
)


def select(only: str | None) -> tuple[Workload, ...]:
    """The workloads named in a comma-separated ``--only`` list (all for None).

    Examples
    --------
    >>> [w.name for w in select("xor,wide")]
    ['xor', 'wide-f64', 'wide-f32']
    """
    if not only:
        return WORKLOADS
    wanted = {part.strip() for part in only.split(",") if part.strip()}
    known = {w.name for w in WORKLOADS} | {w.family for w in WORKLOADS}
    unknown = sorted(wanted - known)
    if unknown:
        raise ValueError(
            f"--only: unknown workload(s) {unknown}, expected {sorted(known)}"
        )
    return tuple(w for w in WORKLOADS if w.name in wanted or w.family in wanted)


def needed_flops_per_epoch(w: Workload) -> int:
    """Matrix-multiply FLOPs an epoch needs: no ``dA_0`` (nobody needs it).

    ``2 m n_{l-1} n_l`` forward and as much for ``dW_l`` in every layer, and
    as much again for ``dA_{l-1}`` in every layer but the first. Divided by
    the measured matrix-multiply peak this is the *matmul bound*: no
    implementation can run an epoch faster.

    Examples
    --------
    >>> needed_flops_per_epoch(WORKLOADS[0])  # 4 * 4 * (2*4 + 4*1) + 2 * 4 * 4
    224
    """
    pairs = list(zip(w.sizes[:-1], w.sizes[1:], strict=True))
    return (
        2 * w.m * (2 * sum(a * b for a, b in pairs) + sum(a * b for a, b in pairs[1:]))
    )


def flops_per_epoch(w: Workload) -> int:
    """Matrix-multiply FLOPs of one epoch: ``6 m sum_l n_{l-1} n_l``.

    Forward ``Z_l = W_l A_{l-1}`` costs ``2 m n_{l-1} n_l``; backward ``dW_l``
    and ``dA_{l-1}`` cost as much again each. (This counts ``dA_0`` too, which
    implementations may skip, so it is the textbook count, not a measurement.)

    Examples
    --------
    >>> flops_per_epoch(WORKLOADS[0])
    288
    """
    pairs = zip(w.sizes[:-1], w.sizes[1:], strict=True)
    return 6 * w.m * sum(a * b for a, b in pairs)


# ---------------------------------------------------------------- data sets


def _xor(w: Workload, rng: np.random.Generator) -> tuple[Array, Array, str]:
    X = np.array([[0, 0, 1, 1], [0, 1, 0, 1]], dtype=np.float64)
    Y = np.array([[0, 1, 1, 0]], dtype=np.float64)
    return X, Y, "XOR truth table"


def _standardize(X: Array) -> Array:
    """Zero mean, unit variance per feature (row); constant rows stay 0."""
    std = X.std(axis=1, keepdims=True)
    return (X - X.mean(axis=1, keepdims=True)) / np.where(std > 0, std, 1.0)


def _tabular(w: Workload, rng: np.random.Generator) -> tuple[Array, Array, str]:
    try:
        from sklearn.datasets import load_breast_cancer
    except ImportError:
        n_x = w.sizes[0]
        X = rng.standard_normal((n_x, w.m))
        logits = 3.0 * (rng.standard_normal(n_x) @ X) / np.sqrt(n_x)
        Y = (rng.random(w.m) < 1.0 / (1.0 + np.exp(-logits)))[None, :]
        return X, Y.astype(np.float64), "synthetic: N(0,1) features, logistic labels"
    data = load_breast_cancer()
    X, y = _standardize(data.data.T.astype(np.float64)), data.target
    return X, y[None, :].astype(np.float64), "scikit-learn load_breast_cancer, std."


def _wide(w: Workload, rng: np.random.Generator) -> tuple[Array, Array, str]:
    X = rng.random((w.sizes[0], w.m))
    score = rng.standard_normal(w.sizes[0]) @ (X - 0.5)
    Y = (score > np.median(score))[None, :].astype(np.float64)
    return X, Y, "synthetic: U[0,1) pixels, labels from a random hyperplane"


def _deeper(w: Workload, rng: np.random.Generator) -> tuple[Array, Array, str]:
    """The tabular data's first ``m`` examples (a training split's size)."""
    X, Y, source = _tabular(Workload("", "", w.sizes, 569, 1, 1), rng)
    return X[:, : w.m], Y[:, : w.m], f"{source}, first {w.m}"


def _mnist(w: Workload, rng: np.random.Generator) -> tuple[Array, Array, str]:
    """MNIST's shape: ``m`` images of 784 values in [0, 1], ten classes.

    Each class is a random "template" of pixel intensities; an example is
    its template plus N(0, 0.3**2) noise, clipped to [0, 1].
    """
    k, n_x = w.sizes[-1], w.sizes[0]
    labels = rng.integers(0, k, size=w.m)
    templates = rng.random((n_x, k))
    X = rng.standard_normal((n_x, w.m))
    X *= 0.3
    X += templates[:, labels]
    np.clip(X, 0.0, 1.0, out=X)
    return X, _one_hot(labels, k), "synthetic, MNIST's shape: 10 noisy templates"


def _one_hot(labels: NDArray[np.intp], k: int) -> Array:
    Y = np.zeros((k, labels.size))
    Y[labels, np.arange(labels.size)] = 1.0
    return Y


def _minibatch(w: Workload, rng: np.random.Generator) -> tuple[Array, Array, str]:
    k = w.sizes[-1]
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        labels = rng.integers(0, k, size=w.m)
        centers = rng.random((w.sizes[0], k))
        noise = 0.25 * rng.standard_normal((w.sizes[0], w.m))
        X = np.clip(centers[:, labels] + noise, 0.0, 1.0)
        return X, _one_hot(labels, k), "synthetic: 10 noisy centroids in [0,1]"
    data = load_digits()
    X = data.data.T.astype(np.float64) / 16.0
    return X, _one_hot(data.target, k), "scikit-learn load_digits, /16, one-hot"


def _random(w: Workload, rng: np.random.Generator) -> tuple[Array, Array, str]:
    """Any shape: N(0,1) features, random labels (small test workloads)."""
    X, k = rng.standard_normal((w.sizes[0], w.m)), w.sizes[-1]
    if w.output == "softmax":
        return X, _one_hot(rng.integers(0, k, size=w.m), k), "random"
    if w.output == "sigmoid":
        return X, (rng.random((k, w.m)) < 0.5).astype(np.float64), "random"
    return X, rng.standard_normal((k, w.m)), "random"


_GENERATORS: Mapping[str, Callable[..., tuple[Array, Array, str]]] = {
    "random": _random,
    "xor": _xor,
    "tabular": _tabular,
    "wide": _wide,
    "minibatch": _minibatch,
    "deeper": _deeper,
    "mnist": _mnist,
}


def make_data(w: Workload, seed: int = DATA_SEED) -> tuple[Array, Array, str]:
    """The data of a workload: ``X (n_x, m)``, ``Y (n_y, m)`` and their source.

    Returns
    -------
    X : ndarray of shape (n_x, m)
    Y : ndarray of shape (n_y, m)
        0/1 labels for sigmoid, one-hot columns for softmax. Both are
        read-only transposes of C-ordered rows (see :func:`_held_as_rows`).
    source : str
        Where the numbers come from, for the report.

    Examples
    --------
    >>> X, Y, _ = make_data(WORKLOADS[0])
    >>> X.shape, Y.tolist()
    ((2, 4), [[0.0, 1.0, 1.0, 0.0]])
    """
    X, Y, source = _GENERATORS[w.family](w, np.random.default_rng(seed))
    if X.shape != (w.sizes[0], w.m) or Y.shape != (w.sizes[-1], w.m):
        raise ValueError(
            f"{w.name}: data of shapes {X.shape}, {Y.shape} do not fit "
            f"sizes {w.sizes} and m={w.m}"
        )
    dtype = np.dtype(w.dtype)
    return _held_as_rows(X.astype(dtype)), _held_as_rows(Y.astype(dtype)), source


def _held_as_rows(a: Array) -> Array:
    """``a`` as the view ``rows.T`` of a read-only C-ordered array of rows.

    Data are held as rows, an example per row, as files and loaders deliver
    them; every implementation gets views of the same rows: the lean loop
    ``X.T`` itself, fnnet ``X`` (its ``(n_x, m)`` convention takes the
    transposed view without a copy).
    """
    rows = np.ascontiguousarray(a.T)
    rows.setflags(write=False)
    return rows.T


# ---------------------------------------------------------- initial values


def _local_xavier(sizes: Sequence[int], dtype: np.dtype) -> dict[str, Array]:
    """Xavier-normal weights, zero biases: used only when fnnet is missing."""
    rng = np.random.default_rng(INIT_SEED)
    params: dict[str, Array] = {}
    for l in range(1, len(sizes)):
        std = np.sqrt(2.0 / (sizes[l - 1] + sizes[l]))
        params[f"W{l}"] = rng.normal(0.0, std, (sizes[l], sizes[l - 1])).astype(dtype)
        params[f"b{l}"] = np.zeros((sizes[l], 1), dtype=dtype)
    return params


def initial_params(w: Workload) -> tuple[Any, str]:
    """``fnnet.initialize(w.sizes, seed=INIT_SEED, dtype=w.dtype)`` and its origin.

    Falls back to a local Xavier draw (and says so) while fnnet is not
    importable, so that the baseline and the frameworks can still be timed.
    """
    try:
        import fnnet as fn

        return fn.initialize(w.sizes, seed=INIT_SEED, dtype=np.dtype(w.dtype)), "fnnet"
    except (ImportError, AttributeError):
        return _local_xavier(w.sizes, np.dtype(w.dtype)), "local Xavier (no fnnet)"


def batch_orders(w: Workload, epochs: int, seed: int = BATCH_SEED) -> NDArray | None:
    """One permutation of the examples per epoch, or None for full batch.

    The same draws as ``fnnet.train``: a ``default_rng(seed)`` and one
    ``rng.permutation(m)`` per epoch, batches being consecutive slices of it.

    Returns
    -------
    orders : ndarray of shape (epochs, m), or None
    """
    if w.batch_size is None or w.batch_size >= w.m:
        return None
    rng = np.random.default_rng(seed)
    orders = np.stack([rng.permutation(w.m) for _ in range(epochs)])
    orders.setflags(write=False)
    return orders


@dataclass(frozen=True)
class Task:
    """Everything an implementation needs to run one workload.

    ``params0`` is the mapping ``fnnet.initialize`` returned (read-only
    arrays); ``orders`` the per-epoch permutations of a minibatch workload.
    """

    workload: Workload
    epochs: int
    X: Array
    Y: Array
    params0: Mapping[str, Array]
    orders: NDArray | None
    data_source: str
    init_source: str
    notes: list[str] = field(default_factory=list)

    @property
    def n_layers(self) -> int:
        """Number of layers ``L``."""
        return len(self.workload.sizes) - 1


def make_task(w: Workload, quick: bool, epochs: int | None = None) -> Task:
    """Build the data, initial parameters and batch orders of ``w``.

    ``epochs`` overrides the workload's (scaled) epoch count.
    """
    epochs = w.scaled_epochs(quick) if epochs is None else epochs
    X, Y, source = make_data(w)
    params0, init_source = initial_params(w)
    return Task(w, epochs, X, Y, params0, batch_orders(w, epochs), source, init_source)
