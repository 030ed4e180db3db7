"""One way through for a patient: the ranking a caller asks for, checked once.

The API's recommendation routes, the CLI's ``recommend``/``diagnose``/
``match-trials`` and ``medkg demo`` all call :func:`rank_patient`, so the same
input gets the same answer and the same error message wherever it comes from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from medkg.fusion.evidence import Ranking
from medkg.fusion.patient import PatientContext, PatientInputError, build_patient_context
from medkg.fusion.recommend import diagnose, match_trials, recommend_treatments
from medkg.kg.store.base import GraphStore

if TYPE_CHECKING:
    from medkg.nlp.pipeline import Extractor
    from medkg.nlp.stopping import StopCheck

Task = Literal["treatments", "diagnosis", "trials"]
TASKS: tuple[Task, ...] = ("treatments", "diagnosis", "trials")

IMAGE_UNUSED = "image received; only diagnosis uses images (late fusion of the image encoder)"


def rank_patient(
    task: Task,
    store: GraphStore,
    models: Any,
    *,
    extractor: Extractor | None = None,
    text: str | None = None,
    entity_ids: Sequence[str] = (),
    allergy_ids: Sequence[str] = (),
    disease_id: str | None = None,
    image: bytes | None = None,
    limit: int = 10,
    stop: StopCheck | None = None,
) -> Ranking:
    """Rank drugs (``treatments``), diseases (``diagnosis``) or clinical trials
    (``trials``) for a patient, each answer with its evidence.

    Args:
        task: one of ``TASKS``.
        store: the graph the candidates and evidence come from.
        models: the trained models (:class:`~medkg.fusion.trained.TrainedModels`),
            or ``None`` for the graph-only rankers.
        extractor: links ``text``; needed whenever ``text`` is given.
        text: the patient description in free text.
        entity_ids: graph ids already linked (symptoms, diseases...).
        allergy_ids: Drug ids the patient is allergic to, beside those the text
            names ("ALLERGIES: penicillin"); treatments flag them and their
            classes and rank them below the others, trials flag and move down
            the trials that test them.
        disease_id: ``treatments`` only: rank drugs for this disease instead of
            (or beside) a patient.
        image: a checked PNG/JPEG (:func:`medkg.fusion.image_fusion.check_image`);
            only diagnosis uses it, the other tasks say so in their notes.
        limit: the most items to return.
        stop: bounds the reading of ``text`` in time and lets a caller that
            went away cancel it (:mod:`medkg.nlp.stopping`).

    Raises:
        PatientInputError: nothing to rank for, unknown ids, or an unknown task.
        ExtractionStopped: ``stop`` ended the reading of ``text``.
    """
    if task not in TASKS:
        raise PatientInputError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
    described = bool(text) or bool(entity_ids)
    if not described and not (task == "treatments" and disease_id):
        what = "a disease id or " if task == "treatments" else ""
        beside = " beside the image" if image is not None else ""
        raise PatientInputError(f"describe the patient: give {what}text and/or entity ids{beside}")
    ctx: PatientContext | None = None
    if described or allergy_ids:
        ctx = build_patient_context(
            store, extractor, text, list(entity_ids), stop, allergy_ids=list(allergy_ids)
        )
    if task == "diagnosis":
        assert ctx is not None
        return diagnose(store, ctx, limit, models, image)
    if task == "treatments":
        ranking = recommend_treatments(store, disease_id, ctx, limit, models)
    else:
        assert ctx is not None
        ranking = match_trials(store, ctx, limit, models)
    if image is not None:
        ranking.notes.append(IMAGE_UNUSED)
    return ranking
