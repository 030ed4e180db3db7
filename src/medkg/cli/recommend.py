"""``medkg import trials`` and the three ranking commands: recommend, diagnose, match-trials."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from medkg.cli.main import (
    _print_json,
    app,
    console,
    err_console,
    import_app,
    store_from_settings,
    user_errors,
)
from medkg.settings import get_settings


@import_app.command("trials")
def import_trials_cmd(
    path: Annotated[
        Path, typer.Argument(help="TrialGPT corpus.jsonl or ClinicalTrials.gov v2 JSON")
    ],
) -> None:
    """Import clinical trials, linking conditions, interventions and exclusions to the graph."""
    from medkg.kg.extract import Extractor
    from medkg.kg.importers.trials import read_trials

    with user_errors():  # TrialFormatError is a ValueError: one line per problem
        trials = read_trials(path)
    with store_from_settings() as store:
        err_console.print(f"linking {len(trials)} trials to the graph...")
        _import_trials(store, Extractor(store, get_settings()), trials)


def _import_trials(store, extractor, trials) -> None:  # type: ignore[no-untyped-def]
    from medkg.kg.importers.trials import import_trials

    result = import_trials(store, trials, extractor.link_texts)
    console.print(
        f"trials: {result.trials} read, {result.created} new; "
        f"STUDIES edges: {result.studies_edges} new; TESTS edges: {result.tests_edges} new"
    )


def _show(ranking, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    if as_json:
        _print_json(json.loads(ranking.model_dump_json()))
        return
    table = Table(title=f"{ranking.task}: {ranking.method}")
    for col in ("#", "id", "name", "score", "evidence"):
        table.add_column(col)
    for i, item in enumerate(ranking.items, 1):
        ev = item.evidence[0].text if item.evidence else ""
        table.add_row(str(i), item.id, item.name or "", f"{item.score:.3f}", ev)
    console.print(table)
    for note in ranking.notes:
        err_console.print(f"note: {note}")


def _rank(
    task: str,
    text: str | None,
    entity: list[str] | None,
    disease: str | None,
    limit: int,
    as_json: bool,
    image: Path | None = None,
) -> None:
    from medkg.fusion.recommend import validate_image
    from medkg.kg.extract import Extractor

    if text == "-":
        text = sys.stdin.read()
    # PatientInputError is a ValueError: user_errors prints it as one error line
    with store_from_settings() as store, user_errors():
        raw = validate_image(image.read_bytes()) if image else None
        extractor = Extractor(store, get_settings()) if text else None
        ranking = _ranking(store, extractor, task, text, entity, disease, limit, raw)
    _show(ranking, as_json)


def _ranking(store, extractor, task, text, entity, disease, limit, image=None, models=None):  # type: ignore[no-untyped-def]
    """One task's ranking on an open store (the demo shares its store, extractor and
    loaded models across tasks)."""
    from medkg.fusion import recommend
    from medkg.fusion.patient import PatientInputError, build_patient_context
    from medkg.fusion.trained import TrainedModels

    models = models or TrainedModels(store.settings)
    ctx = build_patient_context(store, extractor, text, entity or []) if text or entity else None
    if task == "treatments":
        return recommend.recommend_treatments(store, disease, ctx, limit, models, text)
    if ctx is None:
        raise PatientInputError("describe the patient with --text and/or --entity")
    if task == "diagnosis":
        return recommend.diagnose(store, ctx, limit, text, models, image)
    return recommend.match_trials(store, ctx, limit, text, models)


TextOpt = Annotated[str | None, typer.Option(help="Patient text ('-' reads stdin).")]
EntityOpt = Annotated[list[str] | None, typer.Option(help="Linked graph id (repeatable).")]
LimitOpt = Annotated[int, typer.Option(min=1, max=100)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the full answer as JSON.")]


@app.command()
def recommend(
    disease: Annotated[str | None, typer.Option(help="Disease id, e.g. DOID:9352.")] = None,
    text: TextOpt = None,
    entity: EntityOpt = None,
    limit: LimitOpt = 10,
    as_json: JsonOpt = False,
) -> None:
    """Rank drugs for a disease or a patient, with evidence paths."""
    if not disease and not text and not entity:
        raise typer.BadParameter("give --disease, --text or --entity")
    _rank("treatments", text, entity, disease, limit, as_json)


@app.command()
def diagnose(
    text: TextOpt = None,
    entity: EntityOpt = None,
    limit: LimitOpt = 10,
    as_json: JsonOpt = False,
    image: Annotated[
        Path | None, typer.Option(help="Chest X-ray PNG/JPEG, fused by the image encoder.")
    ] = None,
) -> None:
    """Rank diseases for a patient's findings (and image), with evidence and sentences."""
    _rank("diagnosis", text, entity, None, limit, as_json, image)


@app.command("match-trials")
def match_trials(
    text: TextOpt = None,
    entity: EntityOpt = None,
    limit: LimitOpt = 10,
    as_json: JsonOpt = False,
) -> None:
    """Rank clinical trials for a patient; trials that exclude the patient are flagged."""
    _rank("trials", text, entity, None, limit, as_json)
