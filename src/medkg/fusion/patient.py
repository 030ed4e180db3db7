"""What the rankers know about a patient: the text, and the entities linked in it or given by id.

Why keep the extractor's mentions with their spans: the rankers need two
views of one description, the graph view (affirmed entity ids and their link
confidence) and the text view for the sentence encoders, which do not
understand negation ("denies chest pain" lands next to "chest pain"). Both
come from the same mentions here: :meth:`PatientContext.affirmed_text` blanks
exactly the characters of the mentions the context component did not affirm,
so a word negated in one sentence and affirmed in another keeps its affirmed
occurrence, and nothing is re-found by searching the text again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from medkg.kg.store.base import GraphStore
from medkg.nlp.documents import ExtractedDocument, NoteInput

if TYPE_CHECKING:
    from medkg.nlp.pipeline import Extractor
    from medkg.nlp.stopping import StopCheck

FINDING_LABELS = frozenset({"Symptom", "SideEffect", "Disease"})


class PatientInputError(ValueError):
    """The patient description cannot be used (unknown ids, nothing given, a bad image)."""


@dataclass(frozen=True)
class PatientEntity:
    """A graph node the patient description names: a mention linked in the text
    (with its span and context flags) or an id the caller gave."""

    id: str
    label: str
    text: str | None
    confidence: float
    affirmed: bool
    sentence: str | None = None
    negated: bool = False
    hypothetical: bool = False
    family: bool = False
    #: A substance measured ("creatinine 1.1"), not taken (:mod:`medkg.nlp.measurements`).
    measured: bool = False
    #: A drug the patient is allergic to ("ALLERGIES: Cipro"; :mod:`medkg.nlp.allergies`).
    allergen: bool = False
    #: A drug the text says the patient no longer takes ("taken off Plavix";
    #: :mod:`medkg.nlp.medication_status`); still affirmed: the patient took it.
    discontinued: bool = False
    #: Under a past-history heading or after "history of" (ConText's historical).
    historical: bool = False
    #: Character span in the patient text; ``None`` for an entity given by id.
    span: tuple[int, int] | None = None
    #: The text's section heading above the mention ("family history"), if any.
    section: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The form answers carry in ``patient_entities`` (spans are internal)."""
        out: dict[str, Any] = {
            "id": self.id, "label": self.label, "text": self.text, "sentence": self.sentence,
            "confidence": self.confidence, "affirmed": self.affirmed,
        }  # fmt: skip
        if self.span is not None:
            out |= {"negated": self.negated, "hypothetical": self.hypothetical,
                    "family": self.family, "measured": self.measured,
                    "allergen": self.allergen, "discontinued": self.discontinued,
                    "historical": self.historical, "section": self.section}  # fmt: skip
        return out


@dataclass
class PatientContext:
    """A patient description: its text (if any) and the entities it names."""

    text: str | None = None
    entities: list[PatientEntity] = field(default_factory=list)

    def weights(self, labels: frozenset[str]) -> dict[str, float]:
        """Affirmed entity ids of the given labels, weighted by link confidence."""
        out: dict[str, float] = {}
        for e in self.entities:
            if e.label in labels and e.affirmed:
                out[e.id] = max(out.get(e.id, 0.0), e.confidence)
        return out

    @property
    def affirmed_ids(self) -> set[str]:
        return {e.id for e in self.entities if e.affirmed}

    @property
    def allergy_ids(self) -> set[str]:
        """Drugs the patient reports an allergy to (affirmed allergens: "allergic
        to penicillin", not "no known allergy to penicillin")."""
        return {
            e.id for e in self.entities
            if e.allergen and not (e.negated or e.hypothetical or e.family)
        }  # fmt: skip

    def affirmed_text(self) -> str:
        """The text for a sentence encoder: the patient text with the characters of
        every negated, hypothetical or family-history mention blanked out; for a
        patient given by ids only, the names of the affirmed entities."""
        if not self.text:
            return ", ".join(e.text or e.id for e in self.entities if e.affirmed)
        chars = list(self.text)
        for e in self.entities:
            if not e.affirmed and e.span is not None:
                start, end = e.span
                chars[start:end] = " " * (end - start)
        return "".join(chars)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [e.as_dict() for e in self.entities]


def entities_from_document(doc: ExtractedDocument) -> list[PatientEntity]:
    """The linked mentions of an extracted note as patient entities."""
    return [
        PatientEntity(
            id=m.node_id,
            label=m.node_label,
            text=m.text,
            confidence=m.confidence,
            affirmed=m.is_positive_fact,
            sentence=doc.sentences[m.sentence_index],
            negated=m.negated,
            hypothetical=m.hypothetical,
            family=m.family,
            measured=m.measured,
            allergen=m.allergen,
            discontinued=m.discontinued,
            historical=m.historical,
            span=(m.start, m.end),
            section=m.section,
        )
        for m in doc.mentions
    ]


def build_patient_context(
    store: GraphStore,
    extractor: Extractor | None,
    text: str | None = None,
    entity_ids: list[str] | None = None,
    stop: StopCheck | None = None,
    allergy_ids: list[str] | None = None,
) -> PatientContext:
    """Link the text (negated/hypothetical/family mentions kept but not affirmed)
    and check the given ids; unknown ids are one error naming them all.
    ``stop`` bounds the reading of the text (:mod:`medkg.nlp.stopping`)."""
    ctx = PatientContext(text=text or None)
    if text:
        if extractor is None:
            raise PatientInputError("text given but the extraction pipeline is not available")
        (doc,) = extractor.extract([NoteInput("patient", text)], stop=stop)
        ctx.entities += entities_from_document(doc)
    unknown = []
    for nid in entity_ids or []:
        node = store.get_node(nid)
        if node is None:
            unknown.append(nid)
            continue
        entity = PatientEntity(nid, node["label"], node.get("name"), 1.0, affirmed=True)
        ctx.entities.append(entity)
    for nid in allergy_ids or []:
        node = store.get_node(nid)
        if node is None or node["label"] != "Drug":
            unknown.append(f"{nid} (allergy: not a Drug id in the graph)")
            continue
        ctx.entities.append(
            PatientEntity(nid, "Drug", node.get("name"), 1.0, affirmed=False, allergen=True)
        )
    if unknown:
        raise PatientInputError("unknown entity ids: " + ", ".join(unknown))
    return ctx
