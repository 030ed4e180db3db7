"""The Neo4j backend against a real Bolt server.

No Neo4j server can be installed on the CI machine (no Debian or PyPI package
ships one), so these run only where ``NEO4J_URI`` points at a server, e.g.
``docker compose up neo4j`` and ``NEO4J_URI=bolt://localhost:7687``. They use
a throwaway prefix of ids and remove what they write.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from medkg.kg.store.base import ReadOnlyViolation
from medkg.settings import Settings

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.skipif(
        not os.environ.get("NEO4J_URI"),
        reason="no Neo4j server: set NEO4J_URI (and NEO4J_USER/NEO4J_PASSWORD) to run",
    ),
]


@pytest.fixture
def neo() -> Iterator[object]:
    from medkg.kg.store.neo4j_store import Neo4jStore

    store = Neo4jStore(Settings(backend="neo4j"))
    yield store
    store.write("MATCH (n:Entity) WHERE n.id STARTS WITH 'TEST:' DETACH DELETE n")
    store.close()


def test_neo4j_round_trip(neo) -> None:  # type: ignore[no-untyped-def]
    rows = [{"id": "TEST:drug", "name": "Testamine"}, {"id": "TEST:dis", "name": "testitis"}]
    assert neo.import_nodes("Drug", rows[:1]).created == 1
    assert neo.import_nodes("Disease", rows[1:]).created == 1
    assert neo.import_nodes("Drug", rows[:1]).unchanged == 1
    edge = {"start": "TEST:drug", "end": "TEST:dis", "source": "test"}
    assert neo.import_edges("TREATS", "Drug", "Disease", [edge]).created == 1
    assert neo.import_edges("TREATS", "Drug", "Disease", [edge]).created == 0
    res = neo.query(
        "MATCH (d:Drug)-[r:TREATS]->(x:Disease {id: $id}) RETURN d.name AS drug, type(r) AS t",
        {"id": "TEST:dis"},
    )
    assert res.rows == [["Testamine", "TREATS"]]
    assert neo.paths("TEST:drug", "TEST:dis")[0].rels == ["TREATS"]
    assert neo.neighbours("TEST:dis")[0].direction == "in"
    assert neo.search("testami")[0].id == "TEST:drug"
    with pytest.raises(ReadOnlyViolation):
        neo.query("MATCH (n) DETACH DELETE n")
