"""``medkg ingest notes``: extract facts from clinical text into the graph."""

from __future__ import annotations

from typing import Annotated

import typer

from medkg.cli.common import console, print_json, progress, store_from_settings, user_errors
from medkg.settings import get_settings

app = typer.Typer(help="Extract facts from clinical text into the graph.", no_args_is_help=True)


@app.command("notes")
def ingest_notes_cmd(
    path: Annotated[
        str, typer.Argument(help="Folder of .txt, a .csv/.jsonl file, or - for stdin.")
    ],
    text_column: Annotated[str, typer.Option(help="CSV/JSONL column with the text.")] = "text",
    id_column: Annotated[str, typer.Option(help="CSV/JSONL column with the document id.")] = "id",
    processes: Annotated[int, typer.Option(min=1, help="spaCy worker processes.")] = 1,
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

    Idempotent per document id: an unchanged note writes nothing, a changed one
    replaces that document's facts only.
    """
    from medkg.nlp.ingest import ingest_documents
    from medkg.nlp.inputs import read_notes
    from medkg.nlp.pipeline import Extractor

    settings = get_settings()
    if create_unlinked:
        settings = settings.model_copy(update={"create_unlinked": True})
    with user_errors():  # NoteInputError lists every bad note, one line each
        notes = read_notes(
            path, text_column=text_column, id_column=id_column, max_chars=settings.max_note_chars
        )
    with store_from_settings() as store, progress() as bar:
        task = bar.add_task("loading the extraction pipeline", total=len(notes))
        extractor = Extractor(store, settings)
        bar.update(task, description="extracting")
        docs = extractor.extract(notes, n_process=processes, batch_size=batch_size)
        result = ingest_documents(store, docs, on_document=lambda _: bar.advance(task))
    if as_json:
        print_json(result.as_dict())
    else:
        console.print(
            f"documents: {result.created} new, {result.replaced} replaced, "
            f"{result.unchanged} unchanged; mentions written: {result.facts}; "
            f"relations: {result.relations}; new nodes: {result.new_nodes}; "
            f"negated/hypothetical/family mentions kept out: {result.excluded_mentions}"
        )
