"""Plain data passed between extraction and the graph writer.

Why plain dataclasses: extraction runs in forked worker processes and the
writer in the parent, and spaCy ``Doc`` objects with scispaCy's abbreviation
spans do not travel between processes. Everything the writer (and a patient's
ranking) needs of a note, including each mention's character span and context
flags, is copied out of the ``Doc`` into these.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

#: The ``extractor`` written on every extracted fact (its version names the models).
EXTRACTOR_NAME = "medkg-scispacy"


@dataclass(frozen=True)
class NoteInput:
    """One clinical note to ingest; ``doc_id`` is the caller's stable identifier."""

    doc_id: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass
class Mention:
    """An entity mention, linked to a graph node, with where it came from."""

    text: str
    start: int
    end: int
    sentence_index: int
    ner_label: str
    node_label: str
    node_id: str
    confidence: float
    negated: bool = False
    hypothetical: bool = False
    historical: bool = False
    family: bool = False
    via_abbreviation: str | None = None
    #: True when no graph node matched and ``create_unlinked`` made a new one.
    new_node: bool = False
    #: How the mention was linked: ``name``, ``synonym of 3 nodes: NER label``,
    #: ``curated abbreviation``, ``NER span; fuzzy 0.91; name``... (:mod:`.linking`).
    link_rule: str = ""
    #: The note section the mention is in ("family history"; :mod:`.sections`),
    #: None before the first heading.
    section: str | None = None
    #: A substance the note reports as measured ("creatinine 1.1", "digoxin
    #: level"), not one given to the patient (:mod:`.measurements`).
    measured: bool = False
    #: A substance the patient is allergic to ("ALLERGIES: Cipro", "allergic to
    #: penicillin"), not one the patient takes (:mod:`.allergies`).
    allergen: bool = False
    #: A drug the note says the patient no longer takes ("taken off Plavix",
    #: "Coumadin was discontinued"; :mod:`.medication_status`). Still a fact: the
    #: patient took it.
    discontinued: bool = False

    @property
    def is_positive_fact(self) -> bool:
        """Only affirmed, current mentions about the patient become facts (a
        measured substance is a result, an allergen what the patient must not be
        given: neither is a fact about what the patient has or takes)."""
        return not (
            self.negated or self.hypothetical or self.family or self.measured or self.allergen
        )

    @property
    def is_reported_allergy(self) -> bool:
        """An allergen the note affirms as the patient's: "allergic to penicillin",
        not "no known allergy to penicillin" nor "her mother is allergic to it"."""
        return self.allergen and not (self.negated or self.hypothetical or self.family)


@dataclass(frozen=True)
class ExtractedRelation:
    """A relation between two mentions (indices into ``ExtractedDocument.mentions``)."""

    rel_type: str
    head: int
    tail: int
    sentence_index: int
    confidence: float
    method: str
    #: (label, id) the tail is written to when not the tail mention's own node:
    #: a disease mention as a PRESENTS finding goes to the Symptom tied to it.
    tail_as: tuple[str, str] | None = None

    def tail_node(self, mentions: list[Mention]) -> tuple[str, str]:
        """The (label, id) of the node the relation ends at."""
        if self.tail_as is not None:
            return self.tail_as
        tail = mentions[self.tail]
        return tail.node_label, tail.node_id


@dataclass
class ExtractedDocument:
    """One note's sentences (identifiers masked), linked mentions and relations."""

    doc_id: str
    sha256: str
    sentences: list[str]  # identifiers masked
    mentions: list[Mention] = field(default_factory=list)
    relations: list[ExtractedRelation] = field(default_factory=list)
    text: str | None = None
    extractor_version: str = ""
