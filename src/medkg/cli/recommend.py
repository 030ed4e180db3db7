"""``medkg recommend``, ``diagnose`` and ``match-trials``: the three rankings, with evidence.

Each command hands its options to :func:`medkg.fusion.rank.rank_patient`, the
same function the API and the demo call.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from medkg.cli.common import show_ranking, store_from_settings, user_errors
from medkg.settings import get_settings

app = typer.Typer()

TextOpt = Annotated[str | None, typer.Option(help="Patient text ('-' reads stdin).")]
EntityOpt = Annotated[list[str] | None, typer.Option(help="Linked graph id (repeatable).")]
LimitOpt = Annotated[int, typer.Option(min=1, max=100)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the full answer as JSON.")]
AllergyOpt = Annotated[
    list[str] | None,
    typer.Option(help="Drug id the patient is allergic to (repeatable), e.g. DB01053."),
]


def _rank(
    task: str,
    text: str | None,
    entity: list[str] | None,
    disease: str | None,
    limit: int,
    as_json: bool,
    image: Path | None = None,
    allergy: list[str] | None = None,
) -> None:
    from medkg.fusion.image_fusion import validate_image
    from medkg.fusion.rank import rank_patient
    from medkg.fusion.trained import TrainedModels
    from medkg.nlp.pipeline import Extractor

    if text == "-":
        text = sys.stdin.read()
    settings = get_settings()
    # PatientInputError is a ValueError: user_errors prints it as one error line
    with store_from_settings() as store, user_errors():
        raw = validate_image(image.read_bytes(), settings.max_image_pixels) if image else None
        ranking = rank_patient(
            task, store, TrainedModels(settings),  # type: ignore[arg-type]
            extractor=Extractor(store, settings) if text else None, text=text,
            entity_ids=entity or [], allergy_ids=allergy or [], disease_id=disease, image=raw,
            limit=limit,
        )  # fmt: skip
    show_ranking(ranking, as_json)


@app.command()
def recommend(
    disease: Annotated[str | None, typer.Option(help="Disease id, e.g. DOID:9352.")] = None,
    text: TextOpt = None,
    entity: EntityOpt = None,
    allergy: AllergyOpt = None,
    limit: LimitOpt = 10,
    as_json: JsonOpt = False,
) -> None:
    """Rank drugs for a disease or a patient, with evidence paths; drugs the patient
    is allergic to (given or named in the text) and their class are flagged and
    ranked below the others."""
    _rank("treatments", text, entity, disease, limit, as_json, allergy=allergy)


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
    allergy: AllergyOpt = None,
    limit: LimitOpt = 10,
    as_json: JsonOpt = False,
) -> None:
    """Rank clinical trials for a patient; trials that exclude the patient, or test a
    drug the patient is allergic to, are flagged."""
    _rank("trials", text, entity, None, limit, as_json, allergy=allergy)
