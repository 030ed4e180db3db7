"""Ingest many notes: skip what is already stored, extract the rest on an engine,
write as documents arrive.

Two engines share everything but where extraction runs: ``local`` (this process,
or ``processes`` forked workers: :meth:`.pipeline.Extractor.extract`) and
``ray`` (Ray Data actors on a local or existing cluster: :mod:`.ray_engine`).
Both see the same up-front input checks (the caller read the notes with
:func:`.inputs.read_notes`), the same resume rule (:func:`.ingest.pending_notes`:
a note stored with the same text hash and extractor version is not extracted
again, so an interrupted run resumes without duplicates) and the same writer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from medkg.kg.store.base import GraphStore
from medkg.nlp.documents import ExtractedDocument, NoteInput
from medkg.nlp.ingest import FailedNote, IngestResult, ingest_documents, pending_notes
from medkg.nlp.pipeline import Extractor
from medkg.settings import Settings

Engine = Literal["local", "ray"]
ENGINES: tuple[Engine, ...] = ("local", "ray")


def ingest_notes(
    store: GraphStore,
    notes: Sequence[NoteInput],
    settings: Settings,
    *,
    engine: Engine = "local",
    processes: int = 1,
    batch_size: int = 32,
    on_start: Callable[[int, int], None] | None = None,
    on_document: Callable[[ExtractedDocument | FailedNote], None] | None = None,
    factory: Callable | None = None,
    extractor: Extractor | None = None,
) -> IngestResult:
    """Extract and write ``notes``; ``on_start(pending, skipped)`` once the
    pipeline is loaded and the stored notes are known, ``on_document`` per
    written (or failed) note. ``factory``: the Ray workers' extractor builder
    (tests inject faults through it). ``extractor``: one already loaded (the
    API keeps one), else one is built from ``settings``."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (one of: {', '.join(ENGINES)})")
    if engine == "ray":
        from medkg.nlp.ray_engine import ray_available

        if not ray_available():
            raise ValueError("the ray engine needs Ray Data: pip install 'medkg[scale]'")
    extractor = extractor or Extractor(store, settings)
    todo, skipped = pending_notes(store, notes, extractor.version)
    if on_start:
        on_start(len(todo), skipped)
    result = IngestResult(unchanged=skipped)
    if engine == "local":
        docs = extractor.extract(todo, n_process=processes, batch_size=batch_size)
        return ingest_documents(store, docs, on_document, result)
    from medkg.nlp.ray_engine import default_factory, extract_on_ray

    lexicon = extractor.lexicon
    del extractor  # the workers hold their own pipelines; free this one's models
    docs_on_ray = extract_on_ray(
        todo, lexicon, settings, workers=processes, batch_size=batch_size,
        factory=factory or default_factory,
    )  # fmt: skip
    return ingest_documents(store, docs_on_ray, on_document, result)
