"""Ingest, recommendations, keys, limits and hostile input, through the real app and store."""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from medkg.api import create_app
from medkg.kg.importers.trials import read_trials
from medkg.kg.store.embedded import EmbeddedStore
from tests.conftest import hetionet_store, needs_hetionet

pytestmark = needs_hetionet
R = {"X-API-Key": "reader-key"}
W = {"X-API-Key": "writer-key"}
TRIAL = {
    "_id": "NCT00000001", "title": "A new agent in drug-naive type 2 diabetes mellitus",
    "text": "Summary: A trial.\nInclusion criteria: Adults with type 2 diabetes mellitus.\n"
            "Exclusion criteria: Chronic kidney failure.\n\nCurrent use of metformin.",
}  # fmt: skip


@pytest.fixture(scope="module")
def app_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    with hetionet_store(
        tmp_path_factory.mktemp("service"),
        api_keys="reader-key:reader,writer-key:writer",
        max_body_bytes=1_000_000,
    ) as store:
        yield store


@pytest.fixture(scope="module")
def client(app_store: EmbeddedStore) -> Iterator[TestClient]:
    with TestClient(create_app(app_store.settings, store=app_store)) as c:
        yield c


def _counts(store: EmbeddedStore) -> tuple[int, int]:
    n = store.query("MATCH (n) RETURN count(n)").rows[0][0]
    r = store.query("MATCH ()-[r]->() RETURN count(r)").rows[0][0]
    return n, r


