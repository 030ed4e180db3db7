"""Request and response bodies of the HTTP API (they also document /docs)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class NodeOut(BaseModel):
    id: str
    label: str | None
    name: str | None


class NeighbourOut(BaseModel):
    type: str
    direction: Literal["out", "in"]
    node: NodeOut
    properties: dict[str, Any] = Field(default_factory=dict)


class PathOut(BaseModel):
    nodes: list[NodeOut]
    relationships: list[str]
    forward: list[bool] = Field(description="True where the relationship points along the path")
    text: str


class CypherIn(BaseModel):
    query: str = Field(
        min_length=1, max_length=20_000, examples=["MATCH (d:Drug) RETURN d.name LIMIT 5"]
    )
    params: dict[str, Any] = Field(default_factory=dict)
    limit: int | None = Field(
        None, ge=1, le=100_000, description="Row cap (server default if unset)"
    )
    timeout_s: float | None = Field(None, gt=0, le=300)


class CypherOut(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool


class Stats(BaseModel):
    backend: str
    nodes: dict[str, int]
    relationships: dict[str, int]
