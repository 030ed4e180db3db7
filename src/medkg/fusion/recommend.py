"""The three product tasks behind one interface, for the API and the CLI.

Each returns a :class:`Ranking` whose ``method`` says what produced it. Until a
fusion model is trained (``medkg train fusion``), that is the graph-only ranker,
and the answer says so; evidence paths and source sentences come either way.
"""

from __future__ import annotations

import base64
import binascii
import io

from medkg.fusion.evidence import Ranking
from medkg.fusion.graph_ranker import METHOD, rank_diagnoses, rank_treatments, rank_trials
from medkg.fusion.patient import FINDING_LABELS, PatientContext, PatientInputError
from medkg.kg.store.base import GraphStore

DISEASE = frozenset({"Disease"})
SYMPTOM = frozenset({"Symptom"})


def check_image(image_base64: str | None) -> list[str]:
    """Validate an uploaded image; returns notes for the answer, raises on bad input."""
    if not image_base64:
        return []
    try:
        raw = base64.b64decode(image_base64, validate=True)
    except (binascii.Error, ValueError):
        raise PatientInputError("image_base64 is not valid base64") from None
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(raw)) as img:
            if img.format not in ("PNG", "JPEG"):
                raise PatientInputError(f"image must be PNG or JPEG, got {img.format}")
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise PatientInputError("image_base64 does not hold a readable PNG or JPEG") from None
    return ["image received; the graph-only ranking does not use images (train fusion)"]


def _entities_out(ctx: PatientContext) -> list[dict]:
    return [dict(e) for e in ctx.entities]


def recommend_treatments(
    store: GraphStore, disease_id: str | None, ctx: PatientContext | None, limit: int = 10
) -> Ranking:
    notes: list[str] = []
    if disease_id:
        node = store.get_node(disease_id)
        if node is None or node["label"] != "Disease":
            raise PatientInputError(f"{disease_id!r} is not a Disease id in the graph")
        diseases = {disease_id: 1.0}
    elif ctx is not None:
        diseases = ctx.weights(DISEASE)
        if not diseases:
            notes.append("no affirmed disease was found in the patient input")
    else:
        raise PatientInputError("give disease_id or a patient")
    items = rank_treatments(store, diseases, limit) if diseases else []
    return Ranking(
        task="treatments",
        method=METHOD,
        items=items,
        patient_entities=_entities_out(ctx) if ctx else [],
        notes=notes,
    )


def diagnose(store: GraphStore, ctx: PatientContext, limit: int = 10) -> Ranking:
    findings = ctx.weights(FINDING_LABELS)
    notes = []
    if not findings:
        notes.append("no affirmed symptom, finding or disease was found in the patient input")
    if not store.query("MATCH ()-[r:PRESENTS]->() RETURN r LIMIT 1").rows:
        notes.append(
            "the graph holds no Disease-PRESENTS-Symptom edges (the shipped Hetionet "
            "subset lacks them): import the full Hetionet or ingest notes to add them"
        )
    items = rank_diagnoses(store, ctx.weights(SYMPTOM), ctx.weights(DISEASE), limit)
    return Ranking(
        task="diagnosis",
        method=METHOD,
        items=items,
        patient_entities=_entities_out(ctx),
        notes=notes,
    )


def match_trials(store: GraphStore, ctx: PatientContext, limit: int = 10) -> Ranking:
    notes = []
    if not store.query("MATCH (t:ClinicalTrial) RETURN t.id LIMIT 1").rows:
        notes.append("no trials in the graph: run `medkg import trials FILE`")
    diseases = ctx.weights(DISEASE)
    if not diseases:
        dx = rank_diagnoses(store, ctx.weights(SYMPTOM), {}, 3)
        diseases = {d.id: 0.5 * d.score / (dx[0].score or 1) for d in dx}
        if diseases:
            notes.append("no disease stated: matched on the top diagnosis candidates")
    items = rank_trials(store, diseases, ctx.affirmed_ids, limit) if diseases else []
    return Ranking(
        task="trials", method=METHOD, items=items, patient_entities=_entities_out(ctx), notes=notes
    )
