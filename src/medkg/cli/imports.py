"""``medkg import ...``: bulk imports of public graphs and trial registries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from medkg.cli.common import console, err_console, progress, store_from_settings, user_errors
from medkg.kg.importers.batch import ImportSummary, iter_summary_rows
from medkg.kg.importers.hetionet import HetionetSource, import_hetionet
from medkg.kg.importers.vocabularies.sources import FILES
from medkg.settings import get_settings

if TYPE_CHECKING:
    from medkg.kg.importers.trials import TrialImport

app = typer.Typer(help="Bulk-import public graphs.", no_args_is_help=True)


@app.command("hetionet")
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
    with store_from_settings() as store, progress() as bar:
        task = bar.add_task("reading", total=None)

        def on_progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        summary = import_hetionet(store, source, on_progress, max_edges_per_type)
    _print_summary(f"Hetionet import into {store.backend} store", summary)


def _print_summary(title: str, summary: ImportSummary) -> None:
    """What an import created, updated and left unchanged, per label and type."""
    table = Table(title=title)
    for col in ("kind", "label / type", "created", "updated", "unchanged"):
        table.add_column(
            col, justify="right" if col in ("created", "updated", "unchanged") else "left"
        )
    for kind, name, c in _summary_rows(summary):
        table.add_row(kind, name, str(c.created), str(c.updated), str(c.unchanged))
    console.print(table)


def _summary_rows(summary: Any) -> Iterator[tuple[str, str, Any]]:
    yield from iter_summary_rows(summary)
    n, e = summary.totals()
    yield "total", "nodes", n
    yield "total", "edges", e


@app.command("vocabularies")
def import_vocabularies_cmd(
    file: Annotated[
        list[str] | None,
        typer.Option(
            "--file",
            help="KEY=PATH: read this file instead of the packaged one (e.g. a newer "
            "hpo=hp.obo); keys: " + ", ".join(FILES),
        ),
    ] = None,
) -> None:
    """Import disease, phenotype, gene and drug vocabularies (DOID, MONDO, HPO and its
    annotations, MeSH, HGNC, DrugBank): synonyms, cross-references, IS_A and PRESENTS
    edges. Run after Hetionet; idempotent."""
    from medkg.kg.importers.vocabularies import import_vocabularies

    with user_errors():
        files = {}
        for item in file or []:
            key, sep, path = item.partition("=")
            if not sep or not path:
                raise ValueError(f"--file {item!r}: expected KEY=PATH")
            files[key.strip()] = Path(path)
    with store_from_settings() as store, progress() as bar:
        task = bar.add_task("reading", total=None)

        def on_progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total or None)

        summary, report = import_vocabularies(store, on_progress, files)
    _print_summary(f"Vocabulary import into {store.backend} store", summary)
    for what, n in report.counts.items():
        console.print(f"  {what}: {n:,}", highlight=False)
    console.print("sources: " + "; ".join(
        f"{f.source} ({f.version()}, {f.licence})" for f in FILES.values()
    ), highlight=False)  # fmt: skip


@app.command("trials")
def import_trials_cmd(
    path: Annotated[
        Path, typer.Argument(help="TrialGPT corpus.jsonl or ClinicalTrials.gov v2 JSON")
    ],
) -> None:
    """Import clinical trials, linking conditions, interventions and exclusions to the graph."""
    from medkg.kg.importers.trials import import_trials, read_trials
    from medkg.nlp.pipeline import Extractor

    with user_errors():  # TrialFormatError is a ValueError: one line per problem
        trials = read_trials(path)
    with store_from_settings() as store:
        err_console.print(f"linking {len(trials)} trials to the graph...")
        extractor = Extractor(store, get_settings())
        print_trial_import(import_trials(store, trials, extractor.link_texts))


def print_trial_import(result: TrialImport) -> None:
    console.print(
        f"trials: {result.trials} read, {result.created} new; "
        f"STUDIES edges: {result.studies_edges} new; TESTS edges: {result.tests_edges} new"
    )
