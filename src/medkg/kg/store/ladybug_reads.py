"""One read-only query on a Ladybug connection, as both the embedded store and
its query workers (:mod:`.query_worker`) run it.

Why a module of its own: the worker is a separate, light process that must not
import the store (its import builds the schema and the guard); both need the
same steps - a timeout, a read-only transaction rolled back whatever happens,
rows fetched only up to the cap - and the same one-line error messages.
"""

from __future__ import annotations

import contextlib
from typing import Any

from medkg.kg.store.values import plain


def clean_error(exc: Exception) -> str:
    """The engine's message, first line only (it appends context users cannot act on)."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def timeout_message(message: str, timeout_s: float) -> str:
    """The engine reports a stopped query as "Interrupted": say which limit stopped it."""
    if "interrupted" in message.lower() or "timeout" in message.lower():
        return f"query exceeded the {timeout_s:g} s timeout"
    return message


def read_only_rows(
    conn: Any, cypher: str, params: dict[str, Any] | None, *, timeout_ms: int, cap: int
) -> tuple[list[str], list[list[Any]]]:
    """``(engine column names, up to cap + 1 plain rows)``; raises the engine's
    ``RuntimeError``. The extra row tells the caller the answer was truncated."""
    conn.set_query_timeout(timeout_ms)
    conn.execute("BEGIN TRANSACTION READ ONLY")
    try:
        result = conn.execute(cypher, params or {})
        columns = list(result.get_column_names())
        rows: list[list[Any]] = []
        while result.has_next() and len(rows) < cap + 1:
            rows.append([plain(v) for v in result.get_next()])
        return columns, rows
    finally:
        # The engine may already have ended the transaction after an error.
        with contextlib.suppress(RuntimeError):
            conn.execute("ROLLBACK")
        conn.set_query_timeout(0)
