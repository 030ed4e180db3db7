"""The knowledge graph: one schema, two stores (embedded Ladybug and Neo4j), importers."""

from medkg.kg.schema import NODE_LABELS, REL_TYPES, NodeLabel, RelType
from medkg.kg.store import GraphStore, open_store

__all__ = ["NODE_LABELS", "REL_TYPES", "GraphStore", "NodeLabel", "RelType", "open_store"]
