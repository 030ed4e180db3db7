"""FastAPI application factory.

The store is opened once per process in the lifespan and shared by the request
threads (the embedded store keeps one connection per thread). Store errors a
client can cause map to 4xx with the engine's message; nothing here writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Literal

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from medkg import __version__
from medkg.api.schemas import CypherIn, CypherOut, NeighbourOut, NodeOut, PathOut, Stats
from medkg.kg.schema import SchemaError
from medkg.kg.store import GraphStore, QueryError, StoreError, open_store
from medkg.settings import Settings, get_settings


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """Build the app; pass ``store`` to share an already open store (tests, embedding)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        app.state.store = store or open_store(settings)
        try:
            yield
        finally:
            if owned:
                app.state.store.close()

    app = FastAPI(
        title="medkg",
        version=__version__,
        description="Biomedical knowledge graph: exploration and read-only Cypher.",
        lifespan=lifespan,
    )

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
    def healthz() -> dict[str, str]:
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

    @app.get("/v1/stats", response_model=Stats, tags=["explore"])
    def stats(request: Request) -> Stats:
        s = get_store(request)
        return Stats(backend=s.backend, **s.stats())

    @app.get("/v1/nodes/{node_id}", tags=["explore"])
    def node(node_id: str, request: Request) -> dict:
        return require_node(get_store(request), node_id)

    @app.get("/v1/nodes/{node_id}/neighbours", response_model=list[NeighbourOut], tags=["explore"])
    def neighbours(
        node_id: str,
        request: Request,
        rel_type: Annotated[
            str | None, Query(alias="type", description="Relationship type")
        ] = None,
        direction: Literal["out", "in", "both"] = "both",
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    ) -> list[NeighbourOut]:
        s = get_store(request)
        require_node(s, node_id)
        return [
            NeighbourOut(type=n.rel_type, direction=n.direction, node=NodeOut(**vars(n.node)),
                         properties=n.properties)
            for n in s.neighbours(node_id, rel_type, direction, limit)
        ]  # fmt: skip

    @app.get("/v1/paths", response_model=list[PathOut], tags=["explore"])
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

    @app.get("/v1/search", response_model=list[NodeOut], tags=["explore"])
    def search(
        request: Request,
        q: Annotated[str, Query(min_length=1, max_length=200)],
        label: str | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
    ) -> list[NodeOut]:
        return [NodeOut(**vars(n)) for n in get_store(request).search(q, label, limit)]

    @app.post("/v1/cypher", response_model=CypherOut, tags=["cypher"])
    def cypher(body: CypherIn, request: Request) -> CypherOut:
        """Run a read-only Cypher query with parameters (writes are refused with 400)."""
        try:
            result = get_store(request).query(
                body.query, body.params, row_cap=body.limit, timeout_s=body.timeout_s
            )
        except QueryError as exc:
            raise HTTPException(400, str(exc)) from None
        return CypherOut(columns=result.columns, rows=result.records(), truncated=result.truncated)

    return app
