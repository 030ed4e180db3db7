"""Ingest of clinical notes as background jobs (``writer`` key), and job status."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from medkg.api.deps import WRITER, get_state
from medkg.api.schemas import IngestIn, JobOut, errors
from medkg.nlp.documents import NoteInput
from medkg.nlp.inputs import NoteInputError, check_notes

router = APIRouter(tags=["ingest"], dependencies=WRITER, responses=errors(400, 401, 403, 404, 413))


@router.post(
    "/v1/ingest/notes", response_model=JobOut, status_code=202,
    responses={200: {"model": JobOut, "description": "the job has finished (`wait: true`)"}},
)  # fmt: skip
def ingest(body: IngestIn, request: Request) -> JSONResponse:
    """Queue extraction of notes (idempotent per document id); poll /v1/jobs/{id}."""
    state = get_state(request)
    notes = [NoteInput(n.id, n.text) for n in body.notes]
    try:
        check_notes(notes, state.settings.max_note_chars)
    except NoteInputError as exc:
        raise HTTPException(400, str(exc)) from None
    job, future = state.jobs.submit(notes)
    if body.wait:
        future.result()
    return JSONResponse(status_code=200 if body.wait else 202, content=job.as_dict())


@router.get("/v1/jobs/{job_id}", response_model=JobOut)
def job(job_id: str, request: Request) -> dict:
    found = get_state(request).jobs.get(job_id)
    if found is None:
        raise HTTPException(404, f"no job {job_id!r} (jobs are kept in memory until restart)")
    return found.as_dict()
