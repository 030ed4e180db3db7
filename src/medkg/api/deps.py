"""What the routers share: the process's service state and the dependencies that
hand its parts to a request.

Why one state object: the store, the trained models, the extraction pipeline,
the ingest jobs and the response cache live as long as the process and are
shared by every request thread. They are built once in the app's lifespan
(:mod:`medkg.api.app`) and reached through these dependencies, so a router
never builds one itself. The extraction pipeline takes seconds to build and
is built on first use, under a lock, then shared.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from fastapi import Depends, HTTPException, Request

from medkg.api.jobs import JobRunner
from medkg.api.response_cache import ResponseCache
from medkg.api.security import require_reader, require_writer
from medkg.fusion.trained import TrainedModels
from medkg.kg.store import GraphStore
from medkg.settings import Settings

if TYPE_CHECKING:
    from medkg.nlp.pipeline import Extractor


log = logging.getLogger("medkg.api.warm")


class ServiceState:
    """The process-wide parts of the service (``app.state.medkg``)."""

    def __init__(self, settings: Settings, store: GraphStore) -> None:
        self.settings = settings
        self.store = store
        self.models = TrainedModels(settings)
        self.cache = ResponseCache()
        self.jobs = JobRunner(store, self.extractor)
        self._extractor: Extractor | None = None
        self._extractor_lock = threading.Lock()
        #: Set once the models and the extraction pipeline are loaded (``/readyz``).
        self.warm = threading.Event()
        self.warm_seconds: float | None = None

    def extractor(self) -> Extractor:
        """The extraction pipeline, built on first use and then shared."""
        with self._extractor_lock:
            if self._extractor is None:
                from medkg.nlp.pipeline import Extractor

                self._extractor = Extractor(self.store, self.settings)
            return self._extractor

    def warm_up(self) -> None:
        """Load what the first request would otherwise wait for: the extraction
        pipeline, the trained models, the text encoder and the per-graph indexes,
        by running each ranking once on a patient built from the graph's own
        symptom names. Runs in the background at start-up; ``/readyz`` answers
        503 until it is done. A failure is logged, never fatal: requests then load
        lazily as before."""
        from medkg.fusion.rank import TASKS, rank_patient

        t0 = time.perf_counter()
        try:
            found = self.store.query("MATCH (s:Symptom) RETURN s.name LIMIT 3")
            names = [row[0] for row in found.rows if row[0]]
            text = "Patient reports " + (", ".join(names) if names else "fever and cough") + "."
            extractor = self.extractor()
            for task in TASKS:  # each extracts the text first: the pipeline warms too
                try:
                    rank_patient(task, self.store, self.models, extractor=extractor, text=text)
                except Exception as exc:  # an empty graph, no trials: nothing to warm
                    log.info("warm-up of %s skipped: %s", task, exc)
        except Exception:
            log.exception("warm-up failed; models will load on first use")
        finally:
            self.warm_seconds = round(time.perf_counter() - t0, 2)
            self.warm.set()

    def close(self) -> None:
        self.jobs.shutdown()


def get_state(request: Request) -> ServiceState:
    return request.app.state.medkg


def get_store(request: Request) -> GraphStore:
    return request.app.state.medkg.store


def require_node(store: GraphStore, node_id: str, label: str | None = None) -> dict[str, Any]:
    """The node's properties, or 404 naming the id (and the label, when one was given)."""
    found = store.get_node(node_id, label)
    if found is None:
        what = f"{label} node" if label else "node"
        raise HTTPException(404, f"no {what} with id {node_id!r}")
    return found


#: Route dependencies: a reader (or writer) key when keys are configured.
READER = [Depends(require_reader)]
WRITER = [Depends(require_writer)]
