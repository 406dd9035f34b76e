"""Immutable parameter trees and their initialization.

A *tree* is a flat mapping from names (``"W1"``, ``"b1"``, ...) to read-only
arrays. Parameters, gradients, caches and optimizer moments are all trees, so
one function of a tree maps over any other with the same keys (``tree_map``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from ._validation import as_seed, check_dtype, check_sizes

__all__ = [
    "Params",
    "Tree",
    "freeze",
    "initialize",
    "layer_keys",
    "n_layers",
    "sizes_of",
    "tree_map",
]


def _read_only(value: Any) -> Any:
    """Return arrays as read-only views; leave strings, numbers and None alone."""
    if isinstance(value, np.ndarray):
        view = value.view()
        view.setflags(write=False)
        return view
    return value


class Tree(Mapping[str, Any]):
    """An immutable mapping of names to read-only arrays.

    Unlike ``types.MappingProxyType`` it pickles and deep-copies (parameters
    travel to worker processes) and compares by value, so ``a == b`` holds
    when both have the same keys and bit-identical arrays of the same dtype.

    Examples
    --------
    >>> t = Tree({"W1": np.ones((2, 2))})
    >>> t["W1"].flags.writeable
    False
    >>> t == Tree({"W1": np.ones((2, 2))})
    True
    """

    __slots__ = ("_checked", "_data")

    def __init__(self, items: Mapping[str, Any] = (), /) -> None:
        object.__setattr__(
            self, "_data", {k: _read_only(v) for k, v in dict(items).items()}
        )
        # What validation found, memoized: the tree cannot change after this.
        object.__setattr__(self, "_checked", None)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self._data),))

    def __deepcopy__(self, memo: dict[int, Any]) -> Tree:
        copied = {
            k: v.copy() if isinstance(v, np.ndarray) else v
            for k, v in self._data.items()
        }
        return type(self)(copied)

    def __copy__(self) -> Tree:
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping) or set(self) != set(other):
            return False
        return all(_same(self[k], other[k]) for k in self)

    __hash__ = None  # type: ignore[assignment]

    def __or__(self, other: Mapping[str, Any]) -> Tree:
        return type(self)({**self._data, **dict(other)})

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}: {_describe(v)}" for k, v in self._data.items())
        return f"{type(self).__name__}({{{parts}}})"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b))
    return bool(a == b)


def _describe(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"{v.dtype}{list(v.shape)}"
    return repr(v)


#: Parameters (and gradients, which share their keys) are trees of arrays.
Params = Tree


def freeze(tree: Mapping[str, Any]) -> Tree:
    """Return ``tree`` as an immutable :class:`Tree` of read-only arrays.

    The arrays are not copied: they become read-only views, so the caller's
    own arrays stay writeable. Do not change them afterwards (copy first if
    you must), or the tree changes with them.

    Examples
    --------
    >>> p = freeze({"W1": np.zeros((1, 2)), "b1": np.zeros((1, 1))})
    >>> sorted(p)
    ['W1', 'b1']
    """
    return tree if isinstance(tree, Tree) else Tree(tree)


def tree_map(
    f: Callable[..., Any], tree: Mapping[str, Any], *rest: Mapping[str, Any]
) -> Tree:
    """Apply ``f`` leaf by leaf over trees with the same keys.

    Examples
    --------
    >>> p = freeze({"W1": np.ones((1, 2)), "b1": np.ones((1, 1))})
    >>> tree_map(lambda a, b: a + b, p, p)["W1"]
    array([[2., 2.]])
    """
    for other in rest:
        if set(other) != set(tree):
            raise ValueError(
                f"trees must have the same keys, "
                f"found {sorted(tree)} and {sorted(other)}"
            )
    return Tree({k: f(tree[k], *(o[k] for o in rest)) for k in tree})


def layer_keys(L: int) -> tuple[str, ...]:
    """Return the parameter keys of an ``L``-layer network, in layer order.

    Examples
    --------
    >>> layer_keys(2)
    ('W1', 'b1', 'W2', 'b2')
    """
    return tuple(k for l in range(1, L + 1) for k in (f"W{l}", f"b{l}"))


def n_layers(params: Mapping[str, Any]) -> int:
    """Number of layers ``L`` of a parameter tree (``len(params) // 2``)."""
    return len(params) // 2


def sizes_of(params: Mapping[str, Any]) -> tuple[int, ...]:
    """Layer sizes ``(n_x, n_1, ..., n_L)`` of a parameter tree.

    Examples
    --------
    >>> sizes_of(initialize((2, 4, 1)))
    (2, 4, 1)
    """
    L = n_layers(params)
    return (params["W1"].shape[1], *(params[f"W{l}"].shape[0] for l in range(1, L + 1)))


#: Standard deviation of the initial weights of a layer with ``n_in`` inputs.
_SCHEMES: Mapping[str, Callable[[int, int], float]] = {
    "xavier": lambda n_in, n_out: float(np.sqrt(2.0 / (n_in + n_out))),
    "he": lambda n_in, n_out: float(np.sqrt(2.0 / n_in)),
    "tutorial": lambda n_in, n_out: 0.01,
}
#: Activation names select the scheme that keeps their variance: Glorot & Bengio
#: (2010) for the saturating ones, He et al. (2015) for relu.
_SCHEME_FOR_ACTIVATION = {"tanh": "xavier", "sigmoid": "xavier", "relu": "he"}
SCHEMES = (*_SCHEMES, *_SCHEME_FOR_ACTIVATION)


def initialize(
    sizes: Sequence[int],
    *,
    seed: int | np.random.Generator = 0,
    dtype: Any = np.float64,
    scheme: str = "xavier",
) -> Tree:
    """Draw the initial parameters of a fully connected network.

    Parameters
    ----------
    sizes : sequence of int, length L + 1 >= 2
        Layer widths ``(n_x, n_1, ..., n_L)``; ``(n_x, 1)`` is logistic regression.
    seed : int or numpy.random.Generator
        The only source of randomness.
    dtype : float64 or float32
        The parameters' dtype decides the dtype of everything downstream.
    scheme : {"xavier", "he", "tutorial", "tanh", "sigmoid", "relu"}
        Weight scale: ``"xavier"`` (Glorot normal, std ``sqrt(2/(n_in+n_out))``),
        ``"he"`` (std ``sqrt(2/n_in)``), ``"tutorial"`` (std 0.01, as in the
        classic tutorials; it often leaves XOR stuck). An activation name picks
        its scheme: ``"relu"`` means He, ``"tanh"``/``"sigmoid"`` Xavier.

    Returns
    -------
    params : Tree
        ``W{l}`` of shape ``(n_l, n_{l-1})`` drawn from a normal distribution,
        ``b{l}`` of shape ``(n_l, 1)`` zeros.

    Examples
    --------
    >>> params = initialize((2, 4, 1), seed=0)
    >>> {k: v.shape for k, v in params.items()}
    {'W1': (4, 2), 'b1': (4, 1), 'W2': (1, 4), 'b2': (1, 1)}
    """
    sizes = check_sizes(sizes)
    dtype = check_dtype(dtype)
    std_of = _SCHEMES.get(_SCHEME_FOR_ACTIVATION.get(scheme, scheme))
    if std_of is None:
        raise ValueError(f"scheme must be one of {SCHEMES}, found {scheme!r}")
    rng = as_seed(seed)
    params = {}
    for l, (n_in, n_out) in enumerate(pairwise(sizes), start=1):
        params[f"W{l}"] = (
            std_of(n_in, n_out) * rng.standard_normal((n_out, n_in))
        ).astype(dtype)
        params[f"b{l}"] = np.zeros((n_out, 1), dtype=dtype)
    return freeze(params)
