"""Graph exploration: counts, one node, its neighbours, paths between two nodes, search.

The neighbour and search answers are the explorer's hot reads: their JSON is
kept in the response cache (:mod:`medkg.api.response_cache`) until the next
write, and built off the event loop.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import TypeAdapter

from medkg.api.deps import READER, get_state, get_store, require_node
from medkg.api.schemas import NeighbourOut, NodeOut, PathOut, SchemaOut, Stats, errors
from medkg.kg.schema import NODE_LABELS, REL_TYPES
from medkg.kg.store.base import check_hops

router = APIRouter(tags=["explore"], dependencies=READER, responses=errors(400, 401, 404))

NEIGHBOURS = TypeAdapter(list[NeighbourOut])
NODES = TypeAdapter(list[NodeOut])


@router.get("/v1/stats", response_model=Stats)
def stats(request: Request) -> Stats:
    s = get_store(request)
    return Stats(backend=s.backend, **s.stats())


@router.get("/v1/schema", response_model=SchemaOut)
async def schema() -> SchemaOut:
    """Node labels, relationship types and property keys (the same for both backends)."""
    props = {p for n in NODE_LABELS.values() for p in n.props}
    props |= {p for r in REL_TYPES.values() for p in r.props}
    return SchemaOut(
        labels=sorted(NODE_LABELS),
        relationship_types=sorted(REL_TYPES),
        property_keys=sorted(props),
    )


#: Document ids are the caller's own and may equal an entity's id: ``label`` qualifies one.
LabelQuery = Annotated[
    Literal[tuple(sorted(NODE_LABELS))] | None,  # type: ignore[valid-type]
    Query(description="Qualify the id with a label (e.g. Document when a note id equals an "
          "entity's id; without it the entity is answered)"),
]  # fmt: skip


@router.get("/v1/nodes/{node_id}")
def node(node_id: str, request: Request, label: LabelQuery = None) -> dict:
    return require_node(get_store(request), node_id, label)


@router.get("/v1/nodes/{node_id}/neighbours", response_model=list[NeighbourOut])
async def neighbours(
    node_id: str,
    request: Request,
    rel_type: Annotated[str | None, Query(alias="type", description="Relationship type")] = None,
    direction: Literal["out", "in", "both"] = "both",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    properties: Annotated[
        bool, Query(description="Include relationship properties (provenance)")
    ] = False,
    label: LabelQuery = None,
) -> Response:
    state = get_state(request)
    s = state.store
    key = ("neighbours", node_id, rel_type, direction, limit, properties, label)
    body = state.cache.get(s, key)
    if body is None:

        def compute() -> bytes:
            require_node(s, node_id, label)
            found = [
                NeighbourOut(type=n.rel_type, direction=n.direction,
                             node=NodeOut(**vars(n.node)), properties=n.properties)
                for n in s.neighbours(node_id, rel_type, direction, limit, properties, label)
            ]  # fmt: skip
            return NEIGHBOURS.dump_json(found)

        body = await run_in_threadpool(compute)
        state.cache.put(s, key, body)
    return Response(body, media_type="application/json")


@router.get("/v1/paths", response_model=list[PathOut])
def paths(
    request: Request,
    from_id: Annotated[str, Query(alias="from")],
    to_id: Annotated[str, Query(alias="to")],
    max_hops: Annotated[int, Query(ge=1)] = 3,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[PathOut]:
    s = get_store(request)
    check_hops(max_hops, get_state(request).settings.max_path_hops)  # before any lookup
    for nid in (from_id, to_id):
        require_node(s, nid)
    return [
        PathOut(nodes=[NodeOut(**vars(n)) for n in p.nodes], relationships=p.rels,
                forward=p.forward, text=p.describe())
        for p in s.paths(from_id, to_id, max_hops, limit)
    ]  # fmt: skip


@router.get("/v1/search", response_model=list[NodeOut])
async def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    label: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> Response:
    """Name and synonym search: exact, prefix, word prefix, substring, then fuzzy."""
    state = get_state(request)
    s = state.store
    key = ("search", q, label, limit)
    body = state.cache.get(s, key)
    if body is None:

        def compute() -> bytes:
            return NODES.dump_json([NodeOut(**vars(n)) for n in s.search(q, label, limit)])

        body = await run_in_threadpool(compute)
        state.cache.put(s, key, body)
    return Response(body, media_type="application/json")
