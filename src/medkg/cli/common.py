"""What every command group shares: consoles, the error-line policy, the store,
progress bars and the tables answers are shown in.

Errors a user can cause (bad files, bad Cypher, a busy store, a missing node)
print one ``error: ...`` line and exit with status 1 (2 for usage), never a
stack trace. Set ``MEDKG_DEBUG=1`` to see the trace anyway.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from medkg.kg.importers.batch import ImportFormatError
from medkg.kg.schema import SchemaError
from medkg.kg.store import GraphStore, QueryResult, StoreError, open_store
from medkg.settings import get_settings

if TYPE_CHECKING:
    from medkg.fusion.evidence import Ranking

console = Console()
err_console = Console(stderr=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can cause into ``error:`` lines on stderr and exit status 1.

    A message may list several problems (one per line), e.g. every bad note of an ingest.
    """
    try:
        yield
    except (StoreError, ImportFormatError, SchemaError, ValueError, OSError) as exc:
        if os.environ.get("MEDKG_DEBUG"):
            raise
        for line in str(exc).splitlines() or [type(exc).__name__]:
            error_line(line)
        raise typer.Exit(1) from None


def error_line(message: str) -> None:
    """One ``error: ...`` line on stderr, as every command prints its errors."""
    err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)


@contextmanager
def store_from_settings() -> Iterator[GraphStore]:
    """The configured store, closed afterwards; store errors are error lines."""
    with user_errors():
        store = open_store(get_settings())
    try:
        with user_errors():
            yield store
    finally:
        store.close()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def result_table(result: QueryResult, title: str | None = None) -> Table:
    table = Table(title=title)
    for col in result.columns:
        table.add_column(col, overflow="fold")
    for row in result.rows:
        table.add_row(*[v if isinstance(v, str) else json.dumps(v, default=str) for v in row])
    return table


def require_node(store: GraphStore, node_id: str, label: str | None = None) -> dict[str, Any]:
    found = store.get_node(node_id, label)
    if found is None:
        raise StoreError(f"no {label + ' ' if label else ''}node with id {node_id!r}")
    return found


class _RateColumn(ProgressColumn):
    """Items per second over the last seconds (rich's own estimate), once known."""

    def render(self, task: Task) -> Text:
        speed = task.speed
        return Text(f"{speed:.1f}/s" if speed else "", style="progress.data.speed")


def progress() -> Progress:
    """The progress bar long commands show on stderr."""
    return Progress(
        TextColumn("{task.description:<40}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


def flag_text(flags: dict[str, Any]) -> str:
    """What a reader must see beside an item, in a few words: a known
    treatment, an allergy conflict, the patient's own drug, a trial's exclusion
    (the JSON answer has the whole of each flag)."""
    parts = ["known treatment"] if flags.get("known") else []
    if conflict := flags.get("allergy_conflict"):
        parts.append(f"allergy conflict: {conflict[0]}")
    if med := flags.get("patient_medication"):
        parts.append("the patient takes it" if med["status"] == "current" else
                     "the patient stopped it")  # fmt: skip
    if excluded := flags.get("excluded_by"):
        parts.append("excluded by " + ", ".join(excluded))
    return "; ".join(parts)


def show_ranking(ranking: Ranking, as_json: bool) -> None:
    """A ranking as a table (evidence: the first path of each item) and its notes,
    or the whole answer as JSON, as the API returns it."""
    if as_json:
        print_json(json.loads(ranking.model_dump_json()))
        return
    table = Table(title=f"{ranking.task}: {ranking.method}")
    for col in ("#", "id", "name", "score", "flags", "evidence"):
        table.add_column(col)
    for i, item in enumerate(ranking.items, 1):
        ev = item.evidence[0].text if item.evidence else ""
        table.add_row(
            str(i), item.id, item.name or "", f"{item.score:.3f}", flag_text(item.flags), ev
        )
    console.print(table)
    for note in ranking.notes:
        err_console.print(f"note: {note}")
