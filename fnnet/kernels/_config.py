"""Compilation settings shared by every kernel module.

``CACHE`` writes compiled kernels to ``__pycache__`` so that only the first
run on a machine pays the compile time. Set ``FNNET_NUMBA_CACHE=0`` to turn
it off (for example on a read-only install). Note numba#4807: processes that
start at the same moment may race to write the cache; warm it once first.

Numba checks a cached kernel against its own source file only. The training
kernel in ``_epochs.py`` inlines the element-wise functions of ``_math.py``,
so after editing ``_math.py`` in a source checkout, delete
``fnnet/kernels/__pycache__`` (or touch ``_epochs.py``); an installed release
is never affected, since installing rewrites every file.

``FASTMATH`` stays off: fnnet promises NaN and saturation behaviour, and the
reference agreement bounds assume IEEE arithmetic.
"""

from __future__ import annotations

import os

CACHE: bool = os.environ.get("FNNET_NUMBA_CACHE", "1") != "0"
FASTMATH: bool = False
