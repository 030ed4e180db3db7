"""``POST /v1/cypher``: read-only Cypher with parameters, a row cap and a timeout."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from medkg.api.deps import READER, get_store
from medkg.api.schemas import CypherIn, CypherOut
from medkg.kg.store import QueryError

router = APIRouter(tags=["cypher"], dependencies=READER)


@router.post("/v1/cypher", response_model=CypherOut)
def cypher(body: CypherIn, request: Request) -> CypherOut:
    """Run a read-only Cypher query with parameters (writes are refused with 400)."""
    try:
        result = get_store(request).query(
            body.query, body.params, row_cap=body.limit, timeout_s=body.timeout_s
        )
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    return CypherOut(columns=result.columns, rows=result.records(), truncated=result.truncated)
