"""One query worker: a child process that runs researchers' Cypher on a
read-only view of the embedded graph (``python -m medkg.kg.store.query_worker``).

Why a separate process: the embedded engine runs inside whatever process
calls it, so a query that crashes it (a segfault), hangs it past its own
timeout (binding ignores it; ``range(1, 3e8)`` is materialised before the
timeout is looked at) or blows up its memory would take the API down with it.
Here it takes down only this worker, which the pool
(:mod:`medkg.kg.store.query_pool`) kills and replaces.

Protocol, on stdin/stdout: length-prefixed JSON messages, one request and one
answer at a time. The process's own stdout is pointed at stderr first so that
nothing the engine prints can corrupt the channel. The graph is opened read-only
(other processes may hold it read-write) and reopened when the request says the
store has been written since (``version``), so answers see committed writes.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import struct
import sys
from typing import Any, BinaryIO

_HEADER = struct.Struct("!I")


def send(stream: BinaryIO, message: dict[str, Any]) -> None:
    body = json.dumps(message, default=str).encode("utf-8")
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()


def receive(stream: BinaryIO) -> dict[str, Any] | None:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None  # the parent went away
    (size,) = _HEADER.unpack(head)
    return json.loads(stream.read(size))


#: Engine messages that mean "the writer is mid-checkpoint": worth a retry, not the user's fault.
TRANSIENT = (
    "checkpoint recovery is pending", "reading past the end of the file",
    "wal file is corrupted", "invalid local node offset",
)  # fmt: skip


class Worker:
    def __init__(self, path: str, buffer_mb: int, threads: int) -> None:
        self.path, self.buffer_mb, self.threads = path, buffer_mb, threads
        self.version: int | None = None
        self.db: Any = None
        self.conn: Any = None

    def _open(self, version: int) -> None:
        import ladybug as lb

        self._close()
        self.db = lb.Database(
            self.path, read_only=True, buffer_pool_size=self.buffer_mb * 1024 * 1024,
            max_num_threads=self.threads,
        )  # fmt: skip
        self.conn = lb.Connection(self.db)
        self.version = version

    def _close(self) -> None:
        for part in (self.conn, self.db):
            if part is not None:
                with contextlib.suppress(RuntimeError):
                    part.close()
        self.conn = self.db = None
        self.version = None

    def run(self, req: dict[str, Any]) -> dict[str, Any]:
        from medkg.kg.store.ladybug_reads import clean_error, read_only_rows

        cap = int(req["cap"])
        try:
            if self.conn is None or self.version != req["version"]:
                self._open(req["version"])
            columns, rows = read_only_rows(
                self.conn, req["query"], req.get("params"),
                timeout_ms=int(req["timeout_ms"]), cap=cap,
            )  # fmt: skip
        except (RuntimeError, ValueError, TypeError) as exc:
            message = clean_error(exc)
            transient = any(t in message.lower() for t in TRANSIENT)
            if transient:
                self._close()  # reopen from a clean state next time
            return {"ok": False, "error": message, "transient": transient}
        return {"ok": True, "columns": columns, "rows": rows[:cap], "truncated": len(rows) > cap}


def main() -> None:
    path, buffer_mb, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file behind
    channel_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever the engine prints goes to stderr, not into the channel
    channel_in = os.fdopen(0, "rb")
    worker = Worker(path, buffer_mb, threads)
    send(channel_out, {"ready": True, "pid": os.getpid()})
    while (req := receive(channel_in)) is not None:
        send(channel_out, worker.run(req))


if __name__ == "__main__":
    main()
