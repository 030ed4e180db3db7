"""Researchers' Cypher in worker processes: crashes, runaways and memory blow-ups
of the real embedded engine stop a worker, never the caller (issue 20)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from medkg.kg.store import QueryError, ReadOnlyViolation, StoreUnavailable
from medkg.kg.store.embedded import EmbeddedStore
from medkg.kg.store.query_pool import QueryWorkerPool
from medkg.settings import Settings

#: Shapes that the guard refuses, sent here straight to the workers to show
#: what would happen to the API process without them (measured: a segfault,
#: binding for many seconds past the timeout).
CRASHING = "RETURN " + "[" * 1000 + "1" + "]" * 1000 + " AS x"
SLOW_BINDING = "RETURN " + "CASE WHEN true THEN " * 24 + "1" + " END" * 24 + " AS x"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    settings = Settings(data_dir=tmp_path, query_memory_mb=1024, query_worker_buffer_mb=128)
    s = EmbeddedStore(tmp_path / "graph" / "g.lbug", settings)
    s.import_nodes("Disease", [{"id": "D1", "name": "influenza"}])
    s.start_query_workers(2)
    yield s
    s.close()


def _count(store: EmbeddedStore) -> int:
    return store.user_query("MATCH (d:Disease) RETURN count(d) AS c").rows[0][0]


def test_workers_answer_and_see_later_writes(store: EmbeddedStore) -> None:
    pids = store.query_workers.pids
    assert len(pids) == 2
    result = store.user_query("MATCH (d:Disease) RETURN d.id, d.name AS name")
    assert result.columns == ["d.id", "name"] and result.rows == [["D1", "influenza"]]
    store.import_nodes("Disease", [{"id": "D2", "name": "common cold"}])
    assert _count(store) == 2  # reopened on the new generation, both workers
    assert _count(store) == 2
    with pytest.raises(ReadOnlyViolation):  # the guard still runs first, in this process
        store.user_query("MATCH (n) DETACH DELETE n")
    with pytest.raises(QueryError, match="Nope"):
        store.user_query("MATCH (n:Nope) RETURN n")
    assert store.query_workers.pids == pids  # engine errors do not cost a worker


def _wait_for_workers(pool: QueryWorkerPool, n: int) -> None:
    deadline = time.monotonic() + 20
    while len(pool.pids) < n and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_crashing_query_stops_only_its_worker(store: EmbeddedStore) -> None:
    pool = store.query_workers
    before = pool.pids
    with pytest.raises(QueryError, match="crashed the graph engine's query worker"):
        pool.query(CRASHING, {}, version=store.generation, timeout_s=30, row_cap=10)
    assert pool.counters["crashes"] == 1
    assert _count(store) == 1  # the other worker answers at once
    _wait_for_workers(pool, 2)
    assert len(pool.pids) == 2 and pool.pids != before


def test_a_query_past_its_timeout_is_killed(store: EmbeddedStore) -> None:
    pool = store.query_workers
    t0 = time.monotonic()
    with pytest.raises(QueryError, match="timeout and was stopped"):
        pool.query(SLOW_BINDING, {}, version=store.generation, timeout_s=0.5, row_cap=10)
    assert time.monotonic() - t0 < 5  # binding alone takes over 10 s in the engine
    assert pool.counters["timeouts"] == 1
    assert _count(store) == 1


def test_a_query_over_the_memory_limit_is_killed(store: EmbeddedStore) -> None:
    with pytest.raises(QueryError, match="more than 1,024 MB of memory"):
        store.user_query("UNWIND range(1, 300000000) AS x RETURN count(x)", timeout_s=60)
    assert store.query_workers.counters["memory_kills"] == 1
    assert _count(store) == 1


def test_no_free_worker_is_a_retryable_unavailable(tmp_path: Path) -> None:
    s = EmbeddedStore(tmp_path / "g.lbug", Settings(data_dir=tmp_path))
    pool = QueryWorkerPool(s.path, 1, memory_mb=2048, buffer_mb=128, wait_s=0.2)
    outcome: list[str] = []

    def occupy() -> None:
        try:
            pool.query(SLOW_BINDING, {}, version=0, timeout_s=2, row_cap=1)
        except QueryError as exc:
            outcome.append(str(exc))

    try:
        busy = threading.Thread(target=occupy)
        busy.start()
        time.sleep(0.3)
        with pytest.raises(StoreUnavailable, match="busy"):
            pool.query("RETURN 1", {}, version=0, timeout_s=5, row_cap=1)
        busy.join()
        assert outcome and "timeout" in outcome[0]
    finally:
        pool.close()
        s.close()
