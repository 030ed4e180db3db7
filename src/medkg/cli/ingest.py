"""``medkg ingest notes``: extract facts from clinical text into the graph."""

from __future__ import annotations

from typing import Annotated

import typer

from medkg.cli.common import (
    console,
    error_line,
    print_json,
    progress,
    store_from_settings,
    user_errors,
)
from medkg.settings import get_settings

app = typer.Typer(help="Extract facts from clinical text into the graph.", no_args_is_help=True)


@app.command("notes")
def ingest_notes_cmd(
    path: Annotated[
        str, typer.Argument(help="Folder of .txt, a .csv/.jsonl file, or - for stdin.")
    ],
    text_column: Annotated[str, typer.Option(help="CSV/JSONL column with the text.")] = "text",
    id_column: Annotated[str, typer.Option(help="CSV/JSONL column with the document id.")] = "id",
    engine: Annotated[
        str,
        typer.Option(
            help="Where extraction runs: 'local' (this machine; --processes forks workers) or "
            "'ray' (Ray Data workers; RAY_ADDRESS joins a cluster, else a local one starts)."
        ),
    ] = "local",
    processes: Annotated[
        int, typer.Option(min=1, help="Extraction workers (processes, or Ray workers).")
    ] = 1,
    batch_size: Annotated[int, typer.Option(min=1)] = 32,
    create_unlinked: Annotated[
        bool,
        typer.Option(
            "--create-unlinked", help="Make new nodes (extracted=true) for unlinked mentions."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Extract entities and relations from notes and store them with provenance.

    Idempotent per document id: an unchanged note (same text, same extractor) is
    not extracted again and writes nothing, so an interrupted run resumes where it
    stopped; a changed one replaces that document's facts only. A note a Ray
    worker fails on is reported by id (exit status 1) and the others are written.
    """
    from medkg.nlp.bulk_ingest import ENGINES, ingest_notes
    from medkg.nlp.inputs import read_notes
    from medkg.nlp.ray_engine import RayJobError

    settings = get_settings()
    if create_unlinked:
        settings = settings.model_copy(update={"create_unlinked": True})
    if engine not in ENGINES:
        error_line(f"--engine: {engine!r} is not one of {', '.join(ENGINES)}")
        raise typer.Exit(2)
    with user_errors():  # NoteInputError lists every bad note, one line each
        notes = read_notes(
            path, text_column=text_column, id_column=id_column, max_chars=settings.max_note_chars
        )
    with store_from_settings() as store, progress() as bar:
        task = bar.add_task("loading the extraction pipeline", total=len(notes))

        def started(pending: int, skipped: int) -> None:
            # reset: the rate counts this run's notes, not the ones skipped as stored
            bar.reset(task, total=len(notes), completed=skipped,
                      description=f"extracting ({engine}, {skipped} already stored)")  # fmt: skip

        try:
            result = ingest_notes(
                store, notes, settings, engine=engine, processes=processes,  # type: ignore[arg-type]
                batch_size=batch_size, on_start=started, on_document=lambda _: bar.advance(task),
            )  # fmt: skip
        except RayJobError as exc:  # the Ray job failed as a whole
            error_line(str(exc))
            raise typer.Exit(1) from None
    if as_json:
        print_json(
            {
                **result.as_dict(),
                "failures": [{"id": f.doc_id, "error": f.error} for f in result.failures],
            }
        )
    else:
        console.print(
            f"documents: {result.created} new, {result.replaced} replaced, "
            f"{result.unchanged} unchanged; mentions written: {result.facts} "
            f"({result.discontinued} of them drugs the notes say were stopped); "
            f"relations: {result.relations}; new nodes: {result.new_nodes}; "
            f"reported drug allergies: {result.allergies}; "
            "negated/hypothetical/family/measured/allergen mentions kept out of the facts: "
            f"{result.excluded_mentions}"
        )
    for failure in result.failures:
        error_line(f"note {failure.doc_id}: not ingested: {failure.error}")
    if result.failures:
        raise typer.Exit(1)
