"""The ``medkg`` command line: one entry point, one subcommand per job.

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
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from medkg.kg.importers.hetionet import HetionetSource, ImportFormatError, import_hetionet
from medkg.kg.schema import SchemaError
from medkg.kg.store import GraphStore, QueryResult, StoreError, open_store
from medkg.settings import PROJECT_ROOT, Settings, get_settings

app = typer.Typer(
    name="medkg",
    help="A multimodal biomedical knowledge graph "
    "(embedded by default, Neo4j when NEO4J_URI is set).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
import_app = typer.Typer(help="Bulk-import public graphs.", no_args_is_help=True)
app.add_typer(import_app, name="import")
ingest_app = typer.Typer(
    help="Extract facts from clinical text into the graph.", no_args_is_help=True
)
app.add_typer(ingest_app, name="ingest")

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
            err_console.print(f"[red]error:[/red] {escape(line)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@contextmanager
def store_from_settings() -> Iterator[GraphStore]:
    with user_errors():
        store = open_store(get_settings())
    try:
        with user_errors():
            yield store
    finally:
        store.close()


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def _result_table(result: QueryResult, title: str | None = None) -> Table:
    table = Table(title=title)
    for col in result.columns:
        table.add_column(col, overflow="fold")
    for row in result.rows:
        table.add_row(*[v if isinstance(v, str) else json.dumps(v, default=str) for v in row])
    return table


def _require_node(store: GraphStore, node_id: str) -> dict[str, Any]:
    found = store.get_node(node_id)
    if found is None:
        raise StoreError(f"no node with id {node_id!r}")
    return found


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<40}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


# -- import ------------------------------------------------------------------------
@import_app.command("hetionet")
def import_hetionet_cmd(
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Folder with Hetionet files (default: the shared data folder)."),
    ] = None,
    nodes: Annotated[Path | None, typer.Option(help="hetionet-v1.0-nodes.tsv")] = None,
    edges_dir: Annotated[
        Path | None, typer.Option(help="Folder of Neo4j-import edge TSVs.")
    ] = None,
    sif: Annotated[Path | None, typer.Option(help="hetionet-v1.0-edges.sif.gz")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="hetionet-v1.0.json.bz2")] = None,
    max_edges_per_type: Annotated[
        int | None, typer.Option(min=1, help="Import a slice: the first N edges of each type.")
    ] = None,
) -> None:
    """Import Hetionet v1.0 (idempotent: re-running adds nothing)."""
    with user_errors():
        if json_file or sif or edges_dir or nodes:
            source = HetionetSource(nodes=nodes, edges_dir=edges_dir, sif=sif, json=json_file)
        else:
            source = HetionetSource.from_dir(directory or get_settings().hetionet_dir)
    with store_from_settings() as store, _progress() as bar:
        task = bar.add_task("reading", total=None)

        def on_progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        summary = import_hetionet(store, source, on_progress, max_edges_per_type)
    table = Table(title=f"Hetionet import into {store.backend} store")
    for col in ("kind", "label / type", "created", "updated", "unchanged"):
        table.add_column(
            col, justify="right" if col in ("created", "updated", "unchanged") else "left"
        )
    for kind, name, c in _summary_rows(summary):
        table.add_row(kind, name, str(c.created), str(c.updated), str(c.unchanged))
    console.print(table)


def _summary_rows(summary: Any) -> Iterator[tuple[str, str, Any]]:
    from medkg.kg.importers.hetionet import iter_summary_rows

    yield from iter_summary_rows(summary)
    n, e = summary.totals()
    yield "total", "nodes", n
    yield "total", "edges", e


# -- ingest ------------------------------------------------------------------------
@ingest_app.command("notes")
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
    from medkg.kg.extract import Extractor, ingest_documents
    from medkg.kg.extract.inputs import read_notes

    settings = get_settings()
    if create_unlinked:
        settings = settings.model_copy(update={"create_unlinked": True})
    with user_errors():  # NoteInputError lists every bad note, one line each
        notes = read_notes(
            path, text_column=text_column, id_column=id_column, max_chars=settings.max_note_chars
        )
    with store_from_settings() as store, _progress() as bar:
        task = bar.add_task("loading the extraction pipeline", total=len(notes))
        extractor = Extractor(store, settings)
        bar.update(task, description="extracting")
        docs = extractor.extract(notes, n_process=processes, batch_size=batch_size)
        result = ingest_documents(store, docs, on_document=lambda _: bar.advance(task))
    if as_json:
        _print_json(result.as_dict())
    else:
        console.print(
            f"documents: {result.created} new, {result.replaced} replaced, "
            f"{result.unchanged} unchanged; mentions written: {result.facts}; "
            f"relations: {result.relations}; new nodes: {result.new_nodes}; "
            f"negated/hypothetical/family mentions kept out: {result.excluded_mentions}"
        )


# -- read commands -----------------------------------------------------------------
@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Count nodes per label and relationships per type."""
    with store_from_settings() as store:
        counts = store.stats()
    if as_json:
        _print_json({"backend": store.backend, **counts})
        return
    for section in ("nodes", "relationships"):
        table = Table(title=f"{section} ({store.backend} store)")
        table.add_column("label" if section == "nodes" else "type")
        table.add_column("count", justify="right")
        for name, n in sorted(counts[section].items()):
            table.add_row(name, f"{n:,}")
        table.add_row("[bold]total[/bold]", f"[bold]{sum(counts[section].values()):,}[/bold]")
        console.print(table)


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``k=v`` gives a string, ``k:=v`` a JSON value (number, list, bool, null)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        if ":=" in pair and pair.index(":=") + 1 == pair.index("="):
            key, raw = pair.split(":=", 1)
            try:
                params[key] = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError(f"--param {pair}: not JSON after ':=' ({exc.msg})") from None
        elif "=" in pair:
            key, params_value = pair.split("=", 1)
            params[key] = params_value
        else:
            raise ValueError(f"--param {pair!r}: expected key=value or key:=json")
        if not key.isidentifier():
            raise ValueError(f"--param {pair!r}: {key!r} is not a valid parameter name")
    return params


