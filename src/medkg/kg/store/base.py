"""The ``GraphStore`` interface that every part of medkg talks to.

Two real backends implement it: :class:`~medkg.kg.store.embedded.EmbeddedStore`
(Ladybug, on disk, no server) and :class:`~medkg.kg.store.neo4j_store.Neo4jStore`
(the official driver over Bolt). Product code calls the typed methods here;
researchers' Cypher goes through :meth:`GraphStore.query`, which is read-only on
both backends.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from medkg.kg.schema import COMMON_NODE_PROPS, REL_TYPES, check_label, check_rel

Direction = Literal["out", "in", "both"]
PathMode = Literal["shortest", "all"]


class StoreError(RuntimeError):
    """A graph-store failure worth showing to a user as one line."""


class QueryError(StoreError):
    """The engine rejected a query (syntax, unknown label, timeout...)."""


class ReadOnlyViolation(QueryError):
    """A query given to the read-only path tries to write or call something unsafe."""


class StoreBusy(StoreError):
    """Another process holds the embedded store's lock."""


class StoreUnavailable(StoreError):
    """The store cannot answer this now but will shortly (workers restarting, busy): retry."""


@dataclass
class QueryResult:
    """Rows of a Cypher read query, with plain JSON-able values."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = False

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass
class NodeRef:
    """The short form of a node used in neighbour lists and paths."""

    id: str
    label: str
    name: str | None


@dataclass
class Neighbour:
    rel_type: str
    direction: Literal["out", "in"]
    node: NodeRef
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class GraphPath:
    """A path as alternating nodes and relationships (``len(rels) == len(nodes) - 1``)."""

    nodes: list[NodeRef]
    rels: list[str]
    #: ``True`` where the i-th relationship points from nodes[i] to nodes[i+1].
    forward: list[bool]

    def __len__(self) -> int:
        return len(self.rels)

    def describe(self) -> str:
        return render_path([n.name or n.id for n in self.nodes], self.rels, self.forward)


def render_path(names: Sequence[str], rels: Sequence[str], forward: Sequence[bool]) -> str:
    """A path in Cypher's arrow notation, e.g. ``(metformin)-[TREATS]->(diabetes)``:
    how every path is shown to a user (CLI, API, evidence)."""
    parts = [f"({names[0]})"]
    for name, rel, fwd in zip(names[1:], rels, forward, strict=True):
        parts.append((f"-[{rel}]->" if fwd else f"<-[{rel}]-") + f"({name})")
    return "".join(parts)


@dataclass
class ImportCount:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: ImportCount) -> ImportCount:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


def node_row(row: dict[str, Any], label: str) -> dict[str, Any]:
    """Keep only the schema's properties of ``label``; check the id is a non-empty string."""
    props = check_label(label).props
    node_id = row.get("id")
    if not isinstance(node_id, str) or not node_id.strip():
        raise StoreError(f"{label} row without an id: {row!r}")
    unknown = set(row) - set(props)
    if unknown:
        raise StoreError(f"{label} row has properties outside the schema: {sorted(unknown)}")
    return {k: row[k] for k in props if k in row}


