"""The production store: Neo4j 5 through the official ``neo4j`` driver over Bolt.

Every node also carries the label ``Entity`` so that a lookup by ``id`` alone
uses one uniqueness constraint instead of scanning every label (Hetionet's own
Neo4j image does the same with ``Hetionet``). Writes are ``UNWIND ... MERGE`` in
batches inside managed write transactions, so a re-run changes nothing and an
interrupted import resumes where it stopped. Researchers' Cypher runs in a read
transaction (``READ_ACCESS``) with a server-side timeout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from medkg.kg.schema import NODE_LABELS, REL_TYPES, check_label, check_rel, check_rel_type
from medkg.kg.store.base import (
    Direction,
    GraphPath,
    GraphStore,
    ImportCount,
    Neighbour,
    NodeRef,
    QueryError,
    QueryResult,
    StoreError,
    batched,
    check_hops,
    node_row,
)
from medkg.kg.store.cypher_guard import GuardLimits, check_params, check_read_only
from medkg.kg.store.values import plain
from medkg.settings import Settings


def _labels(label: str) -> str:
    """Every entity also carries ``Entity`` (one uniqueness constraint on ids across
    labels); documents do not, since their ids are the caller's own and may equal an
    entity's (a note "1", the gene "1"): they have their own constraint."""
    return label if label == "Document" else f"Entity:{label}"


