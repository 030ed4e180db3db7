"""The embedded store on real data: writes, idempotence, read-only Cypher, exploration."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from medkg.kg.store.base import QueryError, ReadOnlyViolation, StoreError
from medkg.kg.store.embedded import EmbeddedStore
from medkg.settings import Settings


def test_import_nodes_is_idempotent_and_updates_changed_rows(store: EmbeddedStore) -> None:
    rows = [
        {"id": "DOID:9352", "name": "type 2 diabetes mellitus", "synonyms": ["T2DM", "NIDDM"]},
        {"id": "DOID:1612", "name": "breast cancer"},
    ]
    first = store.import_nodes("Disease", rows)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    again = store.import_nodes("Disease", rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = store.import_nodes("Disease", [{"id": "DOID:1612", "name": "breast carcinoma"}])
    assert changed.updated == 1
    assert store.get_node("DOID:1612")["name"] == "breast carcinoma"
    node = store.get_node("DOID:9352")
    assert node["label"] == "Disease" and node["synonyms"] == ["T2DM", "NIDDM"]
    assert store.stats()["nodes"]["Disease"] == 2


def test_names_with_quotes_and_tabs_survive_bulk_copy(store: EmbeddedStore) -> None:
    tricky = 'Crohn\'s "disease",\tileal'
    store.import_nodes("Disease", [{"id": "DOID:8778", "name": tricky}])
    assert store.get_node("DOID:8778")["name"] == tricky


def test_edges_need_their_endpoints_and_are_not_duplicated(store: EmbeddedStore) -> None:
    store.import_nodes("Drug", [{"id": "DB00331", "name": "Metformin"}])
    store.import_nodes("Disease", [{"id": "DOID:9352", "name": "type 2 diabetes mellitus"}])
    edge = {"start": "DB00331", "end": "DOID:9352", "source": "test"}
    assert store.import_edges("TREATS", "Drug", "Disease", [edge, edge]).created == 1
    assert store.import_edges("TREATS", "Drug", "Disease", [edge]).created == 0
    assert store.stats()["relationships"]["TREATS"] == 1
    with pytest.raises(StoreError, match="not Disease nodes"):
        store.import_edges("TREATS", "Drug", "Disease", [{"start": "DB00331", "end": "DOID:0"}])
    assert store.stats()["relationships"]["TREATS"] == 1


def test_bad_rows_are_refused_before_writing(store: EmbeddedStore) -> None:
    with pytest.raises(StoreError, match="without an id"):
        store.import_nodes("Disease", [{"id": "DOID:1", "name": "a"}, {"name": "no id"}])
    with pytest.raises(StoreError, match="outside the schema"):
        store.import_nodes("Disease", [{"id": "DOID:1", "colour": "red"}])
    assert store.stats()["nodes"]["Disease"] == 0


def test_query_is_read_only_and_leaves_store_unchanged(slice_store: EmbeddedStore) -> None:
    before = slice_store.stats()
    for cypher in ("MATCH (n) DETACH DELETE n", "CREATE (n:Drug {id: 'x'})"):
        with pytest.raises(ReadOnlyViolation):
            slice_store.query(cypher)
    assert slice_store.stats() == before


def test_engine_errors_come_back_as_query_errors(slice_store: EmbeddedStore) -> None:
    with pytest.raises(QueryError, match="Nope"):
        slice_store.query("MATCH (n:Nope) RETURN n")
    with pytest.raises(QueryError):
        slice_store.query("MATCH (n RETURN n")
    # the connection still works after an error
    assert slice_store.query("RETURN 1 AS one").rows == [[1]]


def test_cypher_features_products_and_users_need(slice_store: EmbeddedStore) -> None:
    q = slice_store.query
    treats = q(
        "MATCH (d:Drug)-[r:TREATS]->(x:Disease {id: $id}) RETURN d.name AS drug, type(r) AS t "
        "ORDER BY drug",
        {"id": "DOID:9352"},
    )
    assert treats.columns == ["drug", "t"]
    assert ["Metformin", "TREATS"] in treats.rows
    optional = q(
        "MATCH (x:Disease {id: $id}) OPTIONAL MATCH (x)-[:PRESENTS]->(s:Symptom) "
        "RETURN x.name, count(s) AS n",
        {"id": "DOID:9352"},
    )
    assert optional.rows[0][0] == "type 2 diabetes mellitus"
    agg = q(
        "MATCH (d:Drug)-[:TREATS]->(x:Disease) RETURN x.name AS disease, count(d) AS drugs "
        "ORDER BY drugs DESC, disease LIMIT 3"
    )
    assert len(agg.rows) == 3 and agg.rows[0][1] >= agg.rows[1][1] >= agg.rows[2][1]
    varlen = q(
        "MATCH p = (a:Drug {id: $a})-[*1..2]-(b:Disease {id: $b}) RETURN length(p) AS hops",
        {"a": "DB00331", "b": "DOID:9352"},
    )
    assert min(r[0] for r in varlen.rows) == 1
    capped = q("MATCH (n:Gene) RETURN n.id", row_cap=5)
    assert len(capped.rows) == 5 and capped.truncated


def test_neighbours_paths_search_stats(slice_store: EmbeddedStore) -> None:
    nbs = slice_store.neighbours("DB00331", rel_type="TREATS", direction="out")
    assert any(n.node.id == "DOID:9352" and n.direction == "out" for n in nbs)
    incoming = slice_store.neighbours("DOID:9352", rel_type="TREATS", direction="in")
    assert {n.node.label for n in incoming} == {"Drug"}
    assert len(slice_store.neighbours("DOID:9352", limit=3)) == 3
    paths = slice_store.paths("DB00331", "DOID:9352", max_hops=3)
    assert (
        paths and len(paths[0]) == 1 and paths[0].rels == ["TREATS"] and paths[0].forward == [True]
    )
    assert "Metformin" in paths[0].describe()
    with pytest.raises(StoreError, match="max_hops"):
        slice_store.paths("DB00331", "DOID:9352", max_hops=50)
    hits = slice_store.search("type 2 diabetes")
    assert hits[0].id == "DOID:9352"
    assert slice_store.search("METFORMIN", label="Drug")[0].id == "DB00331"
    assert slice_store.search("'; MATCH (n) DETACH DELETE n //") == []
    counts = slice_store.stats()
    assert counts["relationships"]["TREATS"] == 755 and counts["nodes"]["Patient"] == 0


def test_store_reopens_with_data_and_schema(settings: Settings) -> None:
    path = settings.graph_dir / "medkg.lbug"
    s1 = EmbeddedStore(path, settings)
    s1.import_nodes("Gene", [{"id": "5468", "name": "PPARG"}])
    s1.close()
    s2 = EmbeddedStore(path, settings)
    assert s2.get_node("5468")["name"] == "PPARG"
    s2.close()


def test_csv_files_of_a_killed_import_are_removed_at_the_next_open(tmp_path: Path) -> None:
    """``kill -9`` during COPY leaves the import's temporary folder behind; the next
    process to open the graph (holding its write lock) removes it, and only its own."""
    store = EmbeddedStore(tmp_path / "g.lbug", Settings(data_dir=tmp_path))
    stale = Path(tempfile.mkdtemp(dir=tmp_path, prefix=store._import_prefix))  # as imports do
    (stale / "Disease.csv").write_text("id\tname\nD1\tflu\n")
    other = tmp_path / ".medkg-import-other.lbug-x"
    other.mkdir()
    store.close()
    assert stale.exists()
    reopened = EmbeddedStore(tmp_path / "g.lbug", Settings(data_dir=tmp_path))
    try:
        assert not stale.exists() and other.exists()
    finally:
        reopened.close()
