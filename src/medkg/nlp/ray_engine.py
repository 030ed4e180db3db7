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

Why a note that kills its worker is retried alone, once: a segfault in native
code or the kernel's OOM killer ends the actor's process, so no Python handler
can name the note. Ray Data's defaults (restart the actor forever, retry its
task forever) then re-run the same batch on each new actor, and the job never
ends. Here a crashed task is not retried (``max_task_retries=0``); the actor is
restarted for the next batch, and Ray Data is told to skip the lost block
(``max_errored_blocks=-1``); the blocks queued on the dead actor are lost
with it. The notes that never came back are then run once more, one note per
block and one block per actor at a time: those whose worker dies again are
reported by id as failed, the rest are extracted as usual. Only a
cluster-level failure (every actor dying in start-up, the cluster going away)
ends the job, as :class:`RayJobError`.
"""

from __future__ import annotations

import logging
import os
import pickle
import traceback
import warnings
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
        returned: set[str] = set()
        for result in _run_pass(notes, lexicon, settings, workers, batch_size, factory):
            returned.add(result.doc_id)
            yield result
        lost = [n for n in notes if n.doc_id not in returned]
        if not lost:
            return
        # A worker process died on these notes' block: one note per block now,
        # so a second death names its note and spares the others.
        for result in _run_pass(lost, lexicon, settings, workers, batch_size, factory, alone=True):
            returned.add(result.doc_id)
            yield result
        for note in lost:
            if note.doc_id not in returned:
                yield FailedNote(note.doc_id, WORKER_DIED)
    finally:
        if started_here:
            ray.shutdown()


#: The error of a note whose worker process died twice while extracting it.
WORKER_DIED = (
    "the worker process died while extracting this note, twice (a crash in native "
    "code or the out-of-memory killer); the note is not stored"
)


def _run_pass(
    notes: Sequence[NoteInput],
    lexicon: Lexicon,
    settings: Settings,
    workers: int,
    batch_size: int,
    factory: ExtractorFactory,
    *,
    alone: bool = False,
) -> Iterator[ExtractedDocument | FailedNote]:
    """One Ray Data pass over ``notes``; the blocks of a dead worker are
    skipped (their notes simply do not come back). ``alone``: one note per
    block and batch, one block per actor at a time (the retry of lost notes)."""
    import ray
    import ray.data

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the CLI shows its own
    context.execution_options.preserve_order = False
    context.max_errored_blocks = -1  # a dead worker's block is skipped, see above
    # Ray Data's own notices and error reports are not the user's: a failure
    # comes back as a FailedNote or one RayJobError line
    logging.getLogger("ray.data").setLevel(logging.CRITICAL)
    rows = [{"doc_id": n.doc_id, "text": n.text} for n in notes]
    if alone:
        batch_size = 1
    blocks = len(rows) if alone else min(len(rows) // batch_size + 1, 4 * workers)
    with warnings.catch_warnings():
        # Ray 2.60 (pinned) warns that free-form remote args go away in 2.64, but
        # has no named parameter for the two retry limits yet
        warnings.simplefilter("ignore", DeprecationWarning)
        dataset = ray.data.from_items(rows, override_num_blocks=max(1, blocks)).map_batches(
            _ExtractBatches,
            fn_constructor_args=(lexicon, settings, factory),
            batch_size=batch_size,
            batch_format="numpy",
            # alone means alone: a block queued behind the one that kills its
            # actor would die with it
            compute=ray.data.ActorPoolStrategy(
                size=workers, max_tasks_in_flight_per_actor=1 if alone else None
            ),
            num_cpus=1,
            max_restarts=-1,  # a new actor for the next block ...
            max_task_retries=0,  # ... but the block it died on is not run again
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
            f"the Ray job failed ({type(cause).__name__}: the workers could not start or "
            "the cluster went away); documents written before it are kept, and a re-run "
            "extracts only the notes not yet stored"
        ) from exc


__all__ = ["RayJobError", "extract_on_ray", "ray_available"]
