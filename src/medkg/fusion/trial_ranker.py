"""Trial matching that fuses the patient's text with the graph, without training.

Why untrained: TrialGPT's public judgements come without the trial texts
(only a 50-trial sample is shipped), so there is nothing to fit weights on
here. The fusion is the one ``bench/eval_trials.py`` measures as
``medkg hybrid`` against BM25, on any corpus given by path: the cosine of the
text encoder's patient and trial vectors, plus a bonus per affirmed patient
disease the trial studies (its STUDIES edges), minus a penalty per affirmed
patient entity its exclusion criteria name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Set as AbstractSet
from typing import Any

import torch

from medkg.fusion.evidence import RankedItem
from medkg.fusion.graph_ranker import rank_trials
from medkg.kg.store.base import GraphStore

CONDITION_BONUS = 0.2
EXCLUSION_PENALTY = 0.3
METHOD = (
    "hybrid: text similarity of patient and trial (text encoder) + graph agreement "
    "(STUDIES edges, exclusion criteria); fixed weights, no trained model"
)


def hybrid_score(similarity: float, condition_hits: int, exclusion_hits: int) -> float:
    return similarity + CONDITION_BONUS * condition_hits - EXCLUSION_PENALTY * exclusion_hits


def trial_text(title: str | None, conditions: Any, summary: str | None, inclusion: Any) -> str:
    """The text a trial is embedded from (the benchmark uses the same fields)."""
    return " ".join(
        [title or "", " ".join(conditions or []), summary or "", " ".join(inclusion or [])]
    )


def hybrid_trial_items(
    store: GraphStore,
    patient_text: str,
    diseases: dict[str, float],
    affirmed: set[str],
    encoder: Any,
    vectors: dict[str, torch.Tensor],
    limit: int,
    stopped: AbstractSet[str] = frozenset(),
) -> list[RankedItem]:
    """Rank every trial in the store; ``vectors`` caches trial embeddings by text digest
    (a re-imported, corrected trial is re-encoded)."""
    rows = store.query(
        "MATCH (t:ClinicalTrial) RETURN t.id, t.title, t.conditions, t.summary, t.inclusion",
        row_cap=1_000_000,
    ).rows
    texts = {r[0]: trial_text(*r[1:]) for r in rows}
    keys = {tid: hashlib.sha1(t.encode()).hexdigest() for tid, t in texts.items()}
    missing = [tid for tid in texts if keys[tid] not in vectors]
    if missing:
        encoded = encoder.encode([texts[tid] for tid in missing])
        vectors.update(zip([keys[tid] for tid in missing], encoded, strict=True))
    patient = encoder.encode([patient_text])[0]
    graph = {i.id: i for i in rank_trials(store, diseases, affirmed, 1_000_000, stopped)}
    scored = []
    for tid, title, *_ in rows:
        sim = float(patient @ vectors[keys[tid]])
        g = graph.get(tid)
        hits = len(g.flags.get("anchors", [])) if g else 0
        excluded = g.flags.get("excluded_by", []) if g else []
        scored.append(RankedItem(
            id=tid, name=title, label="ClinicalTrial",
            score=round(hybrid_score(sim, hits, len(excluded)), 4),
            evidence=g.evidence if g else [],
            flags={"text_similarity": round(sim, 4), "condition_hits": hits,
                   "excluded_by": excluded},
        ))  # fmt: skip
    return sorted(scored, key=lambda i: -i.score)[:limit]
