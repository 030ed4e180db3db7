"""Bulk extraction on Ray Data: model-holding workers extract, the caller writes.

What: :func:`extract_on_ray` turns notes into a Ray dataset and maps batches of
them through a pool of actors, each holding one :class:`~.pipeline.Extractor`
(the spaCy pipeline, the NER on its runtime, the relation classifier), built
once per actor from a lexicon the caller made from the graph. Extracted
documents stream back to the caller as plain
:class:`~.documents.ExtractedDocument` objects in the order they finish, and
the caller writes them through the same idempotent writer as the local path
(:func:`.ingest.ingest_documents`), so provenance and re-run behaviour are the
same. ``RAY_ADDRESS`` (or ``address``) joins an existing cluster; otherwise a
local one starts for the call and stops after it.

Why the writes stay with the caller: the embedded store is one file that one
process may write, and one writer keeps every document's replace-then-stamp
order intact; extraction, not writing, is the cost (docs/results.md).

Why a failing note does not stop the job: in a bulk run over millions of notes
one pathological note must not throw away the hours of work around it. A batch
that raises is re-run note by note in the worker, and each note that still
raises comes back as a :class:`~.ingest.FailedNote` (id and error); the others
are written, and a re-run after a fix extracts only what is missing.
"""

from __future__ import annotations

import logging
import os
import pickle
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from medkg.nlp.documents import ExtractedDocument, NoteInput
from medkg.nlp.ingest import FailedNote
from medkg.nlp.lexicon import Lexicon
from medkg.settings import Settings

#: Builds a worker's extractor from the caller's lexicon and settings.
ExtractorFactory = Callable[[Lexicon, Settings], Any]
#: Object store of a local cluster: small, the documents stream through it.
LOCAL_OBJECT_STORE_BYTES = 512 * 1024 * 1024


class RayJobError(RuntimeError):
    """The Ray job itself failed (a worker process died, the cluster went away);
    what was written before stays, and a re-run resumes after it."""


def ray_available() -> bool:
    """Is Ray Data installed (``pip install 'medkg[scale]'``)?"""
    try:
        import ray.data  # noqa: F401
    except ImportError:
        return False
    return True


def default_factory(lexicon: Lexicon, settings: Settings) -> Any:
    from medkg.nlp.pipeline import Extractor

    return Extractor(None, settings, lexicon=lexicon)


class _ExtractBatches:
    """The Ray actor: one extractor, many batches."""

    def __init__(self, lexicon: Lexicon, settings: Settings, factory: ExtractorFactory) -> None:
        self.extractor = factory(lexicon, settings)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        pairs = zip(batch["doc_id"], batch["text"], strict=True)
        notes = [NoteInput(str(i), str(t)) for i, t in pairs]
        try:
            results: list[ExtractedDocument | FailedNote] = list(
                self.extractor.extract_batch(notes)
            )
        except Exception:  # find the note(s) at fault, keep the rest
            results = [self._one(note) for note in notes]
        payload = [b"" if isinstance(r, FailedNote) else pickle.dumps(r) for r in results]
        errors = [r.error if isinstance(r, FailedNote) else "" for r in results]
        return {
            "doc_id": np.array([n.doc_id for n in notes], dtype=object),
            "payload": np.array(payload, dtype=object),
            "error": np.array(errors, dtype=object),
        }

    def _one(self, note: NoteInput) -> ExtractedDocument | FailedNote:
        try:
            return self.extractor.extract_batch([note])[0]
        except Exception as exc:  # the note is reported, the batch goes on
            where = traceback.extract_tb(exc.__traceback__)[-1]
            return FailedNote(
                note.doc_id,
                f"{type(exc).__name__}: {exc} ({os.path.basename(where.filename)}:{where.lineno})",
            )


def extract_on_ray(
    notes: Sequence[NoteInput],
    lexicon: Lexicon,
    settings: Settings,
    *,
    workers: int = 2,
    batch_size: int = 32,
    address: str | None = None,
    factory: ExtractorFactory = default_factory,
) -> Iterator[ExtractedDocument | FailedNote]:
    """Extract ``notes`` on ``workers`` Ray actors (one CPU each); documents and
    failed notes in the order they finish."""
    if not notes:
        return
    import ray
    import ray.data

    address = address or os.environ.get("RAY_ADDRESS") or None
    started_here = not ray.is_initialized()
    if started_here:
        local = address is None
        ray.init(
            address=address,
            num_cpus=workers if local else None,
            object_store_memory=LOCAL_OBJECT_STORE_BYTES if local else None,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
            configure_logging=True,
        )  # fmt: skip
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the CLI shows its own
        context.execution_options.preserve_order = False
        # Ray Data's own notices and error reports are not the user's: a failure
        # comes back as one RayJobError line
        logging.getLogger("ray.data").setLevel(logging.CRITICAL)
        rows = [{"doc_id": n.doc_id, "text": n.text} for n in notes]
        blocks = max(1, min(len(rows) // batch_size + 1, 4 * workers))
        dataset = ray.data.from_items(rows, override_num_blocks=blocks).map_batches(
            _ExtractBatches,
            fn_constructor_args=(lexicon, settings, factory),
            batch_size=batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=1,
        )
        try:
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                for doc_id, payload, error in zip(
                    batch["doc_id"], batch["payload"], batch["error"], strict=True
                ):
                    if error:
                        yield FailedNote(str(doc_id), str(error))
                    else:
                        yield pickle.loads(payload)
        except ray.exceptions.RayError as exc:
            cause = getattr(exc, "cause", None) or exc
            raise RayJobError(
                f"the Ray job failed ({type(cause).__name__}: a worker process died or the "
                "cluster went away); documents written before it are kept, and a re-run "
                "extracts only the notes not yet stored"
            ) from exc
    finally:
        if started_here:
            ray.shutdown()


__all__ = ["RayJobError", "extract_on_ray", "ray_available"]
