"""Hypothesis profiles, and a Dask cluster on loopback for the tests that need one.

Profiles: ``dev`` (default) and ``ci`` (derandomized). ``deadline=None``
because the first call of a Numba kernel compiles it. Select with
``HYPOTHESIS_PROFILE``; ``ci`` is the default when ``CI`` is set.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev",
    deadline=None,
    print_blob=True,
    max_examples=50,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("ci", parent=settings.get_profile("dev"), derandomize=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)


@pytest.fixture(scope="session")
def loopback_cluster() -> Callable[[], Any]:
    """Start a Dask cluster of 2 worker processes on 127.0.0.1: a context manager
    that yields its Client and stops everything on exit."""
    distributed = pytest.importorskip("distributed")

    @contextlib.contextmanager
    def start() -> Iterator[Any]:
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client

    return start
