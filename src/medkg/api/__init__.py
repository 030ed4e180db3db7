"""The HTTP service (FastAPI): exploration, read-only Cypher and health checks."""

from medkg.api.app import create_app

__all__ = ["create_app"]
