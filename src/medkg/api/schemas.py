"""Request and response bodies of the HTTP API (they also document /docs)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator


def _encodable(value: str) -> str:
    """JSON may carry lone UTF-16 surrogates (``"\\ud800"``) that are not text: the
    engine, spaCy and the log writer cannot encode them, so they are refused here."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"not valid Unicode text: a lone surrogate at character {exc.start}"
        ) from None
    return value


def _encodable_values(value: Any) -> Any:
    """:func:`_encodable` over every string (keys too) of a nested JSON value."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            _encodable(item)
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return value


#: A request string that is valid Unicode (422 otherwise, never a 500 downstream).
Text = Annotated[str, AfterValidator(_encodable)]


class NodeOut(BaseModel):
    id: str
    label: str | None
    name: str | None


class NeighbourOut(BaseModel):
    type: str
    direction: Literal["out", "in"]
    node: NodeOut
    properties: dict[str, Any] = Field(default_factory=dict)


class PathOut(BaseModel):
    nodes: list[NodeOut]
    relationships: list[str]
    forward: list[bool] = Field(description="True where the relationship points along the path")
    text: str


class CypherIn(BaseModel):
    query: Text = Field(
        min_length=1, max_length=20_000, examples=["MATCH (d:Drug) RETURN d.name LIMIT 5"]
    )
    params: dict[str, Any] = Field(default_factory=dict)
    limit: int | None = Field(
        None, ge=1, le=100_000, description="Row cap (server default if unset)"
    )
    timeout_s: float | None = Field(None, gt=0, le=300)

    _params_text = field_validator("params")(_encodable_values)


class CypherOut(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool


class SchemaOut(BaseModel):
    """What the graph's Cypher can name: the explorer's editor completes these."""

    labels: list[str]
    relationship_types: list[str]
    property_keys: list[str]


class Stats(BaseModel):
    backend: str
    nodes: dict[str, int]
    relationships: dict[str, int]


class NoteIn(BaseModel):
    id: Text = Field(
        min_length=1,
        max_length=200,
        pattern=r"^[\w.:/-]+$",
        description="Your stable document id: re-sending it is idempotent",
    )
    text: Text = Field(min_length=1, description="Clinical note text (UTF-8)")


class IngestIn(BaseModel):
    notes: list[NoteIn] = Field(min_length=1, max_length=1000)
    wait: bool = Field(False, description="Answer when the job has finished (small batches)")


class JobOut(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    documents: int
    processed: int
    counts: dict[str, int]
    error: str | None
    submitted_at: str
    finished_at: str | None


class PatientIn(BaseModel):
    text: Text | None = Field(
        None, max_length=100_000, description="Free-text patient description"
    )
    entity_ids: list[Text] = Field(
        default_factory=list,
        max_length=200,
        description="Graph ids already linked (symptoms, diseases...)",
    )
    allergy_ids: list[Text] = Field(
        default_factory=list,
        max_length=200,
        description="Drug ids the patient is allergic to, beside the allergies the text "
        "names; treatments flag them and their pharmacologic class (allergy_conflict) "
        "and rank them below the others",
    )
    image_base64: str | None = Field(None, description="Optional PNG/JPEG image, base64")
    timeout_s: float | None = Field(
        None,
        gt=0,
        le=300,
        description="Most seconds to spend reading the text (at most the server's "
        "MEDKG_PATIENT_TEXT_TIMEOUT_S); 400 when the text takes longer",
    )


class TreatmentsIn(BaseModel):
    disease_id: Text | None = Field(None, description="Rank drugs for this disease")
    patient: PatientIn | None = Field(None, description="...or for this patient's diseases")
    limit: int = Field(10, ge=1, le=100)


class PatientQueryIn(BaseModel):
    patient: PatientIn
    limit: int = Field(10, ge=1, le=100)


class ErrorOut(BaseModel):
    """Every 4xx/5xx answer: one message a user can act on."""

    detail: str | list[dict[str, Any]] = Field(
        description="What was wrong (422: the validation errors, one per field)"
    )


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route can answer."""
    return {code: {"model": ErrorOut, "description": ERROR_MEANINGS[code]} for code in codes}


ERROR_MEANINGS = {
    400: "the request was understood but refused (the message says why)",
    401: "missing or unknown API key (when keys are configured)",
    403: "the API key's role may not do this (ingest needs a writer key)",
    404: "no such node or job",
    413: "request body over the configured size limit",
    503: "temporarily unable to answer (warming up, query workers busy); retry after Retry-After",
}
