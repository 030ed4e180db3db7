"""API keys with two roles: ``reader`` (query, explore, recommend) and ``writer`` (ingest).

Keys come from ``MEDKG_API_KEYS`` (``key:role`` pairs) and travel in the
``X-API-Key`` header. With no keys configured the API is open, which suits a
researcher's local session; a writer key can also read. Keys are compared in
constant time so response timing does not leak them. The dependencies are
``async`` because they do no I/O: a sync dependency would cost every request a
trip through the thread pool.
"""

from __future__ import annotations

import hmac
from typing import Literal

from fastapi import HTTPException, Request, Security
from fastapi.security import APIKeyHeader

Role = Literal["reader", "writer"]
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="medkg API key")


def _role_of(request: Request, key: str | None) -> Role | None:
    roles: dict[str, str] = request.app.state.api_keys
    if not roles:
        return "writer"
    if not key:
        raise HTTPException(
            401,
            "missing API key: send it in the X-API-Key header",
            headers={"WWW-Authenticate": "APIKey"},
        )
    for known, role in roles.items():
        if hmac.compare_digest(known.encode(), key.encode()):
            return role  # type: ignore[return-value]
    raise HTTPException(401, "unknown API key", headers={"WWW-Authenticate": "APIKey"})


async def require_reader(request: Request, key: str | None = Security(_header)) -> Role | None:
    return _role_of(request, key)


async def require_writer(request: Request, key: str | None = Security(_header)) -> Role | None:
    role = _role_of(request, key)
    if role != "writer":
        raise HTTPException(403, "this API key has the reader role; ingest needs a writer key")
    return role
