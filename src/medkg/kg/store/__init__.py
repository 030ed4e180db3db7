"""Graph stores behind one interface; :func:`open_store` picks one from settings."""

from __future__ import annotations

from medkg.kg.store.base import (
    GraphPath,
    GraphStore,
    ImportCount,
    Neighbour,
    NodeRef,
    QueryError,
    QueryResult,
    ReadOnlyViolation,
    StoreBusy,
    StoreError,
    StoreUnavailable,
)
from medkg.settings import Settings, get_settings


def open_store(settings: Settings | None = None) -> GraphStore:
    """Open the configured store: Neo4j when NEO4J_URI is set (or asked for), else embedded."""
    settings = settings or get_settings()
    if settings.resolved_backend == "neo4j":
        from medkg.kg.store.neo4j_store import Neo4jStore

        return Neo4jStore(settings)
    from medkg.kg.store.embedded import EmbeddedStore

    return EmbeddedStore(settings.graph_dir / "medkg.lbug", settings)


__all__ = [
    "GraphPath",
    "GraphStore",
    "ImportCount",
    "Neighbour",
    "NodeRef",
    "QueryError",
    "QueryResult",
    "ReadOnlyViolation",
    "StoreBusy",
    "StoreError",
    "StoreUnavailable",
    "open_store",
]