class Neo4jStore(GraphStore):
    """A :class:`GraphStore` on a Neo4j 5 server."""

    backend = "neo4j"

    def __init__(self, settings: Settings) -> None:
        import neo4j
        from neo4j import exceptions as nex

        self._neo4j = neo4j
        self._nex = nex
        self.settings = settings
        if not settings.neo4j_uri:
            raise StoreError("NEO4J_URI is not set")
        try:
            self._driver = neo4j.GraphDatabase.driver(
                settings.neo4j_uri, auth=(settings.neo4j_user, settings.neo4j_password)
            )
            self._driver.verify_connectivity()
        except (nex.ServiceUnavailable, nex.AuthError, ValueError, OSError) as exc:
            raise StoreError(f"cannot reach Neo4j at {settings.neo4j_uri}: {exc}") from exc
        self.ensure_schema()

    def close(self) -> None:
        self._driver.close()

    def _session(self, read: bool = False):  # type: ignore[no-untyped-def]
        mode = self._neo4j.READ_ACCESS if read else self._neo4j.WRITE_ACCESS
        return self._driver.session(database=self.settings.neo4j_database, default_access_mode=mode)

    def _run(self, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        def work(tx):  # type: ignore[no-untyped-def]
            return [list(r.values()) for r in tx.run(cypher, params or {})]

        try:
            with self._session() as s:
                return s.execute_write(work)
        except self._nex.Neo4jError as exc:
            raise QueryError(exc.message or str(exc)) from exc

    def _read(self, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        def work(tx):  # type: ignore[no-untyped-def]
            return [list(r.values()) for r in tx.run(cypher, params or {})]

        try:
            with self._session(read=True) as s:
                return s.execute_read(work)
        except self._nex.Neo4jError as exc:
            raise QueryError(exc.message or str(exc)) from exc

    _read_rows = _read
    id_chunk = 10_000

    def ensure_schema(self) -> None:
        stmts = [
            "CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX entity_name IF NOT EXISTS FOR (n:Entity) ON (n.name)",
        ]
        for label in NODE_LABELS:
            stmts.append(
                f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS "
                f"FOR (n:{label}) REQUIRE n.id IS UNIQUE"
            )
        for stmt in stmts:
            self._run(stmt)

    # -- Cypher --------------------------------------------------------------------
    def query(
        self,
        cypher: str,
        params: dict[str, Any] | None = None,
        *,
        timeout_s: float | None = None,
        row_cap: int | None = None,
    ) -> QueryResult:
        check_read_only(cypher, GuardLimits.from_settings(self.settings))
        check_params(params, self.settings.max_query_depth)
        cap = row_cap or self.settings.query_row_cap
        q = self._neo4j.Query(cypher, timeout=timeout_s or self.settings.query_timeout_s)

        def work(tx):  # type: ignore[no-untyped-def]
            result = tx.run(q, params or {})
            columns = list(result.keys())
            rows = []
            for record in result:
                rows.append([plain(v) for v in record.values()])
                if len(rows) > cap:
                    break
            return columns, rows

        try:
            with self._session(read=True) as s:
                columns, rows = s.execute_read(work)
        except self._nex.Neo4jError as exc:
            raise QueryError(exc.message or str(exc)) from exc
        return QueryResult(columns, rows[:cap], len(rows) > cap)

    def write(self, cypher: str, params: dict[str, Any] | None = None) -> QueryResult:
        rows = self._run(cypher, params)
        return QueryResult([], [[plain(v) for v in r] for r in rows])

    def write_transaction(self, statements: Sequence[tuple[str, dict[str, Any]]]) -> None:
        def work(tx):  # type: ignore[no-untyped-def]
            for cypher, params in statements:
                tx.run(cypher, params).consume()

        try:
            with self._session() as s:
                s.execute_write(work)
        except self._nex.Neo4jError as exc:
            raise QueryError(exc.message or str(exc)) from exc

    # -- bulk writes ---------------------------------------------------------------
    def import_nodes(self, label: str, rows: Sequence[dict[str, Any]]) -> ImportCount:
        check_label(label)
        clean = {}
        for row in rows:
            r = node_row(row, label)
            clean[r["id"]] = r
        count = ImportCount()
        for chunk in batched(list(clean.values()), self.settings.import_batch_size):
            created, updated = self._run(
                f"UNWIND $rows AS row "
                f"OPTIONAL MATCH (old:{label} {{id: row.id}}) "
                f"WITH row, old, old IS NULL AS is_new, "
                f"  (old IS NOT NULL AND any(k IN keys(row) WHERE old[k] <> row[k] "
                f"     OR old[k] IS NULL)) AS is_changed "
                f"MERGE (n:{_labels(label)} {{id: row.id}}) SET n += row "
                f"RETURN sum(CASE WHEN is_new THEN 1 ELSE 0 END), "
                f"       sum(CASE WHEN is_changed THEN 1 ELSE 0 END)",
                {"rows": list(chunk)},
            )[0]
            count.created += created
            count.updated += updated
            count.unchanged += len(chunk) - created - updated
        return count

    def import_edges(
        self,
        rel_type: str,
        start_label: str,
        end_label: str,
        rows: Sequence[dict[str, Any]],
    ) -> ImportCount:
        check_rel(rel_type, start_label, end_label)
        unique = {(str(r["start"]), str(r["end"])): r for r in rows}
        count = ImportCount()
        if not unique:
            return count
        for label, ids in (
            (start_label, {s for s, _ in unique}),
            (end_label, {e for _, e in unique}),
        ):
            missing = ids - self.existing_ids(label, ids)
            if missing:
                raise StoreError(
                    f"{len(missing)} edge endpoint(s) are not {label} nodes in the store "
                    f"(e.g. {', '.join(sorted(missing)[:5])}); import the nodes first"
                )
        payload = [
            {"s": s, "e": e, "p": {k: v for k, v in r.items() if k not in ("start", "end")}}
            for (s, e), r in unique.items()
        ]
        for chunk in batched(payload, self.settings.import_batch_size):
            (created,) = self._run(
                f"UNWIND $rows AS row "
                f"MATCH (a:{start_label} {{id: row.s}}) MATCH (b:{end_label} {{id: row.e}}) "
                f"OPTIONAL MATCH (a)-[old:{rel_type}]->(b) "
                f"WITH a, b, row, old IS NULL AS is_new "
                f"MERGE (a)-[r:{rel_type}]->(b) ON CREATE SET r += row.p "
                f"RETURN sum(CASE WHEN is_new THEN 1 ELSE 0 END)",
                {"rows": list(chunk)},
            )[0]
            count.created += created
            count.unchanged += len(chunk) - created
        return count

    def delete_edges(self, rel_type: str, where_source: str) -> int:
        check_rel_type(rel_type)
        (n,) = self._run(
            f"MATCH ()-[r:{rel_type}]->() WHERE r.source = $s DELETE r RETURN count(*)",
            {"s": where_source},
        )[0]
        return int(n)

    # -- exploration ---------------------------------------------------------------
    def _anchor(self, node_id: str, label: str | None) -> str:
        """``(n:Label)`` when given; ``(n:Entity)`` for entities; ``(n:Document)`` for an id
        no entity holds (documents are not entities: their ids are the caller's own)."""
        if label:
            return f"(n:{check_label(label).name} {{id: $id}})"
        if self._read("MATCH (n:Entity {id: $id}) RETURN 1 LIMIT 1", {"id": node_id}):
            return "(n:Entity {id: $id})"
        return "(n:Document {id: $id})"

    def get_node(self, node_id: str, label: str | None = None) -> dict[str, Any] | None:
        rows = self._read(f"MATCH {self._anchor(node_id, label)} RETURN n", {"id": node_id})
        if not rows:
            return None
        node = plain(rows[0][0])
        labels = node.pop("_labels")
        return {"label": labels[0] if labels else None, **node}

    def neighbours(
        self,
        node_id: str,
        rel_type: str | None = None,
        direction: Direction = "both",
        limit: int = 50,
        properties: bool = True,
        label: str | None = None,
    ) -> list[Neighbour]:
        if rel_type:
            check_rel_type(rel_type)
        rel = f"r:{rel_type}" if rel_type else "r"
        pattern = {"out": f"-[{rel}]->", "in": f"<-[{rel}]-", "both": f"-[{rel}]-"}[direction]
        rows = self._read(
            f"MATCH {self._anchor(node_id, label)}{pattern}(m) "
            "RETURN type(r), startNode(r) = n, m.id, "
            "[l IN labels(m) WHERE l <> 'Entity'][0], m.name, "
            + ("r " if properties else "null ")
            + "ORDER BY type(r), m.name, m.id LIMIT $limit",
            {"id": node_id, "limit": limit},
        )
        out = []
        for rtype, outgoing, mid, mlabel, mname, r in rows:
            props = plain(r) if properties and r is not None else {}
            props.pop("_type", None)
            out.append(
                Neighbour(rtype, "out" if outgoing else "in", NodeRef(mid, mlabel, mname), props)
            )
        return out

    def paths(
        self, from_id: str, to_id: str, max_hops: int = 3, limit: int = 10
    ) -> list[GraphPath]:
        hops = check_hops(max_hops, self.settings.max_path_hops)
        rows = self._read(
            "MATCH (a:Entity {id: $a}), (b:Entity {id: $b}) "
            f"MATCH p = allShortestPaths((a)-[*..{hops}]-(b)) "
            "RETURN [n IN nodes(p) | [n.id, [l IN labels(n) WHERE l <> 'Entity'][0], n.name]], "
            "[r IN relationships(p) | type(r)], "
            "[i IN range(0, length(p) - 1) | startNode(relationships(p)[i]) = nodes(p)[i]] "
            "LIMIT $limit",
            {"a": from_id, "b": to_id, "limit": limit},
        )
        return [GraphPath([NodeRef(*n) for n in nodes], rels, fwd) for nodes, rels, fwd in rows]

    def search(self, text: str, label: str | None = None, limit: int = 20) -> list[NodeRef]:
        q = text.strip().lower()
        if not q:
            return []
        target = f"(n:{check_label(label).name})" if label else "(n:Entity)"
        rows = self._read(
            f"MATCH {target} WHERE toLower(n.name) CONTAINS $q "
            "OR any(s IN coalesce(n.synonyms, []) WHERE toLower(s) CONTAINS $q) "
            "WITH n, CASE WHEN toLower(n.name) = $q THEN 0 WHEN toLower(n.name) STARTS WITH $q "
            "THEN 1 WHEN toLower(n.name) CONTAINS $q THEN 2 ELSE 3 END AS rank "
            "WITH n, rank, EXISTS { MATCH (n)-[:SAME_AS]->() } AS tied "
            "RETURN n.id, [l IN labels(n) WHERE l <> 'Entity'][0], n.name "
            "ORDER BY rank, tied, size(n.name), n.id LIMIT $limit",
            {"q": q, "limit": limit},
        )
        return [NodeRef(i, lbl, name) for i, lbl, name in rows]

    def stats(self) -> dict[str, dict[str, int]]:
        nodes = {label: 0 for label in NODE_LABELS}
        for label in NODE_LABELS:
            nodes[label] = int(self._read(f"MATCH (n:{label}) RETURN count(n)")[0][0])
        rels = {rel: 0 for rel in REL_TYPES}
        for rtype, n in self._read("MATCH ()-[r]->() RETURN type(r), count(*)"):
            rels[rtype] = int(n)
        return {"nodes": nodes, "relationships": rels}
