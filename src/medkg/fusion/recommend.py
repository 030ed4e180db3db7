"""The three product tasks: treatments, diagnosis and trial matching.

Each returns a :class:`Ranking` whose ``method`` says what produced it: a
trained model when ``medkg train fusion`` has written one (``models``, a
:class:`~medkg.fusion.trained.TrainedModels`), else the graph-only ranker;
evidence paths and source sentences come either way. Callers go through
:func:`medkg.fusion.rank.rank_patient`, which checks the input once.
"""

from __future__ import annotations

from typing import Any

from medkg.fusion.allergy_check import flag_allergies, flag_trial_allergies
from medkg.fusion.evidence import RankedItem, Ranking
from medkg.fusion.graph_ranker import (
    METHOD,
    TREATMENT_ANCHOR_RELS,
    rank_diagnoses,
    rank_treatments,
    rank_trials,
    reachable_diseases,
)
from medkg.fusion.patient import FINDING_LABELS, PatientContext, PatientInputError
from medkg.fusion.patient_medications import flag_patient_medications, stopped_drug_ids
from medkg.kg.store.base import GraphStore

DISEASE = frozenset({"Disease"})
SYMPTOM = frozenset({"Symptom"})
#: Extra drugs ranked when the patient reports allergies, so that the drugs
#: moved down for a conflict (:mod:`.allergy_check`) leave no hole in the list.
ALLERGY_MARGIN = 20


def recommend_treatments(
    store: GraphStore,
    disease_id: str | None,
    ctx: PatientContext | None,
    limit: int = 10,
    models: Any = None,
) -> Ranking:
    """Drugs for a disease id, or for a patient: their stated diseases, else the
    diagnoses the patient's findings point to (``inferred_diseases``), so one
    patient description serves all three tasks. A drug the patient reports an
    allergy to, or one of its pharmacologic class, is flagged and ranked below
    the others (:mod:`.allergy_check`); one the patient takes or took is
    flagged (:mod:`.patient_medications`)."""
    notes: list[str] = []
    if disease_id:
        node = store.get_node(disease_id)
        if node is None or node["label"] != "Disease":
            raise PatientInputError(f"{disease_id!r} is not a Disease id in the graph")
        diseases = {disease_id: 1.0}
    elif ctx is not None:
        diseases = ctx.weights(DISEASE)
        if not diseases:
            diseases, basis = inferred_diseases(store, ctx, models)
            notes.append(
                f"no disease stated: ranked for the likely diagnoses ({basis})"
                if diseases
                else "no affirmed disease was found in the patient input"
            )
    else:
        raise PatientInputError("give disease_id or a patient")
    method = METHOD
    allergies = ctx.allergy_ids if ctx is not None else set()
    wanted, limit = limit, limit + (ALLERGY_MARGIN if allergies else 0)
    ckpt = models.treatments() if models is not None else None
    in_model = {d: w for d, w in diseases.items() if ckpt is not None and d in ckpt.disease_index}
    if ckpt is not None and in_model:
        from medkg.fusion.learned_ranker import treatment_items

        items = treatment_items(store, ckpt, in_model, limit)
        method = (
            "treatment ranker (learned similar-disease transfer, trained "
            f"{ckpt.meta.get('trained_at', '?')}); known treatments first"
        )
        if len(in_model) < len(diseases):
            notes.append("diseases added after training are not ranked: retrain to include them")
    else:
        reachable = reachable_diseases(store, diseases)
        ranked = {d: w for d, w in diseases.items() if d in reachable}
        items = rank_treatments(store, ranked, limit) if ranked else []
        if diseases and not ranked:
            notes.append(
                "nothing to rank from: the graph links no drug, similar disease or gene to "
                f"{', '.join(sorted(diseases)[:3])} (no {', '.join(TREATMENT_ANCHOR_RELS)} edges)"
            )
        elif ckpt is None and diseases:
            notes.append("no trained treatment ranker: run `medkg train fusion`")
        elif diseases:
            notes.append(
                "the trained treatment ranker does not know these diseases (added after "
                "training): ranked graph-only; retrain with `medkg train fusion`"
            )
    items, allergy_notes = flag_allergies(store, items, allergies, wanted)
    notes += allergy_notes + flag_patient_medications(items, ctx)
    return Ranking(
        task="treatments",
        method=method,
        items=items,
        patient_entities=ctx.as_dicts() if ctx else [],
        notes=notes,
    )


