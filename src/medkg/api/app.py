"""The FastAPI application: one router per area, mounted on one app.

The store is opened once per process in the lifespan and shared by the request
threads (the embedded store keeps one connection per thread), with the rest of
the service state (:class:`~medkg.api.deps.ServiceState`). Errors a client can
cause map to 400 with the message. Reads, Cypher and recommendations need a
``reader`` key, ingest a ``writer`` key (when keys are configured); ``/``,
``/healthz`` and ``/readyz`` are open (docs/decisions/0004).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from medkg import __version__
from medkg.api.deps import ServiceState
from medkg.api.middleware import RequestContextMiddleware
from medkg.api.routers import cypher, explore, health, ingest, recommend, web
from medkg.fusion.patient import PatientInputError
from medkg.kg.schema import SchemaError
from medkg.kg.store import GraphStore, StoreError, open_store
from medkg.settings import Settings, get_settings

ROUTERS = (health, explore, cypher, recommend, ingest, web)
#: Errors a client's input can cause: 400 with the message, never a 500.
CLIENT_ERRORS = (PatientInputError, StoreError, SchemaError)


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """Build the app; pass ``store`` to share an already open store (tests, embedding)."""
    settings = settings or get_settings()
    api_keys = settings.api_key_roles  # a malformed MEDKG_API_KEYS fails at start, not later
    logging.getLogger("medkg.api").setLevel(settings.log_level.upper())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = ServiceState(settings, store or open_store(settings))
        app.state.medkg = state
        start_workers = getattr(state.store, "start_query_workers", None)
        if start_workers is not None:  # researchers' Cypher runs apart from the API process
            start_workers()
        warm = getattr(state.store, "name_index", None)
        if warm is not None:  # build the embedded store's name index before the first search
            warm().prepare_fuzzy()
        try:
            yield
        finally:
            state.close()
            stop_workers = getattr(state.store, "stop_query_workers", None)
            if stop_workers is not None:
                stop_workers()
            if store is None:
                state.store.close()

    app = FastAPI(
        title="medkg",
        version=__version__,
        description="Biomedical knowledge graph: exploration, read-only Cypher, ingest of "
        "clinical text, and treatment / diagnosis / trial rankings with evidence.",
        lifespan=lifespan,
    )
    app.state.api_keys = api_keys
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key", "X-Request-ID"],
        )  # fmt: skip

    async def client_error(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    for error in CLIENT_ERRORS:
        app.add_exception_handler(error, client_error)
    for module in ROUTERS:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(web.STATIC)), name="static")
    return app
