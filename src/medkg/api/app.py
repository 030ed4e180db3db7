"""FastAPI application factory.

The store is opened once per process in the lifespan and shared by the request
threads (the embedded store keeps one connection per thread). Store errors a
client can cause map to 4xx with the engine's message. Reads, Cypher and
recommendations need a ``reader`` key, ingest a ``writer`` key (when keys are
configured); ``/``, ``/healthz`` and ``/readyz`` are open. The extraction
pipeline is loaded on first use and shared (it takes seconds to build).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import TypeAdapter

from medkg import __version__
from medkg.api.jobs import JobRunner
from medkg.api.middleware import RequestContextMiddleware
from medkg.api.response_cache import ResponseCache
from medkg.api.schemas import (
    CypherIn,
    CypherOut,
    IngestIn,
    JobOut,
    NeighbourOut,
    NodeOut,
    PathOut,
    PatientIn,
    PatientQueryIn,
    Stats,
    TreatmentsIn,
)
from medkg.api.security import require_reader, require_writer
from medkg.fusion.evidence import Ranking
from medkg.fusion.patient import PatientContext, PatientInputError, build_patient_context
from medkg.fusion.recommend import (
    IMAGE_UNUSED,
    check_image,
    diagnose,
    match_trials,
    recommend_treatments,
)
from medkg.fusion.trained import TrainedModels
from medkg.kg.extract import NoteInput
from medkg.kg.extract.inputs import NoteInputError, check_notes
from medkg.kg.schema import SchemaError
from medkg.kg.store import GraphStore, QueryError, StoreError, open_store
from medkg.settings import Settings, get_settings

STATIC = resources.files("medkg.api") / "static"
NEIGHBOURS = TypeAdapter(list[NeighbourOut])
NODES = TypeAdapter(list[NodeOut])


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """Build the app; pass ``store`` to share an already open store (tests, embedding)."""
    settings = settings or get_settings()

    api_keys = settings.api_key_roles  # a malformed MEDKG_API_KEYS fails at start, not later
    logging.getLogger("medkg.api").setLevel(settings.log_level.upper())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        app.state.store = store or open_store(settings)
        app.state.jobs = JobRunner(app.state.store, lambda: get_extractor(app))
        warm = getattr(app.state.store, "name_index", None)
        if warm is not None:  # build the embedded store's name index before the first search
            warm().prepare_fuzzy()
        try:
            yield
        finally:
            app.state.jobs.shutdown()
            if owned:
                app.state.store.close()

    app = FastAPI(
        title="medkg",
        version=__version__,
        description="Biomedical knowledge graph: exploration, read-only Cypher, ingest of "
        "clinical text, and treatment / diagnosis / trial rankings with evidence.",
        lifespan=lifespan,
    )
    app.state.api_keys = api_keys
    app.state.extractor = None
    app.state.models = TrainedModels(settings)
    extractor_lock = threading.Lock()
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST"], allow_headers=["Content-Type", "X-API-Key",
                                                      "X-Request-ID"],
        )  # fmt: skip
    cache = ResponseCache()
    reader = [Depends(require_reader)]
    writer = [Depends(require_writer)]

    def get_extractor(app: FastAPI):  # type: ignore[no-untyped-def]
        from medkg.kg.extract import Extractor

        with extractor_lock:
            if app.state.extractor is None:
                app.state.extractor = Extractor(app.state.store, settings)
            return app.state.extractor

    @app.exception_handler(PatientInputError)
    async def patient_error(_: Request, exc: PatientInputError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    @app.exception_handler(StoreError)
    async def store_error(_: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    @app.exception_handler(SchemaError)
    async def schema_error(_: Request, exc: SchemaError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    def get_store(request: Request) -> GraphStore:
        return request.app.state.store

    def require_node(s: GraphStore, node_id: str) -> dict:
        found = s.get_node(node_id)
        if found is None:
            raise HTTPException(404, f"no node with id {node_id!r}")
        return found

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    def readyz(request: Request) -> JSONResponse:
        """The graph store answers a query."""
        try:
            get_store(request).query("RETURN 1 AS ok")
        except StoreError as exc:
            return JSONResponse(
                status_code=503, content={"status": "unavailable", "detail": str(exc)}
            )
        return JSONResponse({"status": "ready", "backend": get_store(request).backend})

    @app.get("/v1/stats", response_model=Stats, tags=["explore"], dependencies=reader)
    def stats(request: Request) -> Stats:
        s = get_store(request)
        return Stats(backend=s.backend, **s.stats())

    @app.get("/v1/nodes/{node_id}", tags=["explore"], dependencies=reader)
    def node(node_id: str, request: Request) -> dict:
        return require_node(get_store(request), node_id)

    @app.get(
        "/v1/nodes/{node_id}/neighbours",
        response_model=list[NeighbourOut],
        tags=["explore"],
        dependencies=reader,
    )
    async def neighbours(
        node_id: str,
        request: Request,
        rel_type: Annotated[
            str | None, Query(alias="type", description="Relationship type")
        ] = None,
        direction: Literal["out", "in", "both"] = "both",
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        properties: Annotated[
            bool, Query(description="Include relationship properties (provenance)")
        ] = False,
    ) -> Response:
        s = get_store(request)
        key = ("neighbours", node_id, rel_type, direction, limit, properties)
        body = cache.get(s, key)
        if body is None:

            def compute() -> bytes:
                require_node(s, node_id)
                found = [
                    NeighbourOut(type=n.rel_type, direction=n.direction,
                                 node=NodeOut(**vars(n.node)), properties=n.properties)
                    for n in s.neighbours(node_id, rel_type, direction, limit, properties)
                ]  # fmt: skip
                return NEIGHBOURS.dump_json(found)

            body = await run_in_threadpool(compute)
            cache.put(s, key, body)
        return Response(body, media_type="application/json")

    @app.get("/v1/paths", response_model=list[PathOut], tags=["explore"], dependencies=reader)
    def paths(
        request: Request,
        from_id: Annotated[str, Query(alias="from")],
        to_id: Annotated[str, Query(alias="to")],
        max_hops: Annotated[int, Query(ge=1)] = 3,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> list[PathOut]:
        s = get_store(request)
        for nid in (from_id, to_id):
            require_node(s, nid)
        return [
            PathOut(nodes=[NodeOut(**vars(n)) for n in p.nodes], relationships=p.rels,
                    forward=p.forward, text=p.describe())
            for p in s.paths(from_id, to_id, max_hops, limit)
        ]  # fmt: skip

    @app.get("/v1/search", response_model=list[NodeOut], tags=["explore"], dependencies=reader)
    async def search(
        request: Request,
        q: Annotated[str, Query(min_length=1, max_length=200)],
        label: str | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
    ) -> Response:
        """Name and synonym search: exact, prefix, word prefix, substring, then fuzzy."""
        s = get_store(request)
        key = ("search", q, label, limit)
        body = cache.get(s, key)
        if body is None:

            def compute() -> bytes:
                return NODES.dump_json([NodeOut(**vars(n)) for n in s.search(q, label, limit)])

            body = await run_in_threadpool(compute)
            cache.put(s, key, body)
        return Response(body, media_type="application/json")

    @app.post("/v1/cypher", response_model=CypherOut, tags=["cypher"], dependencies=reader)
    def cypher(body: CypherIn, request: Request) -> CypherOut:
        """Run a read-only Cypher query with parameters (writes are refused with 400)."""
        try:
            result = get_store(request).query(
                body.query, body.params, row_cap=body.limit, timeout_s=body.timeout_s
            )
        except QueryError as exc:
            raise HTTPException(400, str(exc)) from None
        return CypherOut(columns=result.columns, rows=result.records(), truncated=result.truncated)

    # -- recommendations -----------------------------------------------------------
    def patient_ctx(request: Request, patient: PatientIn) -> tuple[PatientContext, bytes | None]:
        image = check_image(patient.image_base64)
        if not patient.text and not patient.entity_ids:
            if patient.image_base64:
                raise PatientInputError("the rankings need text or entity_ids beside an image")
            raise PatientInputError("describe the patient: give text and/or entity_ids")
        extractor = get_extractor(request.app) if patient.text else None
        s = get_store(request)
        return build_patient_context(s, extractor, patient.text, patient.entity_ids), image

    @app.post(
        "/v1/recommend/treatments", response_model=Ranking, dependencies=reader, tags=["recommend"]
    )
    def treatments(body: TreatmentsIn, request: Request) -> Ranking:
        """Drugs for a disease id or a patient, ranked, each with its evidence paths."""
        ctx, image = patient_ctx(request, body.patient) if body.patient else (None, None)
        ranking = recommend_treatments(
            get_store(request), body.disease_id, ctx, body.limit, app.state.models,
            body.patient.text if body.patient else None,
        )  # fmt: skip
        if image is not None:
            ranking.notes.append(IMAGE_UNUSED)
        return ranking

    def patient_ranking(request: Request, body: PatientQueryIn, task: str) -> Ranking:
        ctx, image = patient_ctx(request, body.patient)
        store, text, models = get_store(request), body.patient.text, app.state.models
        if task == "diagnosis":
            return diagnose(store, ctx, body.limit, text, models, image)
        ranking = match_trials(store, ctx, body.limit, text, models)
        if image is not None:
            ranking.notes.append(IMAGE_UNUSED)
        return ranking

    @app.post("/v1/diagnose", response_model=Ranking, dependencies=reader, tags=["recommend"])
    def diagnose_route(body: PatientQueryIn, request: Request) -> Ranking:
        """Diseases for a patient's findings, ranked, with evidence and source sentences."""
        return patient_ranking(request, body, "diagnosis")

    @app.post("/v1/trials/match", response_model=Ranking, dependencies=reader, tags=["recommend"])
    def trials_route(body: PatientQueryIn, request: Request) -> Ranking:
        """Clinical trials for a patient; trials that exclude the patient are flagged."""
        return patient_ranking(request, body, "trials")

    # -- ingest --------------------------------------------------------------------
    @app.post(
        "/v1/ingest/notes",
        response_model=JobOut,
        status_code=202,
        dependencies=writer,
        tags=["ingest"],
    )
    def ingest(body: IngestIn, request: Request) -> JSONResponse:
        """Queue extraction of notes (idempotent per document id); poll /v1/jobs/{id}."""
        notes = [NoteInput(n.id, n.text) for n in body.notes]
        try:
            check_notes(notes, settings.max_note_chars)
        except NoteInputError as exc:
            raise HTTPException(400, str(exc)) from None
        job, future = request.app.state.jobs.submit(notes)
        if body.wait:
            future.result()
        return JSONResponse(status_code=200 if body.wait else 202, content=job.as_dict())

    @app.get("/v1/jobs/{job_id}", response_model=JobOut, dependencies=writer, tags=["ingest"])
    def job(job_id: str, request: Request) -> dict:
        found = request.app.state.jobs.get(job_id)
        if found is None:
            raise HTTPException(404, f"no job {job_id!r} (jobs are kept in memory until restart)")
        return found.as_dict()

    # -- the web explorer ----------------------------------------------------------
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/", include_in_schema=False)
    def explorer() -> FileResponse:
        return FileResponse(str(STATIC / "index.html"))

    return app
