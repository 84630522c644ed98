"""The ``jobscam`` command: thin wrappers that parse, call the package, and print.

Exit codes are a contract: 0 ok / nothing flagged at or above --fail-on, 1 something flagged,
2 usage or input error (including a file that cannot be read at all), 3 internal failure
(one line on stderr; the traceback only with --debug), 130 interrupted (Ctrl-C).

Owns
    ``base``      exit codes, one-line errors, ``--debug``, Ctrl-C handling, the group;
    ``ads``       ``score`` and ``scan``;
    ``services``  ``serve`` and ``app``;
    ``lab``       ``train`` and ``evaluate``.

May import every other package; imports the heavy ones inside each command, so that
``jobscam --help`` stays fast.
"""

from . import ads, lab, services  # noqa: F401  (each registers its commands on ``main``)
from .base import EXIT_FLAGGED, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, main

__all__ = ["EXIT_FLAGGED", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "main"]