def diagnose(
    store: GraphStore,
    ctx: PatientContext,
    limit: int = 10,
    models: Any = None,
    image: bytes | None = None,
) -> Ranking:
    """Diseases for the patient's findings (and a checked image, see
    :func:`medkg.fusion.image_fusion.check_image`)."""
    ckpt = models.diagnosis() if models is not None else None
    if ckpt is not None:
        return _fusion_diagnosis(store, ctx, limit, models, ckpt, image)
    phenotypes = _phenotype_diagnosis(store, ctx, limit, models)
    if phenotypes is not None:
        if image is not None:
            phenotypes.notes.append("image received; the graph-only diagnosis cannot use it")
        return phenotypes
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
    if models is not None:
        notes.append("no trained diagnosis model: run `medkg train fusion`")
    if image is not None:
        notes.append("image received; the graph-only diagnosis cannot use it")
    return Ranking(
        task="diagnosis",
        method=METHOD,
        items=items,
        patient_entities=ctx.as_dicts(),
        notes=notes,
    )


def _phenotype_diagnosis(
    store: GraphStore, ctx: PatientContext, limit: int, models: Any
) -> Ranking | None:
    """Every disease with phenotype annotations, ranked by the information content
    of the phenotypes it shares with the patient (:mod:`.phenotype_ranker`);
    ``None`` when the graph has no annotations or the patient names no phenotype."""
    from medkg.fusion.phenotype_ranker import METHOD as PHENOTYPES
    from medkg.fusion.phenotype_ranker import PhenotypeIndex

    index = models.phenotypes(store) if models is not None else PhenotypeIndex.from_store(store)
    terms = index.query_terms(ctx.weights(SYMPTOM), ctx.weights(DISEASE))
    items = index.rank(terms, limit) if len(index) and terms else []
    if not items:  # no annotations, no phenotype, or none that tells diseases apart
        return None
    notes = [
        f"ranked over the {len(index):,} diseases with phenotype annotations, "
        f"from {len(terms)} patient phenotype(s)"
    ]
    if models is not None:
        notes.append("no trained diagnosis model: run `medkg train fusion`")
    return Ranking(
        task="diagnosis", method=PHENOTYPES, items=items,
        patient_entities=ctx.as_dicts(), notes=notes,
    )  # fmt: skip


def _diagnosis_probabilities(ctx: PatientContext, models: Any, ckpt: Any) -> Any:
    """The diagnosis model's probabilities over its labels for this patient, from
    the negation-aware text (:meth:`PatientContext.affirmed_text`)."""
    kept = ctx.affirmed_text()
    vector = models.text_encoder(ckpt.text_model).encode([kept])[0]
    return ckpt.predict(vector, sorted(ctx.affirmed_ids), kept)


#: Inferred diagnoses below this probability are not used to rank drugs or trials.
MIN_INFERRED_PROBABILITY = 0.1


def inferred_diseases(
    store: GraphStore, ctx: PatientContext, models: Any, k: int = 3
) -> tuple[dict[str, float], str]:
    """Up to ``k`` likely diseases (graph id -> weight) for a patient who states none,
    and a human-readable basis for the answer's notes.

    The trained diagnosis model when there is one and the patient has affirmed
    findings or text (weights are its probabilities, those under
    ``MIN_INFERRED_PROBABILITY`` dropped, only labels that are graph nodes);
    otherwise the graph ranking over the patient's symptoms, scaled so the top
    candidate weighs 0.5 (an inferred disease counts less than a stated one).
    """
    ckpt = models.diagnosis() if models is not None else None
    if ckpt is not None and (ctx.affirmed_ids or ctx.text):
        probs = _diagnosis_probabilities(ctx, models, ckpt)
        top = [
            (ckpt.label_ids[i], ckpt.labels[i], float(probs[i]))
            for i in probs.argsort(descending=True).tolist()
            if ckpt.label_ids[i] and float(probs[i]) >= MIN_INFERRED_PROBABILITY
        ][:k]
        basis = ", ".join(f"{name} {p:.2f}" for _, name, p in top)
        return {i: p for i, _, p in top}, f"diagnosis model: {basis}"
    dx = rank_diagnoses(store, ctx.weights(SYMPTOM), {}, k)
    diseases = {d.id: 0.5 * d.score / (dx[0].score or 1) for d in dx}
    return diseases, "graph ranking over symptoms: " + ", ".join(d.name or d.id for d in dx)


