"""Trial loaders: ClinicalTrials.gov API v2 records and TrialGPT's corpus layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medkg.kg.importers.trials import TrialFormatError, import_trials, read_trials, split_criteria
from medkg.kg.store.embedded import EmbeddedStore
from tests.conftest import SHARED

# Two public ClinicalTrials.gov records, written out by hand in the API v2 layout
# (fields abridged to what the loader reads).
CTGOV = {"studies": [
    {"protocolSection": {
        "identificationModule": {"nctId": "NCT00995306", "briefTitle":
            "Evaluating the Safety and Efficacy Civamide in Osteoarthritis (OA) of the Knee(s)"},
        "statusModule": {"overallStatus": "COMPLETED"},
        "descriptionModule": {"briefSummary": "To evaluate the safety and efficacy of Civamide "
            "Cream 0.075% as a treatment of the signs and symptoms associated with "
            "osteoarthritis of the knee."},
        "conditionsModule": {"conditions": ["Osteoarthritis of the Knee"]},
        "designModule": {"phases": ["PHASE3"]},
        "armsInterventionsModule": {"interventions": [
            {"type": "DRUG", "name": "Civamide Cream 0.075%"},
            {"type": "DRUG", "name": "Civamide Cream 0.01%"}]},
        "eligibilityModule": {"eligibilityCriteria":
            "Inclusion Criteria:\n\n* Subject is between 40-75 years of age.\n"
            "* Diagnosis of OA is present for at least 6 months.\n\n"
            "Exclusion Criteria:\n\n* Subject has history and/or diagnosis of rheumatoid "
            "arthritis, fibromyalgia, psoriatic arthritis.\n"
            "* Subject has Type I or Type II diabetes with peripheral neuropathies."},
    }},
    {"protocolSection": {
        "identificationModule": {"nctId": "NCT02490241", "briefTitle":
            "Lithium Therapy: Understanding Mothers, Metabolism and Mood"},
        "statusModule": {"overallStatus": "COMPLETED"},
        "conditionsModule": {"conditions": ["Bipolar Disorder", "Pregnancy"]},
        "armsInterventionsModule": {"interventions": [{"type": "DRUG", "name": "Lithium"}]},
        "eligibilityModule": {"eligibilityCriteria":
            "Inclusion Criteria:\n\n* Pregnant women with bipolar disorder taking lithium\n\n"
            "Exclusion Criteria:\n\n* Active substance use disorder"},
    }},
]}  # fmt: skip


def test_ctgov_v2_records_parse_into_trials(tmp_path: Path) -> None:
    path = tmp_path / "studies.json"
    path.write_text(json.dumps(CTGOV))
    first, second = read_trials(path)
    assert first.nct_id == "NCT00995306" and first.phase == "PHASE3"
    assert first.conditions == ["Osteoarthritis of the Knee"]
    assert first.inclusion == [
        "Subject is between 40-75 years of age.",
        "Diagnosis of OA is present for at least 6 months.",
    ]
    assert len(first.exclusion) == 2 and "rheumatoid arthritis" in first.exclusion[0]
    assert second.interventions == ["Lithium"] and second.exclusion == [
        "Active substance use disorder"
    ]


def test_trialgpt_corpus_sample_parses() -> None:
    path = SHARED / "trialgpt/sigir/corpus-sample.jsonl"
    if not path.exists():
        pytest.skip("no TrialGPT corpus sample")
    trials = read_trials(path)
    assert len(trials) == 50 and len({t.nct_id for t in trials}) == 50
    assert sum(bool(t.inclusion) for t in trials) >= 45
    assert sum(bool(t.exclusion) for t in trials) >= 40


def test_split_criteria_and_bad_files(tmp_path: Path) -> None:
    inc, exc = split_criteria(
        "Inclusion criteria:\n1. Age > 18\n2. HbA1c > 7%\n"
        "Exclusion criteria:\n- Pregnancy\n- Insulin use"
    )
    assert inc == ["Age > 18", "HbA1c > 7%"] and exc == ["Pregnancy", "Insulin use"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"_id": "XYZ", "title": "t", "text": ""}\n{not json\n')
    with pytest.raises(TrialFormatError) as err:
        read_trials(bad)
    assert "not an NCT id" in str(err.value) and "bad.jsonl:2: not JSON" in str(err.value)
    with pytest.raises(TrialFormatError, match="no such file"):
        read_trials(tmp_path / "missing.json")


def test_import_links_conditions_and_is_idempotent(store: EmbeddedStore, tmp_path: Path) -> None:
    store.import_nodes(
        "Disease",
        [
            {"id": "DOID:8577", "name": "osteoarthritis"},
            {"id": "DOID:7148", "name": "rheumatoid arthritis"},
        ],
    )
    path = tmp_path / "studies.json"
    path.write_text(json.dumps(CTGOV))

    def link(texts: list[str]) -> list[list[tuple[str, str]]]:  # as the ruler would
        names = (("osteoarthritis", "DOID:8577"), ("rheumatoid arthritis", "DOID:7148"))
        return [[("Disease", i) for n, i in names if n in text.lower()] for text in texts]

    first = import_trials(store, read_trials(path), link)
    assert (first.trials, first.created, first.studies_edges) == (2, 2, 1)
    node = store.get_node("NCT00995306")
    assert node["exclusion_ids"] == ["DOID:7148"] and node["status"] == "COMPLETED"
    again = import_trials(store, read_trials(path), link)
    assert (again.created, again.studies_edges) == (0, 0)
