"""The three rankings for applications: treatments, diagnosis, trial matching.

Every route hands its body to :func:`medkg.fusion.rank.rank_patient`, the same
function the CLI and the demo call; a bad patient description is a 400 with
its message (``PatientInputError``, handled in :mod:`medkg.api.app`).

Answers are cached as bytes, keyed on the request body, the store's write
generation and the served models' file times, and repeats are served from the
event loop: an application asking again for the same disease or patient (a page
reload, a retry, a dashboard) costs no extraction and no ranking. Any write to
the graph or retrained model makes the cached answers unreachable.

Reading a patient's text is bounded: it stops with a 400 once it has taken
``MEDKG_PATIENT_TEXT_TIMEOUT_S`` (or the request's smaller ``timeout_s``), and
as soon as the client disconnects (logged as 499, nginx's "client closed
request"; nobody reads the answer), so an abandoned request frees its core.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from medkg.api.deps import READER, get_state
from medkg.api.schemas import PatientIn, PatientQueryIn, TreatmentsIn, errors
from medkg.fusion.evidence import Ranking
from medkg.fusion.image_fusion import check_image
from medkg.fusion.rank import Task, rank_patient
from medkg.nlp.stopping import ExtractionCancelled, StopCheck

router = APIRouter(tags=["recommend"], dependencies=READER, responses=errors(400, 401, 413))
#: Status logged for a request whose client left before the answer (never sent).
CLIENT_CLOSED = 499
#: How often a running ranking looks whether its client is still there.
DISCONNECT_POLL_S = 0.05


async def _rank(
    request: Request,
    task: Task,
    body: TreatmentsIn | PatientQueryIn,
    patient: PatientIn | None,
    disease_id: str | None = None,
) -> Response:
    state = get_state(request)
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    key = ("rank", task, digest, state.models.signature())
    cached = state.cache.get(state.store, key)
    if cached is not None:
        return Response(cached, media_type="application/json")
    patient = patient or PatientIn()
    limit_s = state.settings.patient_text_timeout_s
    timeout_s = min(patient.timeout_s or limit_s, limit_s)
    gone = threading.Event()

    def compute() -> bytes:
        # the budget counts from here: time spent queued for a thread is not the text's
        stop = StopCheck(timeout_s, gone) if patient.text else None
        ranking = rank_patient(
            task, state.store, state.models,
            extractor=state.extractor() if patient.text else None, text=patient.text,
            entity_ids=patient.entity_ids, allergy_ids=patient.allergy_ids,
            disease_id=disease_id,
            image=check_image(patient.image_base64, state.settings.max_image_pixels),
            limit=body.limit, stop=stop,
        )  # fmt: skip
        return ranking.model_dump_json().encode()

    if await request.is_disconnected():
        return Response(status_code=CLIENT_CLOSED)
    watcher = asyncio.create_task(_watch_disconnect(request, gone)) if patient.text else None
    try:
        answer = await run_in_threadpool(compute)
    except ExtractionCancelled:
        return Response(status_code=CLIENT_CLOSED)
    finally:
        if watcher is not None:
            watcher.cancel()
    state.cache.put(state.store, key, answer)
    return Response(answer, media_type="application/json")


async def _watch_disconnect(request: Request, gone: threading.Event) -> None:
    """Set ``gone`` when the client disconnects (the extraction checks it)."""
    while not await request.is_disconnected():
        await asyncio.sleep(DISCONNECT_POLL_S)
    gone.set()


@router.post("/v1/recommend/treatments", response_model=Ranking)
async def treatments(body: TreatmentsIn, request: Request) -> Response:
    """Drugs for a disease id or a patient, ranked, each with its evidence paths."""
    return await _rank(request, "treatments", body, body.patient, body.disease_id)


@router.post("/v1/diagnose", response_model=Ranking)
async def diagnose(body: PatientQueryIn, request: Request) -> Response:
    """Diseases for a patient's findings, ranked, with evidence and source sentences."""
    return await _rank(request, "diagnosis", body, body.patient)


@router.post("/v1/trials/match", response_model=Ranking)
async def trials(body: PatientQueryIn, request: Request) -> Response:
    """Clinical trials for a patient; trials that exclude the patient are flagged."""
    return await _rank(request, "trials", body, body.patient)
