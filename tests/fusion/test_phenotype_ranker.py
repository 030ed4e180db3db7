"""Phenotype-driven diagnosis over every annotated disease: information content
on the HPO hierarchy, exact matches in full, evidence paths that exist."""

from __future__ import annotations

import math

from medkg.fusion.patient import build_patient_context
from medkg.fusion.phenotype_ranker import PhenotypeIndex
from medkg.fusion.recommend import diagnose
from medkg.kg.store.embedded import EmbeddedStore


def _toy() -> PhenotypeIndex:
    """root <- seizure <- {focal seizure, tonic-clonic seizure}; root <- pain."""
    parents = {"seizure": ["root"], "focal": ["seizure"], "tonic": ["seizure"], "pain": ["root"]}
    annotations = {
        "epilepsy A": {"focal": 0.9, "pain": None},
        "epilepsy B": {"tonic": 0.5},
        "pain syndrome": {"pain": 1.0},
        "other": {"pain": None},
    }
    index = PhenotypeIndex({k: k for k in [*parents, "root", *annotations]}, parents, annotations)
    index._build()
    return index


def test_information_content_follows_the_hierarchy() -> None:
    index = _toy()
    assert index.ic["root"] == 0.0  # every disease shows it: says nothing
    assert math.isclose(index.ic["seizure"], math.log(2))  # 2 of 4 diseases
    assert index.ic["focal"] > index.ic["seizure"] > index.ic["pain"]
    # a patient's "seizure" matches both epilepsies through the hierarchy, which
    # exact term overlap cannot
    assert index.scores(["seizure"], "overlap") == {}
    served = index.scores(["seizure"])
    assert set(served) >= {"epilepsy A", "epilepsy B"}
    # "focal seizure" itself beats a sibling reached only through "seizure"
    focal = index.scores(["focal"])
    assert focal["epilepsy A"] > focal["epilepsy B"] > focal.get("pain syndrome", 0.0)
    assert index.match("focal", "epilepsy B") == ("tonic", "seizure")


def test_an_exact_match_counts_in_full_beside_an_equally_informative_parent() -> None:
    """A parent whose only annotated descendant is the term has the term's
    information content; the exact match must still count in full, whichever
    order the ancestor set iterates in (it followed string hashing before)."""
    pairs = [(f"term{i}", f"parent{i}") for i in range(24)]
    parents = {t: [p] for t, p in pairs} | {p: ["root"] for _, p in pairs}
    annotations = {f"disease{i}": {t: None} for i, (t, _) in enumerate(pairs)}
    index = PhenotypeIndex({k: k for k in [*parents, "root", *annotations]}, parents, annotations)
    index._build()
    for i, (t, p) in enumerate(pairs):
        assert index.ic[t] == index.ic[p] > 0
        assert index.scores([t])[f"disease{i}"] == index.ic[t]


def test_a_marfan_like_patient_ranks_marfan_syndrome_first(vocab_store: EmbeddedStore) -> None:
    phenotypes = ["HP:0001166", "HP:0001083", "HP:0002616", "HP:0000098"]
    present = {r[0] for r in vocab_store.query(
        "MATCH (:Disease {id: 'DOID:14323'})-[:PRESENTS]->(s) WHERE s.id IN $ids RETURN s.id",
        {"ids": phenotypes},
    ).rows}  # fmt: skip
    assert len(present) >= 3  # arachnodactyly, ectopia lentis, aortic root aneurysm...
    ctx = build_patient_context(vocab_store, None, None, phenotypes)
    ranking = diagnose(vocab_store, ctx, 5, None)
    assert ranking.method.startswith("graph-only: phenotype similarity")
    assert ranking.items[0].id == "DOID:14323", [(i.id, i.name) for i in ranking.items]
    top = ranking.items[0]
    assert set(top.flags["explained"]) >= present
    for path in top.evidence:  # every PRESENTS step is an edge in the graph
        disease, phenotype = path.nodes[0].id, path.nodes[1].id
        assert vocab_store.query(
            "MATCH (:Disease {id: $d})-[:PRESENTS]->(:Symptom {id: $s}) RETURN 1",
            {"d": disease, "s": phenotype},
        ).rows


def test_extracted_phenotypes_carry_their_sentences_as_evidence() -> None:
    index = _toy()
    index.provenance[("epilepsy A", "focal")] = ("extraction", ["Focal seizures daily."], ["n1"])
    top = index.rank(["focal"], 2)[0]
    assert top.id == "epilepsy A"
    path = top.evidence[0]
    assert path.source == "extraction" and path.sentences == ["Focal seizures daily."]
    assert path.document_ids == ["n1"] and path.text.startswith("(epilepsy A)-[PRESENTS]->(focal)")
