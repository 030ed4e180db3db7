"""What the rankers know about a patient: linked entities from text and ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from medkg.kg.extract import Extractor, NoteInput
from medkg.kg.store.base import GraphStore

FINDING_LABELS = frozenset({"Symptom", "SideEffect", "Disease"})


class PatientInputError(ValueError):
    """The patient description cannot be used (unknown ids, nothing given)."""


@dataclass
class PatientContext:
    entities: list[dict[str, Any]] = field(default_factory=list)

    def weights(self, labels: frozenset[str]) -> dict[str, float]:
        """Affirmed entity ids of the given labels, weighted by link confidence."""
        out: dict[str, float] = {}
        for e in self.entities:
            if e["label"] in labels and e["affirmed"]:
                out[e["id"]] = max(out.get(e["id"], 0.0), e["confidence"])
        return out

    @property
    def affirmed_ids(self) -> set[str]:
        return {e["id"] for e in self.entities if e["affirmed"]}


def build_patient_context(
    store: GraphStore,
    extractor: Extractor | None,
    text: str | None = None,
    entity_ids: list[str] | None = None,
) -> PatientContext:
    """Link the text (negated/hypothetical/family mentions kept but not affirmed) and ids."""
    ctx = PatientContext()
    if text:
        if extractor is None:
            raise PatientInputError("text given but the extraction pipeline is not available")
        (doc,) = extractor.extract([NoteInput("patient", text)])
        for m in doc.mentions:
            ctx.entities.append({
                "id": m.node_id, "label": m.node_label, "text": m.text,
                "sentence": doc.sentences[m.sentence_index], "confidence": m.confidence,
                "affirmed": m.is_positive_fact, "negated": m.negated,
                "hypothetical": m.hypothetical, "family": m.family,
            })  # fmt: skip
    unknown = []
    for nid in entity_ids or []:
        node = store.get_node(nid)
        if node is None:
            unknown.append(nid)
            continue
        ctx.entities.append(
            {
                "id": nid,
                "label": node["label"],
                "text": node.get("name"),
                "sentence": None,
                "confidence": 1.0,
                "affirmed": True,
            }
        )
    if unknown:
        raise PatientInputError("unknown entity ids: " + ", ".join(unknown))
    return ctx