@app.command()
def query(
    cypher: Annotated[str, typer.Argument(help="A read-only Cypher query.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Parameter k=v (string) or k:=json; repeatable."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows.")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Most rows to return.")] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Seconds before giving up.")
    ] = None,
) -> None:
    """Run a read-only Cypher query (writes, file loads and settings are refused)."""
    with user_errors():
        params = parse_params(param or [])
    with store_from_settings() as store:
        result = store.query(cypher, params, row_cap=limit, timeout_s=timeout)
    if as_json:
        _print_json(
            {"columns": result.columns, "rows": result.records(), "truncated": result.truncated}
        )
        return
    console.print(_result_table(result))
    note = " (truncated: raise --limit)" if result.truncated else ""
    err_console.print(f"{len(result.rows)} row(s){note}")


@app.command()
def node(node_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show one node by id."""
    with store_from_settings() as store:
        found = _require_node(store, node_id)
    if as_json:
        _print_json(found)
        return
    table = Table(show_header=False)
    for k, v in found.items():
        table.add_row(k, str(v))
    console.print(table)


@app.command()
def neighbours(
    node_id: str,
    rel_type: Annotated[
        str | None, typer.Option("--type", help="Only this relationship type.")
    ] = None,
    direction: Annotated[str, typer.Option(help="out, in or both.")] = "both",
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List the neighbours of a node."""
    with store_from_settings() as store:
        if direction not in ("out", "in", "both"):
            raise ValueError("--direction must be out, in or both")
        _require_node(store, node_id)
        found = store.neighbours(node_id, rel_type, direction, limit)  # type: ignore[arg-type]
    if as_json:
        _print_json([
            {"type": n.rel_type, "direction": n.direction, **vars(n.node)} for n in found
        ])  # fmt: skip
        return
    table = Table(title=f"neighbours of {node_id}")
    for col in ("relationship", "dir", "label", "id", "name"):
        table.add_column(col)
    for n in found:
        arrow = "->" if n.direction == "out" else "<-"
        table.add_row(n.rel_type, arrow, n.node.label, n.node.id, n.node.name or "")
    console.print(table)


@app.command()
def paths(
    from_id: str,
    to_id: str,
    max_hops: Annotated[int, typer.Option(min=1, help="Longest path to look for.")] = 3,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Shortest paths between two nodes (relationship direction ignored)."""
    with store_from_settings() as store:
        for nid in (from_id, to_id):
            _require_node(store, nid)
        found = store.paths(from_id, to_id, max_hops, limit)
    if as_json:
        _print_json([
            {"nodes": [vars(n) for n in p.nodes], "relationships": p.rels, "forward": p.forward}
            for p in found
        ])  # fmt: skip
        return
    if not found:
        err_console.print(f"no path of at most {max_hops} hops")
    for p in found:
        console.print(p.describe(), highlight=False, markup=False)


@app.command()
def search(
    text: str,
    label: Annotated[str | None, typer.Option(help="Only this node label.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Find nodes by name or synonym (exact, then prefix, then substring)."""
    with store_from_settings() as store:
        found = store.search(text, label, limit)
    if as_json:
        _print_json([vars(n) for n in found])
        return
    table = Table()
    for col in ("label", "id", "name"):
        table.add_column(col)
    for n in found:
        table.add_row(n.label, n.id, n.name or "")
    console.print(table)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Processes (Neo4j backend only).")] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    settings = get_settings()
    if workers > 1 and settings.resolved_backend == "embedded":
        raise typer.BadParameter("the embedded store is single-process: use --workers 1")
    uvicorn.run("medkg.api.app:create_app", factory=True, host=host, port=port, workers=workers)


# -- end to end ---------------------------------------------------------------------
@app.command()
def demo() -> None:
    """The main job end to end: import Hetionet, answer examples, extract from sample notes."""
    settings = get_settings()
    err_console.print(f"[bold]medkg demo[/bold] on the {settings.resolved_backend} store")
    import_hetionet_cmd()
    stats()
    examples = [
        (
            "Drugs that treat type 2 diabetes mellitus (DOID:9352)",
            "MATCH (d:Drug)-[:TREATS]->(x:Disease {id: $id}) RETURN d.id AS id, d.name AS drug "
            "ORDER BY drug",
            {"id": "DOID:9352"},
        ),
        (
            "Diseases with the most associated genes",
            "MATCH (x:Disease)-[:ASSOCIATES]->(g:Gene) RETURN x.name AS disease, count(g) AS genes "
            "ORDER BY genes DESC LIMIT 5",
            {},
        ),
    ]
    with store_from_settings() as store:
        for title, cypher, params in examples:
            console.print(_result_table(store.query(cypher, params), title))
        console.print(
            "[bold]Shortest paths metformin (DB00331) -> type 2 diabetes (DOID:9352)[/bold]"
        )
        for p in store.paths("DB00331", "DOID:9352", max_hops=2, limit=5):
            console.print("  " + p.describe(), highlight=False, markup=False)
    samples = settings.shared_data_dir / "mtsamples" / "mtsamples.csv"
    from medkg.kg.extract.pipeline import cid_model_path

    if not cid_model_path(settings).is_file():
        from medkg.cli.train import train_relations_cmd

        train_relations_cmd(train=None, exclude=None)
    from medkg.cli.recommend import _import_trials, _ranking, _show
    from medkg.fusion.trained import TrainedModels
    from medkg.kg.extract import Extractor
    from medkg.kg.importers.trials import read_trials

    trials = settings.shared_data_dir / "trialgpt" / "sigir" / "corpus-sample.jsonl"
    patient = "58-year-old woman with type 2 diabetes mellitus and obesity. Denies chest pain."
    symptoms = (
        "For three days I have had a high fever with chills and heavy sweating every "
        "evening, a bad headache and nausea."
    )
    with store_from_settings() as store:
        extractor = Extractor(store, settings)  # built once: it takes seconds
        if samples.exists():
            _demo_extract(store, extractor, samples)
        if trials.exists():
            _import_trials(store, extractor, read_trials(trials))
        _demo_train(store, extractor, settings)
        models = TrainedModels(settings)  # loaded once for the three answers
        console.print(f"[bold]Patient:[/bold] {patient}")
        for task in ("treatments", "trials"):
            _show(_ranking(store, extractor, task, patient, None, None, 5, models=models), False)
        console.print(f"[bold]Patient:[/bold] {symptoms}")
        dx = _ranking(store, extractor, "diagnosis", symptoms, None, None, 5, models=models)
        _show(dx, as_json=False)
    console.print("Serve the API and the web explorer with: medkg serve  (http://127.0.0.1:8000/)")


def _demo_train(store: GraphStore, extractor: Any, settings: Settings) -> None:
    """Train small: the treatment ranker (seconds) and, with Symptom2Disease, the
    diagnosis fusion model (about a minute); the rankings below then use them."""
    from medkg.fusion.training import train_diagnosis, train_treatments

    console.print("[bold]Training the ranking models (small)...[/bold]")
    path, meta = train_treatments(store, settings, steps=150)
    console.print(f"treatment ranker: {meta['treated_diseases']} treated diseases -> {path}")
    csv = settings.shared_data_dir / "symptom2disease" / "Symptom2Disease.csv"
    if csv.exists():
        path, meta = train_diagnosis(store, extractor, settings, csv, steps=200)
        console.print(
            f"diagnosis model: held-out top-1 {meta['test_top1']:.3f}, "
            f"top-5 {meta['test_top5']:.3f} -> {path}"
        )


def _demo_extract(store: GraphStore, extractor: Any, samples: Path, n_notes: int = 20) -> None:
    """Extract from the first MTSamples reports and show what became facts."""
    import csv

    from medkg.kg.extract import NoteInput, ingest_documents

    with samples.open(encoding="utf-8", newline="") as fh:
        texts = [r["transcription"] for r in csv.DictReader(fh) if r["transcription"].strip()]
    notes = [NoteInput(f"mtsamples-{i}", t) for i, t in enumerate(texts[:n_notes])]
    examples = PROJECT_ROOT / "examples" / "notes"
    notes += [NoteInput(p.stem, p.read_text()) for p in sorted(examples.glob("*.txt"))]
    result = ingest_documents(store, extractor.extract(notes))
    console.print(
        f"[bold]Extraction from {n_notes} MTSamples reports and the example notes:[/bold] "
        f"{result.as_dict()}"
    )
    top = store.query(
        "MATCH (d:Document)-[r:MENTIONS]->(e) RETURN e.name AS entity, count(d) AS documents "
        "ORDER BY documents DESC, entity LIMIT 8"
    )
    console.print(_result_table(top, "Most mentioned entities (affirmed mentions only)"))
    rels = store.query(
        "MATCH (a)-[r]->(b) WHERE r.source = 'extraction' AND type(r) <> 'MENTIONS' "
        "RETURN type(r) AS relation, a.name AS head, b.name AS tail, r.confidence AS conf "
        "ORDER BY conf DESC LIMIT 8"
    )
    console.print(_result_table(rels, "Relations extracted from the notes"))


def main() -> None:  # pragma: no cover - thin wrapper for ``python -m medkg``
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
