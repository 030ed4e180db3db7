"""Trial-matching evaluation in TrialGPT's layout: patients, qrels, a trial corpus.

Candidates per patient are the judged trials found in the corpus file (TrialGPT
ranks its retrieved candidates the same way), so every system ranks the same
lists. Qrels grade 0 (not relevant), 1 (excluded), 2 (eligible): NDCG@10 uses
those grades as gains; P@10 and Recall@100 count eligible trials as relevant.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from medkg.kg.importers.trials import Trial


@dataclass
class Patient:
    id: str
    text: str


def read_patients(path: Path) -> list[Patient]:
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(Patient(str(row["_id"]), row["text"]))
    return out


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with Path(path).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            qrels[row["query-id"]][row["corpus-id"]] = int(row["score"])
    return dict(qrels)


def trial_text(t: Trial) -> str:
    from medkg.fusion.trial_ranker import trial_text as fields_text

    return fields_text(t.title, t.conditions, t.summary, t.inclusion)


def ndcg_at(ranked: list[str], grades: dict[str, int], k: int) -> float:
    dcg = sum((2 ** grades.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


@dataclass
class TrialMetrics:
    ndcg10: float
    p10: float
    recall100: float
    patients: int


def evaluate_rankings(
    rankings: dict[str, list[str]], qrels: dict[str, dict[str, int]]
) -> TrialMetrics:
    """Mean metrics over patients with at least one judged candidate."""
    nd, p, r = [], [], []
    for pid, ranked in rankings.items():
        grades = {d: qrels[pid].get(d, 0) for d in ranked}
        if not grades:
            continue
        eligible = {d for d, g in grades.items() if g == 2}
        nd.append(ndcg_at(ranked, grades, 10))
        p.append(sum(d in eligible for d in ranked[:10]) / 10)
        if eligible:
            r.append(sum(d in eligible for d in ranked[:100]) / len(eligible))
    mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
    return TrialMetrics(mean(nd), mean(p), mean(r), len(nd))


Scorer = Callable[[Patient, list[Trial]], list[float]]


def rank_all(
    patients: list[Patient],
    trials: dict[str, Trial],
    qrels: dict[str, dict[str, int]],
    scorer: Scorer,
) -> dict[str, list[str]]:
    out = {}
    for p in patients:
        cands = [trials[t] for t in qrels.get(p.id, {}) if t in trials]
        if not cands:
            continue
        scores = scorer(p, cands)
        order = sorted(range(len(cands)), key=lambda i: (-scores[i], cands[i].nct_id))
        out[p.id] = [cands[i].nct_id for i in order]
    return out