def _fusion_diagnosis(
    store: GraphStore,
    ctx: PatientContext,
    limit: int,
    models: Any,
    ckpt: Any,
    image: bytes | None,
) -> Ranking:
    """The fusion model over its trained label set; graph paths from the patient's
    findings to each candidate that is a graph node are its evidence."""
    probs = _diagnosis_probabilities(ctx, models, ckpt)
    notes = [f"ranked over the {len(ckpt.labels)} diseases the model was trained on"]
    image_flag: dict[int, float] = {}
    method_extra = ""
    if image is not None:
        from medkg.fusion.image_fusion import fuse_image, image_probability

        trained_image = models.image()
        if trained_image is None:
            notes.append("image received but no image encoder is trained: `medkg train image`")
        else:
            encoder, prior = trained_image
            p_img = image_probability(encoder, image)
            fused = fuse_image(probs, ckpt.labels, p_img, prior)
            if fused is None:
                notes.append("image not used: the diagnosis model has no 'pneumonia' label")
            else:
                probs, k = fused
                image_flag[k] = round(p_img, 4)
                method_extra = " + image encoder (late fusion, Bayes' rule)"
    graph = {
        i.id: i for i in rank_diagnoses(store, ctx.weights(SYMPTOM), ctx.weights(DISEASE), 10_000)
    }
    items = []
    for k in probs.argsort(descending=True)[:limit].tolist():
        node_id = ckpt.label_ids[k]
        support = graph.get(node_id) if node_id else None
        items.append(RankedItem(
            id=node_id or f"label:{ckpt.labels[k]}", name=ckpt.labels[k], label="Disease",
            score=round(float(probs[k]), 4), evidence=support.evidence if support else [],
            flags={"in_graph": node_id is not None,
                   "explained": support.flags.get("explained", []) if support else [],
                   **({"image_probability": image_flag[k]} if k in image_flag else {})},
        ))  # fmt: skip
    meta = ckpt.meta
    return Ranking(
        task="diagnosis",
        method=(
            f"fusion model ({meta.get('graph', 'text')}; trained {meta.get('trained_at', '?')}, "
            f"held-out top-1 {meta.get('test_top1', '?')}){method_extra}"
        ),
        items=items,
        patient_entities=ctx.as_dicts(),
        notes=notes,
    )


def match_trials(
    store: GraphStore,
    ctx: PatientContext,
    limit: int = 10,
    models: Any = None,
) -> Ranking:
    """Trials for the patient; with text and a text encoder, the hybrid of
    :mod:`.trial_ranker`, else graph-only; trials that exclude the patient are
    flagged (not for a drug the patient stopped when the criterion is about
    current use: :mod:`.trial_exclusions`), and so are trials that test a drug
    the patient is allergic to (:func:`~.allergy_check.flag_trial_allergies`)."""
    notes = []
    has_trials = bool(store.query("MATCH (t:ClinicalTrial) RETURN t.id LIMIT 1").rows)
    if not has_trials:
        notes.append("no trials in the graph: run `medkg import trials FILE`")
    diseases = ctx.weights(DISEASE)
    if not diseases:
        diseases, basis = inferred_diseases(store, ctx, models)
        if diseases:
            notes.append(f"no disease stated: matched on the likely diagnoses ({basis})")
    if ctx.text and models is not None and has_trials:
        from medkg.fusion.trial_ranker import METHOD as HYBRID
        from medkg.fusion.trial_ranker import hybrid_trial_items

        items = hybrid_trial_items(
            store, ctx.text, diseases, ctx.affirmed_ids, models.text_encoder(None),
            models.trial_vectors, limit, stopped_drug_ids(ctx),
        )  # fmt: skip
        items, allergy_notes = flag_trial_allergies(store, items, ctx.allergy_ids)
        return Ranking(
            task="trials", method=HYBRID, items=items,
            patient_entities=ctx.as_dicts(), notes=notes + allergy_notes,
        )  # fmt: skip
    stopped = stopped_drug_ids(ctx)
    items = rank_trials(store, diseases, ctx.affirmed_ids, limit, stopped) if diseases else []
    items, allergy_notes = flag_trial_allergies(store, items, ctx.allergy_ids)
    notes += allergy_notes
    return Ranking(
        task="trials", method=METHOD, items=items, patient_entities=ctx.as_dicts(), notes=notes
    )
