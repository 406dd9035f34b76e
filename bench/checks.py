"""The correctness check: is a fast implementation also doing the same maths?

Before its timings count, each implementation's first-call result is
compared with the reference (``fnnet.train(backend="numpy")``, or the
baseline while fnnet is missing):

- ``param_err``: the largest ``|P - R| / (1 + max|R|)`` over all parameters;
- ``cost_err``: the largest relative difference of the per-epoch costs.

Both must stay under the workload dtype's tolerance, else the row is flagged
``DIVERGES``. The tolerances are loose (1e-6 in float64, 1e-3 in float32) on
purpose: different BLAS kernels sum in different orders, and a long run
grows those rounding differences; a wrong gradient or a skipped update is
off by orders of magnitude more.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from .trial import Outcome

__all__ = ["TOLERANCE", "Check", "compare"]

TOLERANCE: Mapping[str, float] = {"float64": 1e-6, "float32": 1e-3}


class Check(NamedTuple):
    """Result of comparing one outcome with the reference.

    ``verdict`` is ``"ref"`` (this is the reference), ``"ok"``, ``"DIVERGES"``,
    ``"NaN"`` (non-finite numbers), ``"n/c"`` (not comparable, e.g. other
    minibatches) or ``"-"`` (nothing to compare).
    """

    verdict: str
    param_err: float | None = None
    cost_err: float | None = None


def _param_err(p: Mapping[str, np.ndarray], r: Mapping[str, np.ndarray]) -> float:
    errs = []
    for k in r:
        ref = np.asarray(r[k], dtype=np.float64)
        got = np.asarray(p[k], dtype=np.float64).reshape(ref.shape)
        errs.append(np.max(np.abs(got - ref)) / (1.0 + np.max(np.abs(ref))))
    return float(max(errs))


def _cost_err(c: np.ndarray, r: np.ndarray) -> float | None:
    if c.shape != r.shape:
        return None
    scale = np.maximum(np.abs(r), np.finfo(np.float64).tiny)
    return float(np.max(np.abs(c - r) / scale))


def _finite(o: Outcome) -> bool:
    arrays = [np.asarray(a) for a in o.params.values()]
    return bool(
        all(np.isfinite(a).all() for a in arrays) and np.isfinite(o.costs).all()
    )


def compare(
    outcome: Outcome | None,
    reference: Outcome | None,
    dtype: str,
    *,
    comparable: bool = True,
    is_reference: bool = False,
) -> Check:
    """Compare ``outcome`` with ``reference`` at the tolerance of ``dtype``.

    Examples
    --------
    >>> o = Outcome({"W1": np.ones((1, 1))}, np.array([0.5]))
    >>> compare(o, o, "float64").verdict
    'ok'
    >>> bad = Outcome({"W1": np.full((1, 1), 2.0)}, np.array([0.5]))
    >>> compare(bad, o, "float64").verdict
    'DIVERGES'
    """
    if outcome is None:
        return Check("-")
    if not _finite(outcome):
        return Check("NaN")
    if is_reference:
        return Check("ref", 0.0, 0.0)
    if reference is None or set(outcome.params) != set(reference.params):
        return Check("-")
    p_err = _param_err(outcome.params, reference.params)
    c_err = _cost_err(np.asarray(outcome.costs), np.asarray(reference.costs))
    if not comparable:
        return Check("n/c", p_err, c_err)
    tol = TOLERANCE[dtype]
    # A row that records no costs (the lean loop) is checked on its parameters.
    no_costs = np.asarray(outcome.costs).size == 0
    bad = p_err > tol or (c_err is None and not no_costs) or (c_err or 0.0) > tol
    return Check("DIVERGES" if bad else "ok", p_err, c_err)
