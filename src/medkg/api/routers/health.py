"""``/healthz`` (the process is up) and ``/readyz`` (warmed up, and the graph store
answers); both open."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from medkg.api.deps import get_state, get_store
from medkg.api.schemas import errors
from medkg.kg.store import StoreError

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses=errors(503))
def readyz(request: Request) -> JSONResponse:
    """The graph store answers a query and the models are loaded (503 until then)."""
    state = get_state(request)
    if not state.warm.is_set():
        return JSONResponse(
            status_code=503,
            content={"status": "warming", "detail": "loading models and the extraction pipeline"},
            headers={"Retry-After": "5"},
        )
    store = get_store(request)
    try:
        store.query("RETURN 1 AS ok")
    except StoreError as exc:
        return JSONResponse(status_code=503, content={"status": "unavailable", "detail": str(exc)})
    return JSONResponse(
        {"status": "ready", "backend": store.backend, "warm_up_s": state.warm_seconds}
    )
