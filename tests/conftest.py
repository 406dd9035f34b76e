"""Hypothesis profiles: ``dev`` (default) and ``ci`` (derandomized).

``deadline=None`` because the first call of a Numba kernel compiles it.
Select with ``HYPOTHESIS_PROFILE``; ``ci`` is the default when ``CI`` is set.
"""

from __future__ import annotations

import os

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
