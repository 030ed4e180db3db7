# ruff: noqa: E501  (a table of cases: one case per line reads best)
"""Hostile inputs for the API (issue 20), shared by the real-server test module
and ``bench/faults.py``: each case is (name, method, path, body, headers, allowed
statuses). A body given as ``bytes`` is sent as is (invalid JSON, lone surrogates)."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

Case = tuple[str, str, str, Any, dict[str, str], set[int]]
JSON = {"content-type": "application/json"}


def _png(width: int, height: int) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (width, height)).save(buf, "PNG")  # 1-bit: 20,000 x 20,000 is 48 KB
    return base64.b64encode(buf.getvalue()).decode()


def _cypher(query: str, timeout_s: float = 5, **extra: Any) -> dict[str, Any]:
    return {"query": query, "timeout_s": timeout_s, **extra}


def cypher_cases() -> list[Case]:
    bad = {400}
    raw: list[tuple[str, Any, set[int]]] = [
        ("list nested 1,000 deep", _cypher("RETURN " + "[" * 1000 + "1" + "]" * 1000 + " AS x"), bad),
        ("parens nested 3,000 deep", _cypher("RETURN " + "(" * 3000 + "1" + ")" * 3000), bad),
        ("maps nested 40 deep", _cypher("RETURN " + "{a: " * 40 + "1" + "}" * 40), bad),
        ("list comprehensions nested", _cypher("RETURN " + "[x IN " * 40 + "[1]" + " | x]" * 40), bad),
        ("CASE 24 deep", _cypher("RETURN " + "CASE WHEN true THEN " * 24 + "1" + " END" * 24), bad),
        ("CASE 300 deep", _cypher("RETURN " + "CASE WHEN true THEN " * 300 + "1" + " END" * 300), bad),
        ("range of 3e8 with a 1 s timeout", _cypher("UNWIND range(1,300000000) AS x RETURN count(x)", 1), bad),
        ("range of 1e9", _cypher("UNWIND range(1,1000000000) AS x RETURN count(x)", 3), bad),
        ("hop bound bypass by filter", _cypher("MATCH p=(a:Drug)-[:TREATS*7..7 (r, n | WHERE true)]-(b) RETURN length(p) LIMIT 1"), bad),
        ("unbounded filter form", _cypher("MATCH p=(a:Drug)-[:TREATS* (r, n | WHERE true)]-(b) RETURN length(p) LIMIT 1"), bad),
        ("quantified path unbounded", _cypher("MATCH p=(a)(()-[]->())+(b) RETURN p"), bad),
        ("quantified path over the limit", _cypher("MATCH p=(a)((x)-[]->(y)){1,9}(b) RETURN p"), bad),
        ("write", _cypher("CREATE (n:Disease {id: 'x'}) RETURN n"), bad),
        ("file read", _cypher("LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l"), bad),
        ("two statements", _cypher("MATCH (n) RETURN n; MATCH (m) DETACH DELETE m"), bad),
        ("parameters nested 100 deep", _cypher("RETURN $x", params={"x": json.loads("[" * 100 + "]" * 100)}), bad),
        ("query over 20,000 characters", _cypher("RETURN " + "1 + " * 6000 + "1"), {422}),
        ("syntax error", _cypher("MATCH (n RETURN n"), bad),
    ]  # fmt: skip
    return [(f"cypher: {n}", "POST", "/v1/cypher", b, JSON, s) for n, b, s in raw]


def input_cases() -> list[Case]:
    bomb = _png(20_000, 20_000)
    over = _png(7_000, 6_000)
    surrogate = [
        ("cypher query", "/v1/cypher", b'{"query": "RETURN \\"\\ud800\\" AS x"}'),
        ("cypher params", "/v1/cypher", b'{"query": "RETURN $x AS x", "params": {"x": "\\udfff"}}'),
        ("diagnose text", "/v1/diagnose", b'{"patient": {"text": "fever \\ud800 cough"}}'),
        ("ingest text", "/v1/ingest/notes", b'{"notes": [{"id": "s1", "text": "\\ud800"}]}'),
        ("trials entity id", "/v1/trials/match", b'{"patient": {"entity_ids": ["\\ud800"]}}'),
    ]
    out: list[Case] = [
        (f"lone surrogate in {n}", "POST", p, b, JSON, {422}) for n, p, b in surrogate
    ]
    for path in ("/v1/diagnose", "/v1/trials/match", "/v1/recommend/treatments"):
        for name, image in (("20,000 x 20,000 PNG (48 KB)", bomb), ("7,000 x 6,000 PNG", over)):
            body = {"patient": {"text": "fever and cough", "image_base64": image}}
            out.append((f"{name} on {path}", "POST", path, body, JSON, {400}))
    out += [
        ("truncated JSON", "POST", "/v1/cypher", b'{"query": ', JSON, {422}),
        ("not base64", "POST", "/v1/diagnose", {"patient": {"text": "x", "image_base64": "%%%"}}, JSON, {400}),
        ("unknown node", "GET", "/v1/nodes/NOPE:1", None, {}, {404}),
        ("path hops over the limit", "GET", "/v1/paths?from=DB00331&to=DOID:9352&max_hops=99", None, {}, {400, 422}),
        ("note id with a space", "POST", "/v1/ingest/notes", {"notes": [{"id": "a b", "text": "x"}]}, JSON, {422}),
        ("NUL in a note", "POST", "/v1/ingest/notes", {"notes": [{"id": "n", "text": "a\x00b"}]}, JSON, {400}),
    ]  # fmt: skip
    return out
