"""Trial-matching metrics by hand, and TrialGPT's real patient/qrel files."""

from __future__ import annotations

import math

import pytest

from medkg.fusion.trial_eval import evaluate_rankings, ndcg_at, read_patients, read_qrels
from tests.conftest import SHARED

SIGIR = SHARED / "trialgpt/sigir"


def test_metrics_by_hand() -> None:
    grades = {"a": 2, "b": 0, "c": 1}
    ideal = 3 / math.log2(2) + 1 / math.log2(3)
    got = 0 / math.log2(2) + 3 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at(["b", "a", "c"], grades, 10) == pytest.approx(got / ideal)
    assert ndcg_at(["a", "c", "b"], grades, 10) == pytest.approx(1.0)
    m = evaluate_rankings({"p1": ["b", "a", "c"], "p2": ["x"]}, {"p1": grades, "p2": {"x": 0}})
    assert m.patients == 2 and m.p10 == pytest.approx((1 / 10 + 0) / 2)
    assert m.recall100 == 1.0  # only p1 has an eligible trial, and it is found


@pytest.mark.skipif(not (SIGIR / "queries.jsonl").exists(), reason="no TrialGPT data")
def test_trialgpt_files_load() -> None:
    patients = read_patients(SIGIR / "queries.jsonl")
    qrels = read_qrels(SIGIR / "qrels/test.tsv")
    assert patients and patients[0].id.startswith("sigir-") and len(patients[0].text) > 100
    assert sum(len(v) for v in qrels.values()) == 3835
    assert {g for v in qrels.values() for g in v.values()} <= {0, 1, 2}
