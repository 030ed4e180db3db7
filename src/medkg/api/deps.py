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

import threading
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

    def extractor(self) -> Extractor:
        """The extraction pipeline, built on first use and then shared."""
        with self._extractor_lock:
            if self._extractor is None:
                from medkg.nlp.pipeline import Extractor

                self._extractor = Extractor(self.store, self.settings)
            return self._extractor

    def close(self) -> None:
        self.jobs.shutdown()


def get_state(request: Request) -> ServiceState:
    return request.app.state.medkg


def get_store(request: Request) -> GraphStore:
    return request.app.state.medkg.store


def require_node(store: GraphStore, node_id: str) -> dict[str, Any]:
    """The node's properties, or 404 naming the id."""
    found = store.get_node(node_id)
    if found is None:
        raise HTTPException(404, f"no node with id {node_id!r}")
    return found


#: Route dependencies: a reader (or writer) key when keys are configured.
READER = [Depends(require_reader)]
WRITER = [Depends(require_writer)]
