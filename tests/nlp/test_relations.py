"""Relations from real sentences into the graph, with provenance and idempotence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import spacy

from medkg.kg.store.embedded import EmbeddedStore
from medkg.nlp import Extractor, NoteInput, ingest_documents
from medkg.settings import Settings
from tests.conftest import SHARED, hetionet_store, needs_hetionet

pytestmark = needs_hetionet

NOTE = (
    "Started metformin for type 2 diabetes mellitus. Hypertension treated with lisinopril. "
    "She developed hypothyroidism due to amiodarone. "
    "Headache secondary to migraine. BRCA1 mutations are associated with breast cancer. "
    "No rash after penicillin."
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    with hetionet_store(tmp_path_factory.mktemp("relations")) as store:
        yield store


@pytest.fixture(scope="module")
def extractor(store: EmbeddedStore) -> Extractor:
    return Extractor(store, store.settings)


def _relations(extractor: Extractor, text: str) -> set[tuple[str, str, str]]:
    (doc,) = extractor.extract([NoteInput("t", text)])
    return {
        (r.rel_type, doc.mentions[r.head].text, doc.mentions[r.tail].text) for r in doc.relations
    }


def test_rules_find_the_four_relation_types(extractor: Extractor) -> None:
    found = _relations(extractor, NOTE)
    assert ("TREATS", "metformin", "type 2 diabetes mellitus") in found
    assert ("TREATS", "lisinopril", "Hypertension") in found
    assert ("CAUSES", "amiodarone", "hypothyroidism") in found
    assert ("PRESENTS", "migraine", "Headache") in found
    assert ("ASSOCIATES", "breast cancer", "BRCA1") in found
    assert not any("penicillin" in (h, t) for _, h, t in found)  # negated: no fact


def test_hyphenated_drug_effects_are_split(extractor: Extractor) -> None:
    assert ("CAUSES", "Amiodarone", "pulmonary fibrosis") in _relations(
        extractor, "CT shows amiodarone-induced pulmonary fibrosis."
    ) | _relations(extractor, "Amiodarone-induced pulmonary fibrosis on CT.")
    # ... and a relation whose effect was ruled out or only considered is no fact
    assert _relations(extractor, "Amiodarone-induced pulmonary fibrosis was ruled out.") == set()
    assert _relations(extractor, "Amiodarone-induced pulmonary fibrosis was considered.") == set()


def test_negated_or_hypothetical_mentions_make_no_relations(extractor: Extractor) -> None:
    assert _relations(extractor, "Metformin was not started for type 2 diabetes mellitus.") == set()
    assert _relations(extractor, "Denies hypertension treated with lisinopril.") == set()


def test_relations_are_written_with_provenance_and_replaced_per_document(
    store: EmbeddedStore, extractor: Extractor
) -> None:
    def extracted(rel: str) -> list[list]:
        return store.query(
            f"MATCH (a)-[r:{rel}]->(b) WHERE r.source = 'extraction' "
            "RETURN a.id, b.id, r.document_ids, r.sentences, r.evidence, r.confidence, "
            "r.extractor_version ORDER BY a.id, b.id"
        ).rows

    hetionet_treats = store.query(
        "MATCH ()-[r:TREATS]->() WHERE r.source <> 'extraction' RETURN count(r)"
    ).rows[0][0]
    result = ingest_documents(store, extractor.extract([NoteInput("rel-1", NOTE)]))
    assert result.relations >= 5
    treats = extracted("TREATS")
    row = next(r for r in treats if r[0] == "DB00331")
    assert row[1] == "DOID:9352" and row[2] == ["rel-1"]
    assert row[3] == ["Started metformin for type 2 diabetes mellitus."]
    evidence = json.loads(row[4][0])
    assert NOTE[evidence["head"]["start"] : evidence["head"]["end"]] == "metformin"
    assert evidence["method"] == "drug-for-problem" and 0 < row[5] <= 1 and row[6]

    again = ingest_documents(store, extractor.extract([NoteInput("rel-1", NOTE)]))
    assert (again.unchanged, again.relations) == (1, 0)
    assert extracted("TREATS") == treats  # nothing duplicated

    other = ingest_documents(
        store,
        extractor.extract([NoteInput("rel-2", "Started metformin for type 2 diabetes mellitus.")]),
    )
    assert other.relations == 1
    fixed = NOTE.replace("Started metformin for", "Stopped metformin; has")
    ingest_documents(store, extractor.extract([NoteInput("rel-1", fixed)]))
    metformin = [r for r in extracted("TREATS") if r[0] == "DB00331"]
    assert [r[2] for r in metformin] == [["rel-2"]]  # rel-1's fact gone, rel-2's kept
    assert (
        store.query("MATCH ()-[r:TREATS]->() WHERE r.source <> 'extraction' RETURN count(r)").rows[
            0
        ][0]
        == hetionet_treats
    )  # imported facts untouched


def test_unlinked_mentions_become_flagged_nodes_only_when_asked(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    # A real spaCy pipeline whose "ner" knows a disease name the graph lacks.
    ner = spacy.blank("en")
    ruler = ner.add_pipe("entity_ruler", name="ner")
    ruler.add_patterns([{"label": "DISEASE", "pattern": "zorblax syndrome"}])
    ner.to_disk(tmp_path / "ner-model")
    base = dict(
        data_dir=store.settings.data_dir,
        shared_data_dir=SHARED,
        backend="embedded",
        ner_model=str(tmp_path / "ner-model"),
    )
    note = [NoteInput("unlinked-1", "Diagnosed with zorblax syndrome last year.")]

    plain = Extractor(store, Settings(**base))
    assert ingest_documents(store, plain.extract(note)).new_nodes == 0
    assert store.get_node("medkg:disease:zorblax-syndrome") is None

    creating = Extractor(store, Settings(**base, create_unlinked=True))
    assert creating.version != plain.version  # a different extractor re-extracts
    first = ingest_documents(store, creating.extract(note))
    assert (first.replaced, first.new_nodes) == (1, 1)
    node = store.get_node("medkg:disease:zorblax-syndrome")
    assert node is not None and node["extracted"] is True and node["name"] == "zorblax syndrome"
    assert ingest_documents(store, creating.extract(note)).new_nodes == 0


def test_two_processes_give_the_same_documents(extractor: Extractor) -> None:
    notes = [
        NoteInput(str(i), NOTE.replace("metformin", d))
        for i, d in enumerate(["metformin", "insulin", "glipizide", "pioglitazone", "metformin"])
    ]
    one = list(extractor.extract(notes, n_process=1, batch_size=2))
    two = list(extractor.extract(notes, n_process=2, batch_size=2))
    assert [d.doc_id for d in two] == [n.doc_id for n in notes]
    assert one == two


def test_a_drug_the_graph_gives_for_the_disease_is_not_said_to_cause_it(
    store: EmbeddedStore, extractor: Extractor
) -> None:
    # Hetionet: clonidine (DB00575) TREATS hypertension (DOID:10763); amiodarone
    # has no such edge to hypothyroidism.
    text = "Hypertension induced by clonidine. Hypothyroidism induced by amiodarone."
    assert _relations(extractor, text) == {("CAUSES", "amiodarone", "Hypothyroidism")}
    assert "clonidine" in extractor.lexicon.names and extractor.lexicon.treatments["DB00575"]
    off = Extractor(store, store.settings.model_copy(update={"cid_known_treatments": False}))
    assert ("CAUSES", "clonidine", "Hypertension") in _relations(off, text)
    assert off.version != extractor.version  # facts say which rule made them


def test_a_disease_mention_tied_to_a_symptom_is_a_finding(
    vocab_store: EmbeddedStore, vocab_extractor: Extractor
) -> None:
    """ "diarrhea" links to DOID's disease, which MeSH's symptom Diarrhea is tied
    to (decision 0036): as the finding of PRESENTS the edge goes to the symptom
    (PRESENTS is Disease -> Symptom), and the evidence says which node the
    mention linked to."""
    extractor = vocab_extractor
    assert extractor.lexicon.tied_symptom["DOID:13250"] == "D003967"
    note = "Crohn's disease presenting with diarrhea. Diarrhea due to celiac disease."
    (doc,) = extractor.extract([NoteInput("tied-finding", note)])
    found = {
        (r.rel_type, doc.mentions[r.head].node_id, r.tail_node(doc.mentions)[1])
        for r in doc.relations
    }
    assert ("PRESENTS", "DOID:8778", "D003967") in found
    assert ("PRESENTS", "DOID:10608", "D003967") in found
    assert not any(t == "DOID:13250" for _, _, t in found)  # never Disease -> Disease

    ingest_documents(vocab_store, [doc])
    rows = vocab_store.query(
        "MATCH (d:Disease {id: 'DOID:8778'})-[r:PRESENTS]->(s:Symptom) "
        "WHERE r.source = 'extraction' RETURN s.id, r.evidence"
    ).rows
    assert [r[0] for r in rows] == ["D003967"]
    tail = json.loads(rows[0][1][0])["tail"]
    assert note[tail["start"] : tail["end"]] == "diarrhea"
    assert (tail["linked_to"], tail["via"]) == ("DOID:13250", "SAME_AS")


def test_a_disease_without_a_tied_symptom_is_no_finding(vocab_extractor: Extractor) -> None:
    extractor = vocab_extractor
    (doc,) = extractor.extract([NoteInput("t", "Crohn's disease presenting with malaria.")])
    assert [m.node_id for m in doc.mentions] == ["DOID:8778", "DOID:12365"]
    assert "DOID:12365" not in extractor.lexicon.tied_symptom  # no phenotype is malaria
    assert not [r for r in doc.relations if r.rel_type == "PRESENTS"]


def test_a_bare_with_is_presents_only_where_the_graph_knows_the_pair(
    vocab_extractor: Extractor,
) -> None:
    """"Marfan syndrome with arachnodactyly" is a presentation the HPO annotates;
    "Overactive bladder with microscopic hematuria"-like pairs are co-findings
    the words cannot tell apart, so an unknown pair with a bare "with" is no
    relation, while an explicit trigger still is; "X, presented with Y" after a
    history list is what the patient presented with (known_findings.py)."""
    assert "HP:0001166" in vocab_extractor.lexicon.findings["DOID:14323"]

    def presents(text: str) -> set[tuple[str, str]]:
        (doc,) = vocab_extractor.extract([NoteInput("with", text)])
        return {(doc.mentions[r.head].text, doc.mentions[r.tail].text)
                for r in doc.relations if r.rel_type == "PRESENTS"}  # fmt: skip

    assert presents("Marfan syndrome with arachnodactyly.") == {
        ("Marfan syndrome", "arachnodactyly")
    }
    assert presents("Marfan syndrome with hematuria.") == set()
    assert presents("Marfan syndrome presenting with hematuria.") == {
        ("Marfan syndrome", "hematuria")
    }
    assert presents("History of asthma, Marfan syndrome, presented with hematuria.") == set()
    # two histories, no cause; the same words with a cause are one
    assert presents("Hematuria and a history of Marfan syndrome.") == set()
    assert presents("Hematuria secondary to Marfan syndrome.") == {
        ("Marfan syndrome", "Hematuria")
    }
    # a diagnosis in question is hypothetical, and so takes part in no relation
    assert presents("Headaches, question of temporal arteritis.") == set()


def test_a_finding_is_known_through_its_parents_and_children() -> None:
    from medkg.nlp.relations.known_findings import finding_known

    findings = {"D1": frozenset({"HP:hematuria"}), "D0": frozenset({"HP:fever"})}
    parents = {
        "HP:microscopic": ("HP:hematuria",),  # the note more specific
        "HP:hematuria": ("HP:urine",),
        "D2": ("D0",),  # a disease whose parent presents the finding
    }
    assert finding_known(findings, parents, "D1", "HP:hematuria")
    assert finding_known(findings, parents, "D1", "HP:microscopic")
    assert finding_known(findings, parents, "D1", "HP:urine")  # the note more general
    assert finding_known(findings, parents, "D2", "HP:fever")
    assert not finding_known(findings, parents, "D1", "HP:fever")
    assert not finding_known(findings, parents, "D3", "HP:hematuria")


def test_on_a_drug_after_a_lists_and_is_no_treatment(vocab_extractor: Extractor) -> None:
    """"Known hypertension, on lisinopril" gives the drug for the disease; "minimal
    hematuria, and on Bactrim DS" lists what the patient leaves with."""

    def treats(text: str) -> set[tuple[str, str]]:
        (doc,) = vocab_extractor.extract([NoteInput("on", text)])
        return {(doc.mentions[r.head].text, doc.mentions[r.tail].text)
                for r in doc.relations if r.rel_type == "TREATS"}  # fmt: skip

    assert treats("Known hypertension, on lisinopril.") == {("lisinopril", "hypertension")}
    assert treats("Discharged with minimal hematuria, and on ciprofloxacin.") == set()
