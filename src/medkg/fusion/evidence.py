"""The evidence every ranked answer carries: graph paths and source sentences."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from medkg.kg.store.base import render_path


class EvidenceNode(BaseModel):
    id: str
    name: str | None = None
    label: str | None = None


class EvidencePath(BaseModel):
    """One path through the graph that supports an answer, in reading order."""

    nodes: list[EvidenceNode]
    relationships: list[str]
    text: str
    weight: float = Field(description="This path's contribution to the score")
    source: str | None = Field(None, description="'hetionet', 'extraction', ... of the edges")
    sentences: list[str] = Field(default_factory=list, description="Source sentences, if any")
    document_ids: list[str] = Field(default_factory=list)


class RankedItem(BaseModel):
    id: str
    name: str | None
    label: str
    score: float
    evidence: list[EvidencePath] = Field(default_factory=list)
    flags: dict[str, Any] = Field(default_factory=dict)


class Ranking(BaseModel):
    task: str
    method: str = Field(description="What produced the scores, e.g. 'graph-only (metapaths)'")
    items: list[RankedItem]
    patient_entities: list[dict[str, Any]] = Field(
        default_factory=list, description="Entities linked from the patient input, with sentences"
    )
    notes: list[str] = Field(default_factory=list)


def path_text(nodes: list[EvidenceNode], rels: list[str], forward: list[bool]) -> str:
    return render_path([n.name or n.id for n in nodes], rels, forward)
