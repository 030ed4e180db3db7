"""Hostile requests against `medkg serve` as a real process on a real embedded
store (issue 20): every case is answered 4xx (or 503 while a worker restarts),
the server keeps answering `/healthz`, and the store is unchanged at the end."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from medkg.kg.importers.hetionet import HetionetSource, import_hetionet
from medkg.kg.store.embedded import EmbeddedStore
from medkg.settings import Settings
from tests.api.hostile import Case, cypher_cases, input_cases
from tests.conftest import HETIONET, SHARED, needs_hetionet, store_fingerprint

pytestmark = needs_hetionet
READER, WRITER = "rk", "wk"
#: Cartesian product that streams (little memory) for several seconds.
LONG_QUERY = (
    "UNWIND range(1, 60000) AS x UNWIND range(1, 60000) AS y "
    "WITH x, y WHERE (x * y) % 7 = 1 RETURN count(*) AS n"
)


@dataclass
class Server:
    port: int
    proc: subprocess.Popen  # type: ignore[type-arg]
    root: Path
    fingerprint: str
    log: Path
    readyz: list[int] = field(default_factory=list)

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
        key: str = WRITER, timeout: float = 120,
    ) -> tuple[int, dict[str, Any]]:  # fmt: skip
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
            headers={"X-API-Key": key, "Content-Type": "application/json", **(headers or {})},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=timeout) as res:
                return res.status, json.loads(res.read() or b"{}")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")

    def worker_pids(self) -> list[int]:
        """The server's query worker processes (children running the worker module)."""
        pids = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                cmd = (proc / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if int(stat[1]) == self.proc.pid and "query_worker" in cmd:
                pids.append(int(proc.name))
        return sorted(pids)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(root: Path, **env_extra: str) -> Server:
    """`medkg serve` on a fresh Hetionet slice in ``root``, waited for until /readyz is 200."""
    settings = Settings(data_dir=root, shared_data_dir=SHARED, backend="embedded")
    store = EmbeddedStore(settings.graph_dir / "medkg.lbug", settings)
    import_hetionet(store, HetionetSource.from_dir(HETIONET), max_edges_per_type=100)
    before = store_fingerprint(store)
    store.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEDKG_", "NEO4J_"))}
    env.update(
        MEDKG_DATA_DIR=str(root), MEDKG_SHARED_DATA_DIR=str(SHARED), MEDKG_BACKEND="embedded",
        MEDKG_API_KEYS=f"{READER}:reader,{WRITER}:writer", MEDKG_WARM_START="true",
        MEDKG_QUERY_MEMORY_MB="1024", MEDKG_QUERY_WORKER_BUFFER_MB="128",
    )  # fmt: skip
    env.update(env_extra)
    port = _free_port()
    log = root / "server.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "medkg", "serve", "--port", str(port)],
            env=env, stdout=fh, stderr=subprocess.STDOUT,
        )  # fmt: skip
    srv = Server(port, proc, root, before, log)
    deadline = time.monotonic() + 180
    while True:
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "server did not get ready"
        try:
            status, _ = srv.request("GET", "/readyz", timeout=5)
            srv.readyz.append(status)
            if status == 200:
                return srv
        except OSError:
            pass
        time.sleep(0.2)


def stop_server(srv: Server) -> None:
    if srv.proc.poll() is None:
        srv.proc.send_signal(signal.SIGTERM)
        srv.proc.wait(timeout=60)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("hostile"))
    yield srv
    stop_server(srv)


def _alive(server: Server) -> None:
    status, body = server.request("GET", "/healthz", timeout=10)
    assert status == 200 and body == {"status": "ok"}


def test_ready_only_after_warm_up(server: Server) -> None:
    assert server.readyz[-1] == 200
    _, body = server.request("GET", "/readyz")
    assert body["status"] == "ready" and body["warm_up_s"] >= 0
    assert set(server.readyz[:-1]) <= {503}  # never ready before the warm-up ended


