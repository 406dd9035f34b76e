"""Optimizers as pairs of pure functions, in the style of optax.

``opt = adam(1e-3)`` gives an :class:`Optimizer`; ``state = opt.init(params)``
makes its state and ``params, state = opt.update(params, grads, state)`` takes
one step. Nothing is mutated: each step returns new parameters and a new
state. The ``name`` and ``hyperparams`` fields let the compiled backend run
the very same rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray

from ._validation import check_fraction, check_params, check_positive_float
from .params import Tree, freeze, tree_map

Array = NDArray[np.floating]
Params = Mapping[str, Array]


class InitFn(Protocol):
    def __call__(self, params: Params) -> Any: ...


class UpdateFn(Protocol):
    def __call__(
        self, params: Params, grads: Params, state: Any
    ) -> tuple[Tree, Any]: ...


class Optimizer(NamedTuple):
    """A gradient-descent rule: ``init(params) -> state`` and
    ``update(params, grads, state) -> (params, state)``."""

    init: InitFn
    update: UpdateFn
    name: str
    hyperparams: Mapping[str, float]


class SgdState(NamedTuple):
    """Plain gradient descent keeps no state."""


class MomentumState(NamedTuple):
    velocity: Tree


class AdamState(NamedTuple):
    count: int
    mu: Tree
    nu: Tree


def _check_step(params: Params, grads: Params) -> None:
    check_params(params)
    if set(grads) != set(params):
        raise ValueError(
            f"grads must have the keys of params {sorted(params)}, "
            f"found {sorted(grads)}"
        )
    for k in params:
        g = grads[k]
        if not isinstance(g, np.ndarray) or g.shape != params[k].shape:
            found = getattr(g, "shape", type(g).__name__)
            raise ValueError(
                f"grads[{k!r}] must have shape {params[k].shape}, found {found}"
            )


def check_state(optimizer: Optimizer, state: Any, params: Params) -> Any:
    """An optimizer state that ``optimizer`` can continue from with ``params``.

    The state's type must be the optimizer's (``SgdState``, ``MomentumState``,
    ``AdamState``), its trees must have the keys, shapes and dtype of
    ``params``, and Adam's step count must be a non-negative int.
    """
    kind = {"sgd": SgdState, "momentum": MomentumState, "adam": AdamState}.get(
        optimizer.name
    )
    if kind is None:
        return state  # another optimizer's state: its own update checks it
    if not isinstance(state, kind):
        raise TypeError(
            f"state must be a {kind.__name__} (the state of fnnet.optim."
            f"{optimizer.name}), found {type(state).__name__}"
        )
    for field in state._fields:
        value = getattr(state, field)
        if field == "count":
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"state.count must be an int, found {value!r}")
            if value < 0:
                raise ValueError(f"state.count must be >= 0, found {value}")
            continue
        check_params(value, f"state.{field}")
        for k in params:
            if value[k].shape != params[k].shape or value[k].dtype != params[k].dtype:
                raise ValueError(
                    f"state.{field}[{k!r}] must match params: shape "
                    f"{params[k].shape} and {params[k].dtype}, found "
                    f"{value[k].shape} and {value[k].dtype}"
                )
    return state


def _zeros_like(params: Params) -> Tree:
    return tree_map(np.zeros_like, params)


def update(params: Params, grads: Params, learning_rate: float) -> Tree:
    """One gradient-descent step, ``p - learning_rate * g`` for every key.

    Parameters
    ----------
    params, grads : Params
        Trees with the same keys and shapes.
    learning_rate : float
        A finite number >= 0; 0 returns ``params`` unchanged, bit for bit.

    Returns
    -------
    params : Tree
        New parameters; the inputs are untouched.

    Examples
    --------
    >>> p = freeze({"W1": np.ones((1, 1)), "b1": np.zeros((1, 1))})
    >>> g = freeze({"W1": np.ones((1, 1)), "b1": np.ones((1, 1))})
    >>> new = update(p, g, learning_rate=0.5)
    >>> float(new["W1"][0, 0]), float(p["W1"][0, 0])
    (0.5, 1.0)
    """
    _check_step(params, grads)
    lr = check_positive_float("learning_rate", learning_rate, allow_zero=True)
    if lr == 0:
        return freeze(params)
    return freeze({k: params[k] - lr * grads[k] for k in params})


def sgd(learning_rate: float) -> Optimizer:
    """Gradient descent, ``p = p - lr * g``, as an optimizer (see :func:`update`).

    Examples
    --------
    >>> opt = sgd(0.5)
    >>> p = freeze({"W1": np.ones((1, 1)), "b1": np.zeros((1, 1))})
    >>> new, state = opt.update(p, p, opt.init(p))
    >>> float(new["W1"][0, 0])
    0.5
    """
    lr = check_positive_float("learning_rate", learning_rate, allow_zero=True)

    def init(params: Params) -> SgdState:
        check_params(params)
        return SgdState()

    def step(params: Params, grads: Params, state: SgdState) -> tuple[Tree, SgdState]:
        return update(params, grads, lr), state

    return Optimizer(init, step, "sgd", MappingProxyType({"learning_rate": lr}))


def momentum(learning_rate: float, beta: float = 0.9) -> Optimizer:
    """Heavy-ball momentum as in PyTorch and optax: ``v = beta v + g; p = p - lr v``."""
    lr = check_positive_float("learning_rate", learning_rate, allow_zero=True)
    beta = check_fraction("beta", beta)

    def init(params: Params) -> MomentumState:
        check_params(params)
        return MomentumState(_zeros_like(params))

    def step(
        params: Params, grads: Params, state: MomentumState
    ) -> tuple[Tree, MomentumState]:
        _check_step(params, grads)
        v = freeze({k: beta * state.velocity[k] + grads[k] for k in params})
        return freeze({k: params[k] - lr * v[k] for k in params}), MomentumState(v)

    hyper = {"learning_rate": lr, "beta": beta}
    return Optimizer(init, step, "momentum", MappingProxyType(hyper))


def adam(
    learning_rate: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> Optimizer:
    """Adam (Kingma & Ba, 2015) with bias correction.

    Notes
    -----
    With step count ``t`` (from 1)::

        mu = beta1 mu + (1 - beta1) g        nu = beta2 nu + (1 - beta2) g**2
        p = p - lr * (mu / (1 - beta1**t)) / (sqrt(nu / (1 - beta2**t)) + eps)
    """
    lr = check_positive_float("learning_rate", learning_rate, allow_zero=True)
    beta1, beta2 = check_fraction("beta1", beta1), check_fraction("beta2", beta2)
    eps = check_positive_float("eps", eps)

    def init(params: Params) -> AdamState:
        check_params(params)
        return AdamState(0, _zeros_like(params), _zeros_like(params))

    def step(params: Params, grads: Params, state: AdamState) -> tuple[Tree, AdamState]:
        _check_step(params, grads)
        t = state.count + 1
        mu = freeze({k: beta1 * state.mu[k] + (1 - beta1) * grads[k] for k in params})
        nu = freeze(
            {k: beta2 * state.nu[k] + (1 - beta2) * grads[k] ** 2 for k in params}
        )
        c1, c2 = 1 - beta1**t, 1 - beta2**t
        new = {
            k: params[k] - lr * (mu[k] / c1) / (np.sqrt(nu[k] / c2) + eps)
            for k in params
        }
        return freeze(new), AdamState(t, mu, nu)

    hyper = {"learning_rate": lr, "beta1": beta1, "beta2": beta2, "eps": eps}
    return Optimizer(init, step, "adam", MappingProxyType(hyper))


OPTIMIZERS = MappingProxyType({"sgd": sgd, "momentum": momentum, "adam": adam})
