"""Compilation settings shared by every kernel module.

``CACHE`` keeps compiled kernels in ``__pycache__``; ``FNNET_NUMBA_CACHE=0``
turns it off (e.g. for a read-only install). Processes that start at the same
moment may race to write it (numba#4807): warm it once first. Numba checks a
kernel against its own file only, so after editing ``_math.py`` or
``_blas.py`` in a checkout delete ``fnnet/kernels/__pycache__`` (a release is
unaffected).

``FASTMATH`` stays off: fnnet promises NaN and saturation behaviour, and the
reference agreement bounds assume IEEE arithmetic.
"""

from __future__ import annotations

import os

CACHE: bool = os.environ.get("FNNET_NUMBA_CACHE", "1") != "0"
FASTMATH: bool = False
