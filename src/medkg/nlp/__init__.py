"""Clinical-text extraction with scispaCy: entities, context, linking, relations, provenance.

``Extractor(store, settings).extract(notes)`` turns text into plain
:class:`~medkg.nlp.documents.ExtractedDocument` objects (:mod:`.pipeline`);
``ingest_documents(store, docs)`` writes them into a graph store idempotently
(:mod:`.ingest`). Modules, lowest first: :mod:`.documents` (the data passed
around), :mod:`.inputs` (reading and checking notes), :mod:`.privacy`,
:mod:`.lexicon` and :mod:`.linking` (names to graph ids), :mod:`.context`
(negated, hypothetical, historical, family), :mod:`.sections`,
:mod:`.measurements`, :mod:`.allergies` and :mod:`.medication_status` (what a
drug mention says: measured, an allergen, stopped), :mod:`.relations`, :mod:`.ner`,
:mod:`.corpora` (training and evaluation files), :mod:`.pipeline`,
:mod:`.ingest`.

The names below are imported on first use, so ``import medkg.nlp.documents``
(the API's request checks, the ingest writer) does not load spaCy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from medkg.nlp.documents import (
        EXTRACTOR_NAME,
        ExtractedDocument,
        ExtractedRelation,
        Mention,
        NoteInput,
    )
    from medkg.nlp.ingest import IngestResult, ingest_documents
    from medkg.nlp.pipeline import EXTRACTOR_VERSION, Extractor

_EXPORTS = {
    "EXTRACTOR_NAME": "medkg.nlp.documents",
    "ExtractedDocument": "medkg.nlp.documents",
    "ExtractedRelation": "medkg.nlp.documents",
    "Mention": "medkg.nlp.documents",
    "NoteInput": "medkg.nlp.documents",
    "IngestResult": "medkg.nlp.ingest",
    "ingest_documents": "medkg.nlp.ingest",
    "EXTRACTOR_VERSION": "medkg.nlp.pipeline",
    "Extractor": "medkg.nlp.pipeline",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'medkg.nlp' has no attribute {name!r}")


__all__ = [
    "EXTRACTOR_NAME",
    "EXTRACTOR_VERSION",
    "ExtractedDocument",
    "ExtractedRelation",
    "Extractor",
    "IngestResult",
    "Mention",
    "NoteInput",
    "ingest_documents",
]
