"""Ingest jobs: extraction runs off the request thread, one job at a time.

Why one at a time: the embedded store has a single writer, and extraction is
CPU-bound on a 2-core machine. Job records live in memory: a restart forgets
them, which is safe because ingest is idempotent per document id - resubmit.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from medkg.kg.store.base import GraphStore
from medkg.nlp.documents import NoteInput

if TYPE_CHECKING:
    from medkg.nlp.pipeline import Extractor

MAX_KEPT_JOBS = 1000


@dataclass
class Job:
    id: str
    documents: int
    status: str = "queued"  # queued | running | done | failed
    counts: dict[str, int] = field(default_factory=dict)
    processed: int = 0
    error: str | None = None
    submitted_at: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )
    finished_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class JobRunner:
    def __init__(self, store: GraphStore, extractor: Callable[[], Extractor]) -> None:
        self._store = store
        self._extractor = extractor
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="medkg-ingest")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, notes: list[NoteInput]) -> tuple[Job, Any]:
        job = Job(id=uuid.uuid4().hex, documents=len(notes))
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_KEPT_JOBS:
                self._jobs.pop(next(iter(self._jobs)))
        return job, self._pool.submit(self._run, job, notes)

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def _run(self, job: Job, notes: list[NoteInput]) -> None:
        from medkg.nlp.bulk_ingest import ingest_notes  # the pipeline's imports: on first job

        job.status = "running"
        try:
            extractor = self._extractor()

            def advance(_: object) -> None:
                job.processed += 1

            def skipped(_pending: int, stored: int) -> None:
                job.processed += stored  # already stored with this text and extractor

            result = ingest_notes(
                self._store, notes, extractor.settings, extractor=extractor,
                on_start=skipped, on_document=advance,
            )  # fmt: skip
            job.counts = result.as_dict()
            job.status = "done"
        except Exception as exc:  # a job must end in a state, whatever broke
            job.status = "failed"
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            job.finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
