"""The HTTP API through FastAPI's test client on a real embedded Hetionet slice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from medkg.api import create_app
from medkg.kg.store.embedded import EmbeddedStore


@pytest.fixture(scope="module")
def client(slice_store: EmbeddedStore) -> Iterator[TestClient]:
    with TestClient(create_app(slice_store.settings, store=slice_store)) as c:
        yield c


def test_health_and_stats(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    stats = client.get("/v1/stats").json()
    assert stats["backend"] == "embedded" and stats["relationships"]["TREATS"] == 755


def test_schema_lists_what_cypher_can_name(client: TestClient) -> None:
    schema = client.get("/v1/schema").json()
    assert {"Disease", "Symptom", "Drug"} <= set(schema["labels"])
    assert {"TREATS", "PRESENTS", "IS_A", "SAME_AS"} <= set(schema["relationship_types"])
    assert {"id", "name", "synonyms", "xrefs", "frequency"} <= set(schema["property_keys"])


def test_node_neighbours_paths_search(client: TestClient) -> None:
    assert client.get("/v1/nodes/DOID:9352").json()["name"] == "type 2 diabetes mellitus"
    assert client.get("/v1/nodes/NOPE:1").status_code == 404
    nbs = client.get("/v1/nodes/DOID:9352/neighbours", params={"type": "TREATS", "limit": 100})
    assert nbs.status_code == 200
    assert any(n["node"]["id"] == "DB00331" and n["direction"] == "in" for n in nbs.json())
    assert client.get("/v1/nodes/DOID:9352/neighbours", params={"type": "BOGUS"}).status_code == 400
    assert client.get("/v1/nodes/DOID:9352/neighbours", params={"limit": 0}).status_code == 422
    paths = client.get("/v1/paths", params={"from": "DB00331", "to": "DOID:9352"}).json()
    assert paths[0]["relationships"] == ["TREATS"] and "Metformin" in paths[0]["text"]
    too_long = client.get(
        "/v1/paths", params={"from": "DB00331", "to": "DOID:9352", "max_hops": 99}
    )
    assert too_long.status_code == 400
    hits = client.get("/v1/search", params={"q": "type 2 diabetes"}).json()
    assert hits[0]["id"] == "DOID:9352"
    assert client.get("/v1/search", params={"q": "') RETURN 1 //"}).json() == []


def test_cypher_reads_and_refuses_writes(client: TestClient) -> None:
    before = client.get("/v1/stats").json()
    ok = client.post(
        "/v1/cypher",
        json={"query": "MATCH (d:Drug)-[:TREATS]->(x:Disease {id: $id}) RETURN d.name AS drug",
              "params": {"id": "DOID:9352"}},
    )  # fmt: skip
    assert ok.status_code == 200 and {"drug": "Metformin"} in ok.json()["rows"]
    for bad in (
        "MATCH (n) DETACH DELETE n",
        "CREATE (n:Drug {id: 'x'})",
        "CALL dbms.components()",
        "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l",
        "MATCH p=(a)-[*]-(b) RETURN p",
        "MATCH (n:Nope) RETURN n",
    ):
        r = client.post("/v1/cypher", json={"query": bad})
        assert r.status_code == 400, bad
        assert r.json()["detail"]
    assert client.post("/v1/cypher", content=b"{not json").status_code == 422
    assert client.get("/v1/stats").json() == before


def test_cors_and_json_request_logs(slice_store: EmbeddedStore, caplog) -> None:  # type: ignore[no-untyped-def]
    import json
    import logging

    settings = slice_store.settings.model_copy(update={"cors_origins": "https://app.example"})
    with TestClient(create_app(settings, store=slice_store)) as c:
        pre = c.options("/v1/search", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "X-API-Key"})  # fmt: skip
        assert pre.headers["access-control-allow-origin"] == "https://app.example"
        other = c.get("/v1/stats", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        with caplog.at_level(logging.INFO, logger="medkg.api"):
            res = c.get("/v1/search", params={"q": "metformin"}, headers={"X-Request-ID": "r-42"})
    assert res.status_code == 200
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "medkg.api"]
    mine = [x for x in lines if x["request_id"] == "r-42"]
    assert mine and mine[0]["path"] == "/v1/search" and mine[0]["status"] == 200
    assert mine[0]["duration_ms"] >= 0
