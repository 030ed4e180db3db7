"""The three rankings for applications: treatments, diagnosis, trial matching.

Every route hands its body to :func:`medkg.fusion.rank.rank_patient`, the same
function the CLI and the demo call; a bad patient description is a 400 with
its message (``PatientInputError``, handled in :mod:`medkg.api.app`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from medkg.api.deps import READER, get_state
from medkg.api.schemas import PatientIn, PatientQueryIn, TreatmentsIn, errors
from medkg.fusion.evidence import Ranking
from medkg.fusion.image_fusion import check_image
from medkg.fusion.rank import Task, rank_patient

router = APIRouter(tags=["recommend"], dependencies=READER, responses=errors(400, 401, 413))


def _rank(
    request: Request,
    task: Task,
    patient: PatientIn | None,
    limit: int,
    disease_id: str | None = None,
) -> Ranking:
    state = get_state(request)
    patient = patient or PatientIn()
    return rank_patient(
        task, state.store, state.models,
        extractor=state.extractor() if patient.text else None, text=patient.text,
        entity_ids=patient.entity_ids, disease_id=disease_id,
        image=check_image(patient.image_base64, state.settings.max_image_pixels), limit=limit,
    )  # fmt: skip


@router.post("/v1/recommend/treatments", response_model=Ranking)
def treatments(body: TreatmentsIn, request: Request) -> Ranking:
    """Drugs for a disease id or a patient, ranked, each with its evidence paths."""
    return _rank(request, "treatments", body.patient, body.limit, body.disease_id)


@router.post("/v1/diagnose", response_model=Ranking)
def diagnose(body: PatientQueryIn, request: Request) -> Ranking:
    """Diseases for a patient's findings, ranked, with evidence and source sentences."""
    return _rank(request, "diagnosis", body.patient, body.limit)


@router.post("/v1/trials/match", response_model=Ranking)
def trials(body: PatientQueryIn, request: Request) -> Ranking:
    """Clinical trials for a patient; trials that exclude the patient are flagged."""
    return _rank(request, "trials", body.patient, body.limit)
