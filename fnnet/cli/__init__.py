"""The ``fnnet`` command line (see :mod:`fnnet.cli.main` for its usage).

It only parses and prints: ``fnnet train`` is :func:`fnnet.fitting.fit`, the
others use :mod:`fnnet.model`. One module per concern: ``main`` (the parser and
entry point), ``train``, ``use`` (predict, evaluate, info), ``summary``,
``progress`` and ``common``.
"""

from __future__ import annotations

from .common import CliError
from .main import main

__all__ = ["CliError", "main"]
