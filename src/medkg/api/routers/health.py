"""``/healthz`` (the process is up) and ``/readyz`` (the graph store answers); both open."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from medkg.api.deps import get_store
from medkg.kg.store import StoreError

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """The graph store answers a query."""
    store = get_store(request)
    try:
        store.query("RETURN 1 AS ok")
    except StoreError as exc:
        return JSONResponse(status_code=503, content={"status": "unavailable", "detail": str(exc)})
    return JSONResponse({"status": "ready", "backend": store.backend})