class GraphStore(abc.ABC):
    """What medkg needs from a graph database."""

    backend: str

    # -- lifecycle -----------------------------------------------------------------
    @abc.abstractmethod
    def ensure_schema(self) -> None:
        """Create tables/constraints/indexes for :mod:`medkg.kg.schema`; safe to repeat."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- Cypher --------------------------------------------------------------------
    @abc.abstractmethod
    def query(
        self,
        cypher: str,
        params: dict[str, Any] | None = None,
        *,
        timeout_s: float | None = None,
        row_cap: int | None = None,
    ) -> QueryResult:
        """Run a **read-only** Cypher query; writes raise :class:`ReadOnlyViolation`."""

    def user_query(
        self,
        cypher: str,
        params: dict[str, Any] | None = None,
        *,
        timeout_s: float | None = None,
        row_cap: int | None = None,
    ) -> QueryResult:
        """A researcher's read query: guarded like :meth:`query` and, where the backend
        can, run apart from this process so that a query which crashes or exhausts the
        engine cannot take the caller down (the embedded store's query workers; Neo4j
        runs it on its server, under the server's timeout and memory limits)."""
        return self.query(cypher, params, timeout_s=timeout_s, row_cap=row_cap)

    @abc.abstractmethod
    def write(self, cypher: str, params: dict[str, Any] | None = None) -> QueryResult:
        """Run a product-internal write query (never exposed to users)."""

    @abc.abstractmethod
    def write_transaction(self, statements: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Run product-internal writes as one transaction: all or nothing."""

    # -- bulk writes ---------------------------------------------------------------
    @abc.abstractmethod
    def import_nodes(self, label: str, rows: Sequence[dict[str, Any]]) -> ImportCount:
        """Create or update nodes by ``id``; re-running with the same rows changes nothing."""

    @abc.abstractmethod
    def import_edges(
        self,
        rel_type: str,
        start_label: str,
        end_label: str,
        rows: Sequence[dict[str, Any]],
    ) -> ImportCount:
        """Create edges ``{start, end, **props}`` that are not there yet (one per pair)."""

    #: Ids per ``IN $ids`` lookup of :meth:`existing_ids`.
    id_chunk = 5_000

    @abc.abstractmethod
    def _read_rows(self, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        """Run product-internal, trusted read Cypher (no read-only guard, no row cap)."""

    def names(self, label: str) -> dict[str, str | None]:
        """``{id: name}`` of every ``label`` node (importers decide what to overwrite)."""
        check_label(label)
        return dict(self._read_rows(f"MATCH (n:{label}) RETURN n.id, n.name"))

    def existing_ids(self, label: str, ids: Iterable[str] | None = None) -> set[str]:
        """Ids of ``label`` nodes in the store (restricted to ``ids`` when given)."""
        check_label(label)
        if ids is None:
            return {r[0] for r in self._read_rows(f"MATCH (n:{label}) RETURN n.id")}
        found: set[str] = set()
        for chunk in batched(list(ids), self.id_chunk):
            found.update(
                r[0]
                for r in self._read_rows(
                    f"MATCH (n:{label}) WHERE n.id IN $ids RETURN n.id", {"ids": list(chunk)}
                )
            )
        return found

    @abc.abstractmethod
    def delete_edges(self, rel_type: str, where_source: str) -> int:
        """Remove edges of a type whose ``source`` property equals ``where_source``."""

    # -- exploration ---------------------------------------------------------------
    @abc.abstractmethod
    def get_node(self, node_id: str, label: str | None = None) -> dict[str, Any] | None:
        """Properties of one node plus ``label``; ``None`` when absent.

        Document ids are the caller's own and may equal an entity's id (a note
        "1" and the gene "1"): without ``label`` the entity wins; ``label``
        ("Document") reaches the other."""

    @abc.abstractmethod
    def neighbours(
        self,
        node_id: str,
        rel_type: str | None = None,
        direction: Direction = "both",
        limit: int = 50,
        properties: bool = True,
        label: str | None = None,
    ) -> list[Neighbour]:
        """Neighbours ordered by type, name, id; ``properties=False`` skips edge properties
        (provenance lists can be large, and the explorer fetches them only on demand);
        ``label`` qualifies the id as in :meth:`get_node`."""

    @abc.abstractmethod
    def paths(
        self, from_id: str, to_id: str, max_hops: int = 3, limit: int = 10
    ) -> list[GraphPath]:
        """Shortest paths (all of the shortest length, up to ``limit``) ignoring direction."""

    @abc.abstractmethod
    def search(self, text: str, label: str | None = None, limit: int = 20) -> list[NodeRef]:
        """Nodes whose name or synonym starts with / contains ``text`` (case-insensitive)."""

    @abc.abstractmethod
    def stats(self) -> dict[str, dict[str, int]]:
        """``{"nodes": {label: count}, "relationships": {type: count}}`` (zeros included)."""

    # -- shared helpers ------------------------------------------------------------
    @staticmethod
    def _check_edge_args(rel_type: str, start_label: str, end_label: str) -> None:
        check_rel(rel_type, start_label, end_label)

    @staticmethod
    def node_props() -> list[str]:
        return list(COMMON_NODE_PROPS)

    @staticmethod
    def rel_types() -> list[str]:
        return list(REL_TYPES)


def check_hops(max_hops: int, limit: int) -> int:
    """Path searches are bounded: hub genes make unbounded ones explode."""
    if not 1 <= int(max_hops) <= limit:
        raise StoreError(f"max_hops must be between 1 and {limit}, got {max_hops}")
    return int(max_hops)


def batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
