"""The embedded default store: LadybugDB (the maintained fork of Kuzu), on disk, no server.

Why Ladybug: it is the only candidate that installs here and speaks Cypher on disk
(FalkorDB-lite needs Python 3.12; Cypher over networkx is in-memory and slow on a
766k-edge graph). See ``docs/decisions/0001-embedded-graph-store.md``.

Ladybug needs declared tables, so :meth:`EmbeddedStore.ensure_schema` generates the
DDL from :mod:`medkg.kg.schema`. Bulk imports go through ``COPY FROM`` on temporary
CSV files (the engine's fast path), after diffing against what is stored so that a
re-run adds nothing: every ``COPY`` is one transaction, so an interrupted import
leaves whole tables or nothing and the next run completes it.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import ladybug as lb

from medkg.kg.schema import (
    NODE_LABELS,
    REL_TYPES,
    PropType,
    check_label,
    check_rel,
    check_rel_type,
)
from medkg.kg.store.base import (
    Direction,
    GraphPath,
    GraphStore,
    ImportCount,
    Neighbour,
    NodeRef,
    QueryError,
    QueryResult,
    StoreBusy,
    StoreError,
    batched,
    check_hops,
    node_row,
)
from medkg.kg.store.cypher_dialect import return_columns, to_ladybug_dialect
from medkg.kg.store.cypher_guard import GuardLimits, check_params, check_read_only
from medkg.kg.store.ladybug_reads import clean_error, read_only_rows, timeout_message
from medkg.kg.store.name_index import NameIndex
from medkg.kg.store.values import plain
from medkg.settings import Settings

_MERGE_BATCH = 2_000


_LIST_UNSAFE = re.compile(r'[,\[\]{}"\\\t\n\r]')


def _csv_list_ok(value: Any) -> bool:
    """Can this list travel inside COPY's CSV as ``[a,b]``? Only when no item holds
    a character of the list syntax or padding the parser would trim; the others
    are set after the COPY (``_set_node_props``/``_set_edge_props``)."""
    return isinstance(value, list) and all(
        isinstance(v, str) and v and v == v.strip() and not _LIST_UNSAFE.search(v) for v in value
    )


def _csv_value(value: Any, ptype: PropType) -> str:
    if value is None:
        return ""
    if ptype == "BOOLEAN":
        return "true" if value else "false"
    if ptype == "STRING[]":
        return "[" + ",".join(value) + "]" if _csv_list_ok(value) else ""
    return str(value)


def _lists_left(row: dict[str, Any], props: dict[str, PropType]) -> bool:
    """Does ``row`` carry a list that COPY could not write (see ``_csv_list_ok``)?"""
    return any(props.get(k) == "STRING[]" and v and not _csv_list_ok(v) for k, v in row.items())


@functools.lru_cache(maxsize=2048)
def _prepared(cypher: str, limits: GuardLimits) -> tuple[str, tuple[str, ...]]:
    """The guarded query in the engine's dialect and its Neo4j-style column names.

    Cached per text: the product's own queries are a few hundred constant strings
    run with different parameters (a treatment ranking runs five), and checking
    and rewriting them each time cost a quarter of a ranking's time. A refused
    query raises and is not cached.
    """
    check_read_only(cypher, limits)
    return to_ladybug_dialect(cypher), tuple(return_columns(cypher) or ())


def _columns(cypher: str, engine_columns: list[str], limits: GuardLimits) -> list[str]:
    """The column names Neo4j would report, when they can be read off the query."""
    columns = list(_prepared(cypher, limits)[1])
    return columns if len(columns) == len(engine_columns) else engine_columns


class EmbeddedStore(GraphStore):
    """A :class:`GraphStore` on a Ladybug database file."""

    backend = "embedded"

    def __init__(self, path: Path, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = lb.Database(
                str(self.path),
                max_num_threads=self.settings.embedded_threads,
                buffer_pool_size=self.settings.embedded_buffer_pool_mb * 1024 * 1024,
            )
        except RuntimeError as exc:
            if "lock" in str(exc).lower():
                raise StoreBusy(
                    f"the embedded graph at {self.path} is in use by another process "
                    "(stop `medkg serve` or the other command, then retry)"
                ) from exc
            raise StoreError(f"cannot open the embedded graph at {self.path}: {exc}") from exc
        self._remove_stale_import_files()
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._index: NameIndex | None = None
        self._index_lock = threading.RLock()
        #: Bumped after every write (``_writing``): response caches above the store
        #: and the query workers (which reopen the graph) key on it.
        self.generation = 0
        self._pool: Any = None
        self._limits = GuardLimits.from_settings(self.settings)
        self.ensure_schema()

    # -- the in-memory name/id index (see name_index.py for why) ------------------------
    def name_index(self) -> NameIndex:
        index = self._index
        if index is None:
            with self._index_lock:
                if self._index is None:
                    rows = []
                    for label in NODE_LABELS:
                        if label == "Document":  # no names; looked up by scan when asked
                            continue
                        rows += [
                            (i, label, n, syn)
                            for i, n, syn in self._run(
                                f"MATCH (n:{label}) RETURN n.id, n.name, n.synonyms"
                            )
                        ]
                    tied = self._run("MATCH (a)-[:SAME_AS]->() RETURN DISTINCT a.id")
                    self._index = NameIndex(rows, demoted=(r[0] for r in tied))
                index = self._index
        return index

    @contextlib.contextmanager
    def _writing(self, names: bool = False) -> Iterator[None]:
        """Hold the write lock; when the write is over (committed or not), bump
        ``generation`` and, when node names or ``SAME_AS`` ties may have changed
        (``names``), drop the name index. After the write, not before: a reader in
        between would otherwise keep the old graph under the new generation."""
        with self._write_lock:
            try:
                yield
            finally:
                if names:
                    self._index = None
                self.generation += 1

    # -- temporary import files ----------------------------------------------------
    @property
    def _import_prefix(self) -> str:
        return f".medkg-import-{self.path.name}-"

    def _import_dir(self) -> tempfile.TemporaryDirectory[str]:
        """A folder for ``COPY``'s CSV files, beside the graph (same disk)."""
        return tempfile.TemporaryDirectory(dir=self.path.parent, prefix=self._import_prefix)

    def _remove_stale_import_files(self) -> None:
        """Remove CSV folders an import killed mid-``COPY`` left behind. Safe here:
        this process holds the graph's write lock, so no other import is running."""
        for stale in self.path.parent.glob(self._import_prefix + "*"):
            shutil.rmtree(stale, ignore_errors=True)

    # -- lifecycle -----------------------------------------------------------------
    def _conn(self) -> lb.Connection:
        """One connection per thread: Ladybug connections are not shared safely."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = lb.Connection(self._db)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        self.stop_query_workers()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        self._db.close()

    def _run(self, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        try:
            result = self._conn().execute(cypher, params or {})
        except RuntimeError as exc:
            raise QueryError(clean_error(exc)) from exc
        return result.get_all()

    _read_rows = _run

    def ensure_schema(self) -> None:
        with self._writing():
            tables = {row[1]: row[2] for row in self._run("CALL show_tables() RETURN *")}
            for label in NODE_LABELS.values():
                if label.name not in tables:
                    cols = ", ".join(
                        f"{p} {t}" + (" PRIMARY KEY" if p == "id" else "")
                        for p, t in label.props.items()
                    )
                    self._run(f"CREATE NODE TABLE {label.name}({cols})")
                else:
                    self._add_missing_columns(label.name, label.props)
            for rel in REL_TYPES.values():
                if rel.name not in tables:
                    pairs = ", ".join(f"FROM {a} TO {b}" for a, b in rel.pairs)
                    cols = ", ".join(f"{p} {t}" for p, t in rel.props.items())
                    self._run(f"CREATE REL TABLE {rel.name}({pairs}, {cols})")
                else:
                    self._add_missing_columns(rel.name, rel.props)

    def _add_missing_columns(self, table: str, props: dict[str, PropType]) -> None:
        have = {row[1] for row in self._run(f"CALL table_info('{table}') RETURN *")}
        for prop, ptype in props.items():
            if prop not in have:
                self._run(f"ALTER TABLE {table} ADD {prop} {ptype}")

    # -- Cypher --------------------------------------------------------------------
    def query(
        self,
        cypher: str,
        params: dict[str, Any] | None = None,
        *,
        timeout_s: float | None = None,
        row_cap: int | None = None,
    ) -> QueryResult:
        text = self._guarded(cypher, params)
        cap = row_cap or self.settings.query_row_cap
        timeout = timeout_s or self.settings.query_timeout_s
        try:
            engine_columns, rows = read_only_rows(
                self._conn(), text, params, timeout_ms=int(timeout * 1000), cap=cap
            )
        except RuntimeError as exc:
            raise QueryError(timeout_message(clean_error(exc), timeout)) from exc
        truncated = len(rows) > cap
        return QueryResult(_columns(cypher, engine_columns, self._limits), rows[:cap], truncated)

    def _guarded(self, cypher: str, params: dict[str, Any] | None) -> str:
        """The query in the engine's dialect, once the guard has passed it."""
        check_params(params, self.settings.max_query_depth)
        return _prepared(cypher, self._limits)[0]

    # -- researchers' queries in worker processes ----------------------------------
    def start_query_workers(self, size: int | None = None) -> None:
        """Run :meth:`user_query` in ``size`` worker processes from now on (the API
        does this at start-up; docs/decisions/0013)."""
        size = self.settings.query_workers if size is None else size
        if size <= 0 or self._pool is not None:
            return
        from medkg.kg.store.query_pool import QueryWorkerPool

        self._pool = QueryWorkerPool(
            self.path, size, memory_mb=self.settings.query_memory_mb,
            buffer_mb=self.settings.query_worker_buffer_mb,
            threads=self.settings.embedded_threads,
        )  # fmt: skip

    def stop_query_workers(self) -> None:
        """Back to running :meth:`user_query` in this process; the workers are stopped."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    @property
    def query_workers(self) -> Any:
        """The worker pool, or None while queries run in this process."""
        return self._pool

    def user_query(
        self,
        cypher: str,
        params: dict[str, Any] | None = None,
        *,
        timeout_s: float | None = None,
        row_cap: int | None = None,
    ) -> QueryResult:
        if self._pool is None:
            return self.query(cypher, params, timeout_s=timeout_s, row_cap=row_cap)
        text = self._guarded(cypher, params)
        result = self._pool.query(
            text, params, version=self.generation,
            timeout_s=timeout_s or self.settings.query_timeout_s,
            row_cap=row_cap or self.settings.query_row_cap,
        )  # fmt: skip
        result.columns = _columns(cypher, result.columns, self._limits)
        return result

    def write(self, cypher: str, params: dict[str, Any] | None = None) -> QueryResult:
        with self._writing(names=True):
            try:
                result = self._conn().execute(cypher, params or {})
            except RuntimeError as exc:
                raise QueryError(clean_error(exc)) from exc
            rows = [[plain(v) for v in row] for row in result.get_all()]
            return QueryResult(list(result.get_column_names()), rows)

    def write_transaction(self, statements: Sequence[tuple[str, dict[str, Any]]]) -> None:
        with self._writing(names=True):
            conn = self._conn()
            conn.execute("BEGIN TRANSACTION")
            try:
                for cypher, params in statements:
                    conn.execute(cypher, params)
            except RuntimeError as exc:
                with contextlib.suppress(RuntimeError):
                    conn.execute("ROLLBACK")
                raise QueryError(clean_error(exc)) from exc
            conn.execute("COMMIT")

    # -- bulk writes ---------------------------------------------------------------
    def _stored_nodes(self, label: str, props: list[str]) -> dict[str, dict[str, Any]]:
        ret = ", ".join(f"n.{p}" for p in props)
        return {
            row[0]: dict(zip(props, row, strict=True))
            for row in self._run(f"MATCH (n:{label}) RETURN {ret}")
        }

    def import_nodes(self, label: str, rows: Sequence[dict[str, Any]]) -> ImportCount:
        schema = check_label(label)
        clean = {}
        for row in rows:
            r = node_row(row, label)
            clean[r["id"]] = r  # the last row for an id wins, as MERGE ... SET would
        count = ImportCount()
        if not clean:
            return count
        with self._writing(names=label != "Document"):  # documents have no names
            stored = self._stored_nodes(label, list(schema.props))
            new = [r for i, r in clean.items() if i not in stored]
            changed = [
                r
                for i, r in clean.items()
                if i in stored and any(stored[i].get(k) != v for k, v in r.items())
            ]
            count.unchanged = len(clean) - len(new) - len(changed)
            if new:
                self._copy_nodes(label, new)
                # Lists COPY could not carry are set afterwards.
                self._set_node_props(label, [r for r in new if _lists_left(r, schema.props)])
            self._set_node_props(label, changed)
        count.created, count.updated = len(new), len(changed)
        return count

    def _copy_nodes(self, label: str, rows: list[dict[str, Any]]) -> None:
        props = check_label(label).props
        with self._import_dir() as tmp:
            path = Path(tmp) / f"{label}.csv"
            with path.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
                writer.writerow(list(props))
                for r in rows:
                    writer.writerow([_csv_value(r.get(p), t) for p, t in props.items()])
            self._copy(label, path)

    def _copy(self, table: str, path: Path, extra: str = "") -> None:
        opts = f"header=true, delim='\\t', quote='\"', escape='\"'{extra}"
        self._run(f"COPY {table} FROM '{path.as_posix()}' ({opts})")

    def _set_node_props(self, label: str, rows: list[dict[str, Any]]) -> None:
        """Set the given properties of nodes that exist (just copied, or changed):
        ``MATCH`` by key, in batches grouped by which properties a row carries
        (several times faster than ``MERGE`` in this engine)."""
        by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for r in rows:
            by_keys.setdefault(tuple(sorted(r)), []).append(r)
        for keys, group in by_keys.items():
            sets = ", ".join(f"n.{k} = r.{k}" for k in keys if k != "id")
            if not sets:
                continue
            for chunk in batched(group, _MERGE_BATCH):
                self._run(
                    f"UNWIND $rows AS r MATCH (n:{label} {{id: r.id}}) SET {sets}",
                    {"rows": list(chunk)},
                )

    def import_edges(
        self,
        rel_type: str,
        start_label: str,
        end_label: str,
        rows: Sequence[dict[str, Any]],
    ) -> ImportCount:
        rel = check_rel(rel_type, start_label, end_label)
        unique: dict[tuple[str, str], dict[str, Any]] = {}
        for row in rows:
            unknown = set(row) - {"start", "end"} - set(rel.props)
            if unknown:
                raise StoreError(f"{rel_type} row has properties outside the schema: {unknown}")
            unique[(str(row["start"]), str(row["end"]))] = row
        count = ImportCount()
        if not unique:
            return count
        # search ranks SAME_AS-tied nodes after the node they name; other edges change
        # neighbour lists only
        with self._writing(names=rel_type == "SAME_AS"):
            self._check_endpoints(start_label, end_label, unique)
            stored = {
                (r[0], r[1])
                for r in self._run(
                    f"MATCH (a:{start_label})-[:{rel_type}]->(b:{end_label}) RETURN a.id, b.id"
                )
            }
            new = [row for key, row in unique.items() if key not in stored]
            count.unchanged = len(unique) - len(new)
            if new:
                with self._import_dir() as tmp:
                    path = Path(tmp) / f"{rel_type}.csv"
                    with path.open("w", newline="", encoding="utf-8") as fh:
                        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
                        writer.writerow(["from", "to", *rel.props])
                        for r in new:
                            writer.writerow(
                                [r["start"], r["end"]]
                                + [_csv_value(r.get(p), t) for p, t in rel.props.items()]
                            )
                    self._copy(rel_type, path, f", from='{start_label}', to='{end_label}'")
                left = [r for r in new if _lists_left(r, rel.props)]
                self._set_edge_props(rel_type, start_label, end_label, left)
            count.created = len(new)
        return count

    def _set_edge_props(
        self, rel_type: str, start_label: str, end_label: str, rows: list[dict[str, Any]]
    ) -> None:
        """Set list properties (which CSV cannot carry) on just-copied edges, in
        batches grouped by which properties a row carries."""
        by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for r in rows:
            keys = tuple(sorted(k for k in r if k not in ("start", "end")))
            by_keys.setdefault(keys, []).append(r)
        for keys, group in by_keys.items():
            sets = ", ".join(f"e.{k} = r.{k}" for k in keys)
            for chunk in batched(group, _MERGE_BATCH):
                # ``end`` is a Cypher keyword: the endpoints travel as src/dst.
                params = [
                    {"src": r["start"], "dst": r["end"], **{k: r[k] for k in keys}} for r in chunk
                ]
                self._run(
                    f"UNWIND $rows AS r MATCH (a:{start_label} {{id: r.src}})-[e:{rel_type}]->"
                    f"(b:{end_label} {{id: r.dst}}) SET {sets}",
                    {"rows": params},
                )

    def _check_endpoints(
        self, start_label: str, end_label: str, pairs: dict[tuple[str, str], Any]
    ) -> None:
        for label, ids in (
            (start_label, {s for s, _ in pairs}),
            (end_label, {e for _, e in pairs}),
        ):
            missing = ids - self.existing_ids(label, ids)
            if missing:
                sample = ", ".join(sorted(missing)[:5])
                raise StoreError(
                    f"{len(missing)} edge endpoint(s) are not {label} nodes in the store "
                    f"(e.g. {sample}); import the nodes first"
                )

    def delete_edges(self, rel_type: str, where_source: str) -> int:
        check_rel_type(rel_type)
        with self._writing():
            n = self._run(
                f"MATCH ()-[r:{rel_type}]->() WHERE r.source = $s RETURN count(*)",
                {"s": where_source},
            )[0][0]
            if n:
                self._run(
                    f"MATCH ()-[r:{rel_type}]->() WHERE r.source = $s DELETE r", {"s": where_source}
                )
        return int(n)

    # -- exploration ---------------------------------------------------------------
    def _anchor(self, node_id: str, label: str | None = None) -> str:
        """``(n:Label)`` when given or when the index knows the id (a key lookup), else
        ``(n)`` (a scan: documents, whose ids the index does not hold)."""
        label = check_label(label).name if label else self.name_index().labels.get(node_id)
        return f"(n:{label})" if label else "(n)"

    def get_node(self, node_id: str, label: str | None = None) -> dict[str, Any] | None:
        rows = self._run(
            f"MATCH {self._anchor(node_id, label)} WHERE n.id = $id RETURN n LIMIT 1",
            {"id": node_id},
        )
        if not rows:
            return None
        node = plain(rows[0][0])
        label = node.pop("_labels")[0]
        return {"label": label, **node}

    def neighbours(
        self,
        node_id: str,
        rel_type: str | None = None,
        direction: Direction = "both",
        limit: int = 50,
        properties: bool = True,
        label: str | None = None,
    ) -> list[Neighbour]:
        rel = f"r:{check_rel_type(rel_type).name}" if rel_type else "r"
        n = self._anchor(node_id, label)
        patterns = {"out": f"{n}-[{rel}]->(m)", "in": f"{n}<-[{rel}]-(m)"}
        wanted = ["out", "in"] if direction == "both" else [direction]
        found: list[Neighbour] = []
        for d in wanted:
            rows = self._run(
                f"MATCH {patterns[d]} WHERE n.id = $id "
                f"RETURN label(r), m.id, label(m), m.name{', r' if properties else ''} "
                "ORDER BY label(r), m.name, m.id LIMIT $limit",
                {"id": node_id, "limit": limit},
            )
            for row in rows:
                rtype, mid, mlabel, mname = row[:4]
                props = plain(row[4]) if properties else {}
                props.pop("_type", None)
                found.append(Neighbour(rtype, d, NodeRef(mid, mlabel, mname), props))  # type: ignore[arg-type]
        found.sort(key=lambda nb: (nb.rel_type, nb.node.name or "", nb.node.id))
        return found[:limit]

    def paths(
        self, from_id: str, to_id: str, max_hops: int = 3, limit: int = 10
    ) -> list[GraphPath]:
        hops = check_hops(max_hops, self.settings.max_path_hops)
        rows = self._run(
            f"MATCH p = (a)-[* ALL SHORTEST 1..{hops}]-(b) WHERE a.id = $a AND b.id = $b "
            "RETURN p LIMIT $limit",
            {"a": from_id, "b": to_id, "limit": limit},
        )
        out = []
        for (p,) in rows:
            nodes, rels = p["_NODES"], p["_RELS"]
            refs = [NodeRef(n["id"], n["_LABEL"], n.get("name")) for n in nodes]
            forward = [r["_SRC"] == nodes[i]["_ID"] for i, r in enumerate(rels)]
            out.append(GraphPath(refs, [r["_LABEL"] for r in rels], forward))
        return out

    def search(self, text: str, label: str | None = None, limit: int = 20) -> list[NodeRef]:
        if label:
            check_label(label)
        return [
            NodeRef(e.id, e.label, e.name) for e in self.name_index().search(text, label, limit)
        ]

    def stats(self) -> dict[str, dict[str, int]]:
        nodes = {label: 0 for label in NODE_LABELS}
        nodes.update({lbl: int(n) for lbl, n in self._run("MATCH (n) RETURN label(n), count(*)")})
        rels = {rel: 0 for rel in REL_TYPES}
        rels.update(
            {lbl: int(n) for lbl, n in self._run("MATCH ()-[r]->() RETURN label(r), count(*)")}
        )
        return {"nodes": nodes, "relationships": rels}
