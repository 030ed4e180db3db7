"""The ``medkg`` command line (:mod:`medkg.cli.app` mounts the command groups)."""

from medkg.cli.app import app, main
from medkg.cli.explore import parse_params

__all__ = ["app", "main", "parse_params"]
