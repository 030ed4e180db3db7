"""Turn engine-specific result values into the same plain JSON on both backends.

A node becomes ``{"_labels": [...], **properties}``, a relationship
``{"_type": ..., **properties}``, a path ``{"nodes": [...], "relationships": [...]}``.
Properties that are ``None`` are dropped, as Neo4j does for unset properties,
so the embedded store's fixed table columns do not leak into results.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any


def _props(d: dict[str, Any]) -> dict[str, Any]:
    return {k: plain(v) for k, v in d.items() if not k.startswith("_") and v is not None}


def plain(value: Any) -> Any:
    """Convert one value from either engine into JSON-able Python."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        if "_NODES" in value and "_RELS" in value:  # Ladybug path / recursive rel
            return {
                "nodes": [plain(n) for n in value["_NODES"]],
                "relationships": [plain(r) for r in value["_RELS"]],
            }
        if "_LABEL" in value and "_SRC" in value:  # Ladybug relationship
            return {"_type": value["_LABEL"], **_props(value)}
        if "_LABEL" in value and "_ID" in value:  # Ladybug node
            return {"_labels": [value["_LABEL"]], **_props(value)}
        if set(value) == {"offset", "table"}:  # Ladybug internal id
            return f"{value['table']}:{value['offset']}"
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    return _plain_neo4j(value)


def _plain_neo4j(value: Any) -> Any:
    try:
        from neo4j import graph as ng
        from neo4j import time as nt
    except ImportError:  # pragma: no cover - neo4j is a core dependency
        return str(value)
    if isinstance(value, ng.Node):
        labels = sorted(lbl for lbl in value.labels if lbl != "Entity")
        return {"_labels": labels, **_props(dict(value.items()))}
    if isinstance(value, ng.Relationship):
        return {"_type": value.type, **_props(dict(value.items()))}
    if isinstance(value, ng.Path):
        return {
            "nodes": [plain(n) for n in value.nodes],
            "relationships": [plain(r) for r in value.relationships],
        }
    if isinstance(value, nt.DateTime | nt.Date | nt.Time):
        return value.iso_format()
    if isinstance(value, nt.Duration):
        return str(value)
    return str(value)
