"""``POST /v1/cypher``: read-only Cypher with parameters, a row cap and a timeout."""

from __future__ import annotations

from fastapi import APIRouter, Request

from medkg.api.deps import READER, get_store
from medkg.api.schemas import CypherIn, CypherOut, errors

router = APIRouter(tags=["cypher"], dependencies=READER, responses=errors(400, 401, 413, 503))


@router.post("/v1/cypher", response_model=CypherOut)
def cypher(body: CypherIn, request: Request) -> CypherOut:
    """Run a read-only Cypher query with parameters (writes are refused with 400).

    On the embedded store the query runs in a worker process: one that crashes
    the engine, outruns its timeout or its memory is stopped (400 with the
    reason) without touching the service; 503 when no worker is free in time.
    Both come from the app's handlers for store errors (:mod:`medkg.api.app`).
    """
    result = get_store(request).user_query(
        body.query, body.params, row_cap=body.limit, timeout_s=body.timeout_s
    )
    return CypherOut(columns=result.columns, rows=result.records(), truncated=result.truncated)
