"""A pool of query worker processes: researchers' Cypher runs where an engine
crash, hang or memory blow-up cannot take the API down.

Each request borrows one idle worker (:mod:`medkg.kg.store.query_worker`),
sends it the already-guarded query and waits, polling every 20 ms, for one of:
the answer; the deadline (the query's timeout plus a grace second: the worker
is killed); the worker's resident memory over ``query_memory_mb`` (killed); or
the worker's death (a crash). A killed or dead worker is replaced in the
background while the others keep serving; the request gets a
:class:`~medkg.kg.store.base.QueryError` saying what happened (a 400: the
same query would do it again), or :class:`StoreUnavailable` (a 503) when no
worker is free in time. Memory is watched rather than capped with
``RLIMIT_AS`` because the engine reserves terabytes of address space up front.
Decision: docs/decisions/0013.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from medkg.kg.store.base import QueryError, QueryResult, StoreError, StoreUnavailable
from medkg.kg.store.ladybug_reads import timeout_message
from medkg.kg.store.query_worker import receive, send

log = logging.getLogger("medkg.kg.query_pool")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_POLL_S = 0.02
_GRACE_S = 1.0
_RETRIES = 5


def resident_bytes(pid: int) -> int | None:
    """The process's resident memory, from ``/proc`` (None where there is no ``/proc``)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return None


class _Process:
    """One live worker and its pipes."""

    def __init__(self, path: Path, buffer_mb: int, threads: int) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "medkg.kg.store.query_worker", str(path), str(buffer_mb),
             str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        assert self.popen.stdin is not None and self.popen.stdout is not None
        self.stdin, self.stdout = self.popen.stdin, self.popen.stdout
        hello = receive(self.stdout)
        if not hello or not hello.get("ready"):
            self.kill()
            raise StoreError("a query worker failed to start")

    @property
    def pid(self) -> int:
        return self.popen.pid

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()
        for stream in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                stream.close()


class QueryWorkerPool:
    """``size`` worker processes reading the embedded graph at ``path``."""

    def __init__(
        self,
        path: Path,
        size: int,
        *,
        memory_mb: int,
        buffer_mb: int,
        threads: int = 0,
        wait_s: float = 10.0,
    ) -> None:
        self.path, self.size = Path(path), size
        self.memory_bytes = memory_mb * 1024 * 1024
        self.buffer_mb, self.threads, self.wait_s = buffer_mb, threads, wait_s
        self._idle: queue.Queue[_Process] = queue.Queue()
        self._closed = False
        self._all: set[_Process] = set()
        self._lock = threading.Lock()
        #: What the pool has survived, for /v1/stats-like reporting and tests.
        self.counters = {"queries": 0, "timeouts": 0, "memory_kills": 0, "crashes": 0,
                         "restarts": 0}  # fmt: skip
        starters = [threading.Thread(target=self._start_one, daemon=True) for _ in range(size)]
        for t in starters:
            t.start()
        for t in starters:
            t.join()
        if self._idle.qsize() == 0:
            raise StoreError(f"no query worker could start on {self.path}")

    # -- workers -------------------------------------------------------------------
    def _start_one(self) -> None:
        for attempt in range(3):
            if self._closed:
                return
            try:
                proc = _Process(self.path, self.buffer_mb, self.threads)
            except (OSError, StoreError) as exc:
                log.warning("query worker start failed (attempt %d): %s", attempt + 1, exc)
                time.sleep(0.5)
                continue
            with self._lock:
                if self._closed:
                    proc.kill()
                    return
                self._all.add(proc)
            self._idle.put(proc)
            return

    def _replace(self, proc: _Process) -> None:
        proc.kill()
        with self._lock:
            self._all.discard(proc)
        self._count("restarts")
        threading.Thread(target=self._start_one, daemon=True).start()

    def _count(self, what: str) -> None:
        with self._lock:
            self.counters[what] += 1

    def close(self) -> None:
        with self._lock:
            self._closed = True
            procs = list(self._all)
            self._all.clear()
        for proc in procs:
            proc.kill()

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return sorted(p.pid for p in self._all)

    # -- queries -------------------------------------------------------------------
    def query(
        self,
        cypher: str,
        params: dict[str, Any] | None,
        *,
        version: int,
        timeout_s: float,
        row_cap: int,
    ) -> QueryResult:
        """Run an already-guarded read query on a worker (see the module docstring)."""
        request = {"query": cypher, "params": params or {}, "version": version,
                   "timeout_ms": int(timeout_s * 1000), "cap": row_cap}  # fmt: skip
        for attempt in range(_RETRIES):
            answer = self._ask(request, timeout_s)
            if answer.get("ok"):
                return QueryResult(answer["columns"], answer["rows"], answer["truncated"])
            if not answer.get("transient"):
                raise QueryError(timeout_message(answer["error"], timeout_s))
            time.sleep(0.1 * (attempt + 1))  # the writer is checkpointing: try again shortly
        raise StoreUnavailable("the graph is being written to; retry the query in a moment")

    def _ask(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        try:
            proc = self._idle.get(timeout=self.wait_s)
        except queue.Empty:
            raise StoreUnavailable(
                f"all {self.size} query workers are busy or restarting; retry in a moment"
            ) from None
        self._count("queries")
        try:
            send(proc.stdin, request)
        except (BrokenPipeError, OSError):
            self._replace(proc)
            raise StoreUnavailable("a query worker was restarting; retry in a moment") from None
        deadline = time.monotonic() + timeout_s + _GRACE_S
        fd = proc.stdout.fileno()
        while True:
            ready, _, _ = select.select([fd], [], [], _POLL_S)
            if ready:
                answer = receive(proc.stdout)
                if answer is not None:
                    self._idle.put(proc)
                    return answer
                return self._died(proc)
            if proc.popen.poll() is not None:
                return self._died(proc)
            rss = resident_bytes(proc.pid)
            if rss is not None and rss > self.memory_bytes:
                self._count("memory_kills")
                self._replace(proc)
                raise QueryError(
                    f"query needed more than {self.memory_bytes // 2**20:,} MB of memory and "
                    "was stopped; narrow it (a LIMIT, fewer hops, smaller ranges)"
                )
            if time.monotonic() > deadline:
                self._count("timeouts")
                self._replace(proc)
                raise QueryError(f"query exceeded the {timeout_s:g} s timeout and was stopped")

    def _died(self, proc: _Process) -> dict[str, Any]:
        proc.popen.wait()
        code = proc.popen.returncode
        self._count("crashes")
        self._replace(proc)
        if code == -signal.SIGKILL:  # not the engine: the OOM killer or an operator
            raise StoreUnavailable(
                "the query worker running this query was killed from outside (signal 9: the "
                "machine ran out of memory, or an operator stopped it); retry in a moment"
            )
        how = f"signal {-code}" if code and code < 0 else f"exit code {code}"
        raise QueryError(
            f"the query crashed the graph engine's query worker ({how}) and was stopped; "
            "the service is unaffected. Simplify the query (less nesting) and retry"
        )
