"""Clinical-text extraction with scispaCy: entities, context, linking, provenance.

``extract`` turns text into :class:`~medkg.kg.extract.model.ExtractedDocument`
objects; ``ingest`` writes them into a graph store idempotently.
"""

from medkg.kg.extract.ingest import IngestResult, ingest_documents
from medkg.kg.extract.model import ExtractedDocument, ExtractedRelation, Mention, NoteInput
from medkg.kg.extract.pipeline import EXTRACTOR_NAME, EXTRACTOR_VERSION, Extractor

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
