"""A digest of a whole graph's content, to tell whether two stores hold the same graph.

Why: "re-running an import or ingest changes nothing" and "an interrupted run,
re-run, ends where a clean run ends" are claims about content, not counts; the
fault benchmark and the hostile-input tests compare these digests. Every node
with all its properties and every relationship with its endpoints and properties
go in, sorted, so the order things were written in does not matter. The
timestamps that record *when* a fact was written (``ingested_at``,
``updated_at``) are left out by default: two runs that write the same facts at
different times hold the same graph.
"""

from __future__ import annotations

import hashlib
import json

from medkg.kg.schema import NODE_LABELS, REL_TYPES
from medkg.kg.store.base import GraphStore
from medkg.kg.store.values import plain

#: Properties that say when something was written, not what.
WRITE_TIMES = frozenset({"ingested_at", "updated_at"})


def store_fingerprint(store: GraphStore, ignore: frozenset[str] = WRITE_TIMES) -> str:
    """SHA-256 over every node and relationship of ``store`` (see the module docstring)."""
    lines: list[str] = []

    def keep(value: dict) -> dict:  # type: ignore[type-arg]
        return {k: v for k, v in plain(value).items() if not k.startswith("_") and k not in ignore}

    for label in NODE_LABELS:
        for (node,) in store._read_rows(f"MATCH (n:{label}) RETURN n"):
            lines.append(json.dumps([label, keep(node)], sort_keys=True, default=str))
    for rel in REL_TYPES:
        for a, b, r in store._read_rows(f"MATCH (a)-[r:{rel}]->(b) RETURN a.id, b.id, r"):
            lines.append(json.dumps([rel, a, b, keep(r)], sort_keys=True, default=str))
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()
