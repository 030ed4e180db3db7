"""The FastAPI application: one router per area, mounted on one app.

The store is opened once per process in the lifespan and shared by the request
threads (the embedded store keeps one connection per thread), with the rest of
the service state (:class:`~medkg.api.deps.ServiceState`). Errors a client can
cause map to 400 with the message. Reads, Cypher and recommendations need a
``reader`` key, ingest a ``writer`` key (when keys are configured); ``/``,
``/healthz`` and ``/readyz`` are open (docs/decisions/0004).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from medkg import __version__
from medkg.api.deps import ServiceState
from medkg.api.middleware import RequestContextMiddleware
from medkg.api.routers import cypher, explore, health, ingest, recommend, web
from medkg.fusion.patient import PatientInputError
from medkg.kg.schema import SchemaError
from medkg.kg.store import GraphStore, StoreError, StoreUnavailable, open_store
from medkg.nlp.stopping import ExtractionTimeout
from medkg.settings import Settings, get_settings

ROUTERS = (health, explore, cypher, recommend, ingest, web)
#: Errors a client's input can cause: 400 with the message, never a 500.
CLIENT_ERRORS = (PatientInputError, StoreError, SchemaError, ExtractionTimeout)


def _request_log(settings: Settings) -> None:
    """Send the JSON request lines (logger ``medkg.api``) to stderr, one per line,
    unless ``MEDKG_REQUEST_LOG=none`` (then the host application's logging decides).

    Why the app installs a handler: without one the lines were never written
    (the logger had none, and Python drops INFO records that reach no handler).
    """
    log = logging.getLogger("medkg.api")
    log.setLevel(settings.log_level.upper())
    ours = [h for h in log.handlers if getattr(h, "medkg_request_log", False)]
    if settings.request_log == "stderr" and not ours:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.medkg_request_log = True  # type: ignore[attr-defined]
        log.addHandler(handler)
    elif settings.request_log == "none":
        for handler in ours:
            log.removeHandler(handler)


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """Build the app; pass ``store`` to share an already open store (tests, embedding)."""
    settings = settings or get_settings()
    api_keys = settings.api_key_roles  # a malformed MEDKG_API_KEYS fails at start, not later
    _request_log(settings)

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
        if settings.warm_start:
            threading.Thread(target=state.warm_up, name="medkg-warm-up", daemon=True).start()
        else:
            state.warm.set()
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

    async def unavailable(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            status_code=503, content={"detail": str(exc)}, headers={"Retry-After": "2"}
        )

    async def invalid_request(_: Request, exc: Exception) -> Response:
        # FastAPI's own handler echoes the input, which may hold a lone surrogate
        # that UTF-8 cannot encode: rendered ASCII-escaped, it is a 422, not a 500.
        errors = jsonable_encoder(exc.errors())  # type: ignore[attr-defined]
        body = json.dumps({"detail": errors}, ensure_ascii=True)
        return Response(body, status_code=422, media_type="application/json")

    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", None) or request.scope.get(
            "state", {}
        ).get("request_id")
        logging.getLogger("medkg.api").exception("unhandled error (request %s)", request_id)
        return JSONResponse(
            status_code=500,
            content={"detail": f"internal error; quote request id {request_id} when reporting"},
        )

    for error in CLIENT_ERRORS:
        app.add_exception_handler(error, client_error)
    app.add_exception_handler(StoreUnavailable, unavailable)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, internal_error)
    for module in ROUTERS:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(web.STATIC)), name="static")
    return app