@pytest.mark.parametrize("case", cypher_cases() + input_cases(), ids=lambda c: c[0])
def test_hostile_request_is_a_client_error(server: Server, case: Case) -> None:
    name, method, path, body, headers, allowed = case
    t0 = time.monotonic()
    status, answer = server.request(method, path, body, headers)
    assert status in allowed, (name, status, answer)
    assert answer.get("detail"), answer
    assert time.monotonic() - t0 < 60
    _alive(server)


def test_a_killed_worker_costs_one_query(server: Server) -> None:
    pids = server.worker_pids()
    assert len(pids) == 2
    answers: list[tuple[int, dict[str, Any]]] = []
    runner = threading.Thread(target=lambda: answers.append(server.request(
        "POST", "/v1/cypher", {"query": LONG_QUERY, "timeout_s": 60}, key=READER)))  # fmt: skip
    runner.start()
    time.sleep(1.0)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    runner.join(timeout=60)
    status, answer = answers[0]
    assert status in (400, 503) and "worker" in answer["detail"]
    deadline = time.monotonic() + 30
    while True:  # replacements start in the background; 503 meanwhile
        status, answer = server.request("POST", "/v1/cypher", {"query": "RETURN 1 AS one"})
        if status == 200:
            break
        assert status == 503 and time.monotonic() < deadline, answer
        time.sleep(0.2)
    assert answer["rows"] == [{"one": 1}]
    assert set(server.worker_pids()).isdisjoint(pids)


def test_chunked_body_over_the_limit_is_413(server: Server) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.putrequest("POST", "/v1/cypher")
    for k, v in {"X-API-Key": READER, "Content-Type": "application/json",
                 "Transfer-Encoding": "chunked"}.items():  # fmt: skip
        conn.putheader(k, v)
    conn.endheaders()
    try:
        for _ in range(300):  # 3 MB in 10 KB chunks, no Content-Length
            conn.send(b"2800\r\n" + b" " * 10240 + b"\r\n")
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before the rest arrived
    res = conn.getresponse()
    assert res.status == 413 and "limit" in json.loads(res.read())["detail"]
    _alive(server)


def test_keep_alive_connection_survives_errors(server: Server) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    head = {"X-API-Key": READER, "Content-Type": "application/json"}
    for body, want in [
        (b'{"query": "RETURN \\"\\ud800\\""}', 422),
        (json.dumps({"query": "RETURN " + "[" * 500 + "1" + "]" * 500}).encode(), 400),
        (b'{"query": ', 422),
        (json.dumps({"query": "RETURN 1 AS one"}).encode(), 200),
    ]:
        conn.request("POST", "/v1/cypher", body=body, headers=head)
        res = conn.getresponse()
        res.read()
        assert res.status == want
    conn.close()


def test_text_without_sentence_breaks_is_linear(server: Server) -> None:
    for path in ("/v1/diagnose", "/v1/trials/match"):
        status, answer = server.request(
            "POST", path, {"patient": {"text": "fever " * 16_000}}, timeout=120
        )
        assert status in (200, 400), answer
    _alive(server)


def test_a_second_server_on_the_same_store_is_one_error_line(server: Server) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEDKG_", "NEO4J_"))}
    env.update(MEDKG_DATA_DIR=str(server.root), MEDKG_BACKEND="embedded")
    second = subprocess.run(
        [sys.executable, "-m", "medkg", "serve", "--port", str(_free_port())],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert second.returncode == 1
    assert "in use by another process" in second.stderr and "Traceback" not in second.stderr
    assert len(second.stderr.strip().splitlines()) <= 3, second.stderr
    _alive(server)


def test_store_unchanged_logs_written_nothing_left_behind(server: Server) -> None:
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=60)
    settings = Settings(data_dir=server.root, backend="embedded")
    store = EmbeddedStore(settings.graph_dir / "medkg.lbug", settings)
    try:
        assert store_fingerprint(store) == server.fingerprint
    finally:
        store.close()
    assert not list(settings.graph_dir.glob(".medkg-import-*"))
    lines = [json.loads(x) for x in server.log.read_text().splitlines() if x.startswith('{"event"')]
    statuses = {rec["status"] for rec in lines if rec["event"] == "request"}
    assert {200, 400, 413, 422} <= statuses
    assert all(len(rec["request_id"]) == 32 for rec in lines)
    assert "Traceback" not in server.log.read_text()