def test_keys_and_roles(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200  # health stays open
    assert client.get("/").status_code == 200  # so does the explorer page
    assert client.get("/v1/stats").status_code == 401
    assert client.get("/v1/stats", headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.get("/v1/stats", headers=R).status_code == 200
    assert client.get("/v1/stats", headers=W).status_code == 200  # writers can read
    body = {"notes": [{"id": "n1", "text": "Started metformin."}]}
    assert client.post("/v1/ingest/notes", json=body).status_code == 401
    denied = client.post("/v1/ingest/notes", json=body, headers=R)
    assert denied.status_code == 403 and "writer" in denied.json()["detail"]


def test_ingest_job_is_idempotent_and_feeds_diagnosis(
    client: TestClient, app_store: EmbeddedStore
) -> None:
    note = {"id": "visit-7", "text": "Migraine presenting with headache and nausea. "
            "Denies fever."}  # fmt: skip
    queued = client.post("/v1/ingest/notes", json={"notes": [note]}, headers=W)
    assert queued.status_code == 202
    job_id = queued.json()["id"]
    done = client.post("/v1/ingest/notes", json={"notes": [note], "wait": True}, headers=W)
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert done.json()["counts"]["unchanged"] == 1  # the same document again: nothing new
    assert done.json()["processed"] == 1 and done.json()["counts"]["failed"] == 0
    status = client.get(f"/v1/jobs/{job_id}", headers=W).json()
    assert status["status"] == "done" and status["counts"]["created"] == 1
    assert client.get("/v1/jobs/nope", headers=W).status_code == 404

    dx = client.post(
        "/v1/diagnose", json={"patient": {"text": "Severe headache since Monday."}}, headers=R
    ).json()
    assert dx["method"].startswith("graph-only")
    top = dx["items"][0]
    assert top["name"] == "migraine"
    path = top["evidence"][0]
    assert path["relationships"] == ["PRESENTS"] and path["source"] == "extraction"
    assert path["sentences"] == ["Migraine presenting with headache and nausea."]
    assert path["document_ids"] == ["visit-7"]
    assert dx["patient_entities"][0]["sentence"] == "Severe headache since Monday."


def test_treatments_for_a_disease_and_for_a_patient(client: TestClient) -> None:
    res = client.post(
        "/v1/recommend/treatments", json={"disease_id": "DOID:9352", "limit": 5}, headers=R
    ).json()
    assert "graph-only" in res["method"] and len(res["items"]) == 5
    first = res["items"][0]
    assert first["label"] == "Drug" and first["flags"]["known"] is True
    assert first["evidence"][0]["nodes"][-1]["id"] == "DOID:9352"
    scores = [i["score"] for i in res["items"]]
    assert scores == sorted(scores, reverse=True)
    pat = client.post("/v1/recommend/treatments", json={
        "patient": {"text": "History of type 2 diabetes mellitus. No hypertension."}},
        headers=R).json()  # fmt: skip
    assert {e["id"] for e in pat["patient_entities"] if e["affirmed"]} == {"DOID:9352"}
    # each text mention says whether it is a measured substance (decision 0044)
    assert all(e["measured"] is False for e in pat["patient_entities"])
    assert pat["items"] and all(i["flags"]["anchors"] == ["DOID:9352"] for i in pat["items"])
    bad = client.post("/v1/recommend/treatments", json={"disease_id": "DB00331"}, headers=R)
    assert bad.status_code == 400 and "not a Disease" in bad.json()["detail"]
    assert client.post("/v1/recommend/treatments", json={}, headers=R).status_code == 400


def test_treatments_flag_the_patients_allergies(client: TestClient) -> None:
    """A drug the patient is allergic to, given by id or named under ALLERGIES,
    is ranked below every other drug; past the limit, the notes name it
    (decision 0047)."""
    plain = client.post(
        "/v1/recommend/treatments", json={"disease_id": "DOID:9352", "limit": 5}, headers=R
    ).json()
    first = plain["items"][0]
    for patient in ({"allergy_ids": [first["id"]]}, {"text": f"ALLERGIES: {first['name']}."}):
        res = client.post("/v1/recommend/treatments", headers=R, json={
            "disease_id": "DOID:9352", "limit": 5, "patient": patient}).json()  # fmt: skip
        ids = [i["id"] for i in res["items"]]
        assert first["id"] not in ids and len(ids) == 5
        assert ids[:4] == [i["id"] for i in plain["items"][1:]]
        held = [n for n in res["notes"] if n.startswith("ranked below this list")]
        assert held and first["name"] in held[0] and "allergy" in held[0], res["notes"]
    bad = client.post("/v1/recommend/treatments", headers=R, json={
        "disease_id": "DOID:9352", "patient": {"allergy_ids": ["DOID:9352"]}})  # fmt: skip
    assert bad.status_code == 400 and "not a Drug id" in bad.json()["detail"]


def test_trial_matching_flags_exclusions(
    client: TestClient, app_store: EmbeddedStore, tmp_path: Path
) -> None:
    from medkg.kg.importers.trials import import_trials
    from medkg.nlp import Extractor

    corpus = tmp_path / "corpus.jsonl"
    other = {
        "_id": "NCT00000002", "title": "Inhaled steroids for children with asthma",
        "text": "Summary: Asthma in children.\nInclusion criteria: Asthma, age 6-12.",
    }  # fmt: skip
    corpus.write_text(json.dumps(TRIAL) + "\n" + json.dumps(other) + "\n")
    extractor = Extractor(app_store, app_store.settings)
    result = import_trials(app_store, read_trials(corpus), extractor.link_texts)
    assert (result.created, result.studies_edges) == (2, 2)
    ok = client.post(
        "/v1/trials/match", json={"patient": {"text": "Type 2 diabetes mellitus."}}, headers=R
    ).json()
    assert ok["method"].startswith("hybrid")  # text given: text similarity + graph
    assert [i["id"] for i in ok["items"]] == ["NCT00000001", "NCT00000002"]
    first, second = ok["items"]
    assert first["flags"]["condition_hits"] == 1 and second["flags"]["condition_hits"] == 0
    assert first["flags"]["text_similarity"] > second["flags"]["text_similarity"]
    assert first["evidence"] and first["flags"]["excluded_by"] == []
    excluded = client.post(
        "/v1/trials/match",
        json={"patient": {"text": "Type 2 diabetes mellitus, on metformin."}},
        headers=R,
    ).json()
    item = excluded["items"][0]
    assert item["flags"]["excluded_by"] and item["score"] < ok["items"][0]["score"]
    # no disease stated, one inferred from a finding: still the hybrid, saying so
    app_store.import_edges(
        "PRESENTS", "Disease", "Symptom", [{"start": "DOID:9352", "end": "D011141", "source": "t"}]
    )
    try:
        inferred = client.post(
            "/v1/trials/match", json={"patient": {"text": "Polyuria for two weeks."}}, headers=R
        ).json()
    finally:
        app_store.delete_edges("PRESENTS", "t")
    assert any(
        "matched on the likely diagnoses (graph ranking over symptoms" in n
        for n in inferred["notes"]
    )
    assert inferred["method"].startswith("hybrid")
    assert inferred["items"][0]["id"] == "NCT00000001"


def test_images_are_validated(client: TestClient) -> None:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (28, 28), 128).save(buf, format="PNG")
    good = base64.b64encode(buf.getvalue()).decode()
    res = client.post(
        "/v1/diagnose", json={"patient": {"text": "fever", "image_base64": good}}, headers=R
    )
    assert res.status_code == 200 and any("image" in n for n in res.json()["notes"])
    for bad in ("not base64!!", base64.b64encode(b"GIF89a....").decode()):
        r = client.post(
            "/v1/diagnose", json={"patient": {"text": "x", "image_base64": bad}}, headers=R
        )
        assert r.status_code == 400, bad


@pytest.mark.parametrize("query", [
    "CREATE (n:Disease {id: 'x'}) RETURN n",
    "MATCH (n:Disease {id: 'DOID:9352'}) DETACH DELETE n",
    "MATCH (n:Disease) SET n.name = 'x'",
    "CALL dbms.security.createUser('a', 'b', false)",
    "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l",
    "MATCH p = (a)-[*]-(b) RETURN p",
    "MATCH (n) RETURN n; MATCH (m) DETACH DELETE m",
])  # fmt: skip
def test_hostile_cypher_is_refused_and_changes_nothing(
    client: TestClient, app_store: EmbeddedStore, query: str
) -> None:
    before = _counts(app_store)
    res = client.post("/v1/cypher", json={"query": query}, headers=R)
    assert res.status_code == 400 and res.json()["detail"]
    assert _counts(app_store) == before


def test_hostile_bodies_and_strings(client: TestClient, app_store: EmbeddedStore) -> None:
    before = _counts(app_store)
    huge = client.post(
        "/v1/cypher",
        content=b"{" + b" " * 10_000_000 + b"}",
        headers={**R, "content-type": "application/json"},
    )
    assert huge.status_code == 413 and "limit" in huge.json()["detail"]
    bad_json = client.post("/v1/cypher", content=b'{"query": ', headers={
        **R, "content-type": "application/json"})  # fmt: skip
    assert bad_json.status_code == 422
    for q in ["' OR 1=1 --", "x') DETACH DELETE n //", "\\u0000", "(*)", "`Disease`"]:
        r = client.get("/v1/search", params={"q": q}, headers=R)
        assert r.status_code == 200 and isinstance(r.json(), list)
    bad_ids = client.post("/v1/ingest/notes", json={"notes": [{"id": "../etc", "text": "x"},
                          {"id": "a b", "text": "x"}]}, headers=W)  # fmt: skip
    assert bad_ids.status_code == 422
    nul = client.post(
        "/v1/ingest/notes", json={"notes": [{"id": "nul", "text": "a\x00b"}]}, headers=W
    )
    assert nul.status_code == 400
    assert _counts(app_store) == before
    res = client.get("/v1/stats", headers={**R, "X-Request-ID": "abc-123"})
    assert res.headers["x-request-id"] == "abc-123"
    assert len(client.get("/v1/stats", headers=R).headers["x-request-id"]) == 32


def test_a_note_id_equal_to_an_entity_id_is_reached_by_label(
    client: TestClient, app_store: EmbeddedStore
) -> None:
    """Document ids are the caller's: a note may be called like a disease node. The
    entity answers an unqualified lookup; ``label=Document`` reaches the note."""
    entity_id = app_store.query("MATCH (d:Disease) RETURN d.id LIMIT 1").rows[0][0]
    entity = client.get(f"/v1/nodes/{entity_id}", headers=R).json()
    note = {"id": entity_id, "text": "Migraine presenting with headache and nausea."}
    done = client.post("/v1/ingest/notes", json={"notes": [note], "wait": True}, headers=W)
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert client.get(f"/v1/nodes/{entity_id}", headers=R).json() == entity
    doc = client.get(f"/v1/nodes/{entity_id}", params={"label": "Document"}, headers=R).json()
    assert doc["label"] == "Document" and doc["id"] == entity_id
    mentions = client.get(
        f"/v1/nodes/{entity_id}/neighbours", params={"label": "Document"}, headers=R
    ).json()
    assert {m["type"] for m in mentions} == {"MENTIONS"}
    assert any(m["node"]["name"] == "migraine" for m in mentions)
    missing = client.get("/v1/nodes/visit-none", params={"label": "Document"}, headers=R)
    assert missing.status_code == 404 and "Document node" in missing.json()["detail"]
    bad = client.get(f"/v1/nodes/{entity_id}", params={"label": "Nope"}, headers=R)
    assert bad.status_code == 422


def test_rankings_are_cached_until_the_graph_changes(
    client: TestClient, app_store: EmbeddedStore
) -> None:
    cache = client.app.state.medkg.cache  # type: ignore[attr-defined]
    body = {"patient": {"text": "Headache and nausea since Monday."}, "limit": 5}
    before = len(cache._data)
    first = client.post("/v1/diagnose", json=body, headers=R)
    assert first.status_code == 200 and len(cache._data) == before + 1
    again = client.post("/v1/diagnose", json=body, headers=R)
    assert again.content == first.content and len(cache._data) == before + 1
    generation = app_store.generation
    app_store.import_nodes("Symptom", [{"id": "cache-test", "name": "cache test finding"}])
    assert app_store.generation != generation
    third = client.post("/v1/diagnose", json=body, headers=R)
    assert third.status_code == 200 and len(cache._data) == before + 2  # computed anew


def test_a_disease_the_graph_links_to_nothing_says_so(
    client: TestClient, app_store: EmbeddedStore
) -> None:
    app_store.import_nodes("Disease", [{"id": "DOID:unlinked", "name": "an unlinked disease"}])
    answer = client.post(
        "/v1/recommend/treatments", json={"disease_id": "DOID:unlinked"}, headers=R
    ).json()
    assert answer["items"] == []
    assert any("nothing to rank from" in n for n in answer["notes"])
    linked = client.post(
        "/v1/recommend/treatments", json={"disease_id": "DOID:9352"}, headers=R
    ).json()
    assert linked["items"] and not any("nothing to rank" in n for n in linked["notes"])


def test_reading_a_patient_text_is_bounded_and_stops_for_a_gone_client(
    client: TestClient,
) -> None:
    """A text that outruns its time budget is a 400 that says so; a client that
    disconnects while its text is read stops the reading (499 in the request log)."""
    import asyncio

    text = "Fever, cough and shortness of breath since Monday. " * 200
    slow = client.post(
        "/v1/diagnose", json={"patient": {"text": text, "timeout_s": 1e-6}}, headers=R
    )
    assert slow.status_code == 400 and "took over 1e-06 s" in slow.json()["detail"]
    over = client.post("/v1/diagnose", json={"patient": {"text": text, "timeout_s": 301}},
                       headers=R)  # fmt: skip
    assert over.status_code == 422  # a request cannot ask for more than the limit's range
    ok = client.post("/v1/diagnose", json={"patient": {"text": text, "timeout_s": 60}},
                     headers=R)  # fmt: skip
    assert ok.status_code == 200 and ok.json()["patient_entities"]

    # the client leaves 0.1 s after sending, while its 100,000-character text is read
    long_text = ("Fever, cough and shortness of breath since Monday. " * 2000)[:100_000]
    body = json.dumps({"patient": {"text": long_text}}).encode()
    sent: list[dict] = []
    delivered: list[float] = []

    async def receive() -> dict:
        if not delivered:
            delivered.append(time.monotonic())
            return {"type": "http.request", "body": body, "more_body": False}
        if time.monotonic() - delivered[0] < 0.1:
            await asyncio.sleep(3600)  # still connected: nothing to receive yet
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/diagnose", "raw_path": b"/v1/diagnose",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "headers": [(b"content-type", b"application/json"), (b"x-api-key", b"reader-key"),
                    (b"content-length", str(len(body)).encode())],
    }  # fmt: skip
    asyncio.run(client.app(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 499
    t0 = time.monotonic()
    again = client.post("/v1/diagnose", json={"patient": {"text": long_text}}, headers=R)
    assert again.status_code == 200  # nothing half-done was cached for it
    assert time.monotonic() - t0 > 0.2  # reading it takes longer than the client stayed
