"""Request ids, one JSON log line per request, and a request-body size limit.

Pure ASGI middleware (not ``BaseHTTPMiddleware``) so the body limit is enforced
while the body streams in: a declared length over the limit is refused before
anything is read, a chunked body as soon as it passes the limit.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("medkg.api")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        t0 = time.perf_counter()
        status = {"code": 500}
        limit = self.max_body_bytes

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            await _too_large(send_with_id, limit)
            self._log(scope, request_id, 413, t0)
            return
        # The body is read here, up to the limit, whatever its framing: a chunked
        # upload declares no length, and an error raised from inside the app's
        # body parsing would come back as FastAPI's 400, not 413.
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                chunks = []  # the client went away; the app sees the disconnect
                pending: Message | None = message
                break
            received += len(message.get("body", b""))
            if received > limit:
                await _too_large(send_with_id, limit)
                self._log(scope, request_id, 413, t0)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                pending = None
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                if pending is not None:
                    return pending
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        try:
            await self.app(scope, replay, send_with_id)
        finally:
            self._log(scope, request_id, status["code"], t0)

    @staticmethod
    def _log(scope: Scope, request_id: str, status: int, t0: float) -> None:
        record: dict[str, Any] = {
            "event": "request", "request_id": request_id, "method": scope.get("method"),
            "path": scope.get("path"), "status": status,
            "duration_ms": round((time.perf_counter() - t0) * 1000, 2),
            "client": (scope.get("client") or ("", 0))[0],
        }  # fmt: skip
        log.info(json.dumps(record))


async def _too_large(send: Any, limit: int) -> None:
    body = json.dumps({"detail": f"request body over the {limit:,}-byte limit"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
