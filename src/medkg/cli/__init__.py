"""The ``medkg`` command line; see :mod:`medkg.cli.main` for the shared helpers.

Subcommand groups live in their own modules and register themselves on ``app``
when imported here.
"""

from medkg.cli import recommend as _recommend  # noqa: F401  (registers rankings, import trials)
from medkg.cli import train as _train  # noqa: F401  (registers `medkg train ...`)
from medkg.cli.main import app, main, parse_params

__all__ = ["app", "main", "parse_params"]
