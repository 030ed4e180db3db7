"""Serialized responses of the explorer's hot reads, keyed on the store's write generation.

Why: at 50 concurrent clients on 2 cores, building 50 pydantic models and
JSON for a neighbourhood costs more than finding it. A store that counts its
writes (the embedded one: ``generation``) lets the API keep the bytes and
serve repeats from the event loop; any write changes the generation, so a
cached answer is never older than the last write. Stores that other processes
write to (Neo4j) have no generation and are never cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

MAX_ENTRIES = 4096


class ResponseCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._data: OrderedDict[tuple, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    @staticmethod
    def _generation(store: Any) -> int | None:
        return getattr(store, "generation", None)

    def get(self, store: Any, key: tuple) -> bytes | None:
        gen = self._generation(store)
        if gen is None:
            return None
        with self._lock:
            body = self._data.get((gen, *key))
            if body is not None:
                self._data.move_to_end((gen, *key))
            return body

    def put(self, store: Any, key: tuple, body: bytes) -> None:
        gen = self._generation(store)
        if gen is None:
            return
        with self._lock:
            self._data[(gen, *key)] = body
            while len(self._data) > self._max:
                self._data.popitem(last=False)
