"""Allergies (decision 0047): a drug a note names as the patient's allergy is
no fact of what the patient takes; it is written as REPORTS_ALLERGY, and a
treatment ranking flags it and ranks it below the others."""

from __future__ import annotations

from medkg.fusion.allergy_check import allergy_conflicts
from medkg.fusion.rank import rank_patient
from medkg.kg.store.embedded import EmbeddedStore
from medkg.nlp import Extractor
from medkg.nlp.documents import NoteInput
from medkg.nlp.ingest import ingest_documents
from medkg.nlp.sections import section_kind
from tests.nlp.conftest import drug_flags

NOTE = (
    "ALLERGIES: Compazine and Allegra.\n"
    "MEDICATIONS: Cipro 500 mg b.i.d.\n"
    "HPI: She is allergic to codeine and morphine. She takes lisinopril daily. "
    "No known allergy to amoxicillin. Her mother is allergic to aspirin. "
    "Ibuprofen intolerance was noted in 2010. "
    "She had an allergic reaction to naproxen, but tolerates acetaminophen."
)


def _drugs(extractor: Extractor, doc_id: str, text: str) -> dict[str, tuple[bool, bool, bool]]:
    """Drug mention (lower case) -> (allergen, reported allergy, fact)."""
    return drug_flags(extractor, doc_id, text, "allergen", "is_reported_allergy",
                      "is_positive_fact")  # fmt: skip


def test_allergy_headings_are_their_own_kind() -> None:
    assert section_kind("allergies") == "allergies"
    assert section_kind("allergies to medications") == "allergies"
    assert section_kind("drug allergies") == "allergies"
    assert section_kind("allergy/immunology") == "other"  # a review of systems' heading
    assert section_kind("medications") == "other"


def test_allergens_are_no_facts(vocab_extractor: Extractor) -> None:
    got = _drugs(vocab_extractor, "allergy-note", NOTE)
    reported, plain_fact = (True, True, False), (False, False, True)
    assert got["compazine"] == reported and got["allegra"] == reported
    assert got["cipro"] == plain_fact, got  # under MEDICATIONS: taken
    assert got["codeine"] == reported and got["morphine"] == reported, got  # "allergic to"
    assert got["lisinopril"] == plain_fact, got
    assert got["amoxicillin"] == (True, False, False), got  # negated: no allergy reported
    assert got["aspirin"] == (True, False, False), got  # the mother's
    assert got["ibuprofen"] == reported, got  # "ibuprofen intolerance"
    assert got["naproxen"] == reported, got
    assert got["acetaminophen"] == plain_fact, got  # "but" ends the cue's scope


def test_reported_allergies_are_written_apart_and_replaced_on_reingest(
    vocab_extractor: Extractor, vocab_store: EmbeddedStore
) -> None:
    def written(rel: str) -> set[str]:
        rows = vocab_store.query(
            f"MATCH (:Document {{id: 'allergy-ingest'}})-[:{rel}]->(n:Drug) RETURN n.name"
        ).rows
        return {r[0].lower() for r in rows}

    (doc,) = vocab_extractor.extract([NoteInput("allergy-ingest", NOTE)])
    first = ingest_documents(vocab_store, [doc])
    allergies = {"prochlorperazine", "fexofenadine", "codeine", "morphine", "ibuprofen",
                 "naproxen"}  # fmt: skip
    assert written("REPORTS_ALLERGY") == allergies
    assert first.allergies == len(allergies)
    facts = written("MENTIONS")
    assert {"ciprofloxacin", "lisinopril", "acetaminophen"} <= facts
    assert not facts & (allergies | {"amoxicillin", "acetylsalicylic acid"})
    rel = vocab_store.query(
        "MATCH (:Document {id: 'allergy-ingest'})-[r:REPORTS_ALLERGY]->(:Drug {name: 'Codeine'}) "
        "RETURN r.sentences, r.mentions, r.extractor_version"
    ).rows[0]
    assert len(rel[0]) == 1 and rel[0][0].endswith("She is allergic to codeine and morphine.")
    assert '"text": "codeine"' in rel[1][0] and rel[2] == doc.extractor_version
    # the same document again writes nothing; a corrected one replaces its allergies
    again = ingest_documents(vocab_store, [doc])
    assert again.unchanged == 1 and written("REPORTS_ALLERGY") == allergies
    (fixed,) = vocab_extractor.extract(
        [NoteInput("allergy-ingest", "ALLERGIES: Codeine.\nMEDICATIONS: Morphine 2 mg.")]
    )
    assert ingest_documents(vocab_store, [fixed]).replaced == 1
    assert written("REPORTS_ALLERGY") == {"codeine"}
    assert written("MENTIONS") == {"morphine"}


def test_a_treatment_ranking_flags_the_patients_allergy(
    vocab_extractor: Extractor, vocab_store: EmbeddedStore
) -> None:
    plain = rank_patient("treatments", vocab_store, None, disease_id="DOID:9352", limit=5)
    assert len(plain.items) >= 3
    first = plain.items[0]
    given = rank_patient(
        "treatments", vocab_store, None, disease_id="DOID:9352", allergy_ids=[first.id], limit=5
    )
    assert first.id not in [i.id for i in given.items]  # moved past the limit ...
    assert any(first.name in n and "allergy" in n for n in given.notes), given.notes  # ... named
    assert [i.id for i in given.items][:2] == [i.id for i in plain.items][1:3]
    # read from the text: "ALLERGIES: <drug>" is the same allergy; with a long
    # enough list the drug stays in it, flagged, below every other drug
    text = f"Type 2 diabetes mellitus.\nALLERGIES: {first.name}."
    read = rank_patient(
        "treatments", vocab_store, None, extractor=vocab_extractor, text=text, limit=100
    )
    ids = [i.id for i in read.items]
    assert ids[-1] == first.id, ids
    assert read.items[-1].flags["allergy_conflict"] == [
        f"the patient reports an allergy to {first.name}"
    ]
    entity = next(e for e in read.patient_entities if e["id"] == first.id)
    assert entity["allergen"] is True and entity["affirmed"] is False


def test_a_drug_of_an_allergens_pharmacologic_class_conflicts(store: EmbeddedStore) -> None:
    """The shipped Hetionet subset has no pharmacologic-class edges; a small graph
    of its own has them (penicillins)."""
    store.import_nodes("Drug", [
        {"id": "DB01053", "name": "Benzylpenicillin"},
        {"id": "DB01060", "name": "Amoxicillin"},
        {"id": "DB00537", "name": "Ciprofloxacin"},
    ])  # fmt: skip
    store.import_nodes(
        "PharmacologicClass", [{"id": "N0000175497", "name": "Penicillin-class Antibacterial"}]
    )
    store.import_edges("INCLUDES", "PharmacologicClass", "Drug", [
        {"start": "N0000175497", "end": "DB01053"},
        {"start": "N0000175497", "end": "DB01060"},
    ])  # fmt: skip
    got = allergy_conflicts(store, ["DB01060", "DB00537", "DB01053"], {"DB01053"})
    assert got == {
        "DB01053": ["the patient reports an allergy to Benzylpenicillin"],
        "DB01060": [
            "same pharmacologic class (Penicillin-class Antibacterial) as Benzylpenicillin, "
            "which the patient reports an allergy to"
        ],
    }


def test_penicillin_names_the_class_and_holds_back_its_members(
    vocab_extractor: Extractor, vocab_store: EmbeddedStore
) -> None:
    """"ALLERGIES: Penicillin" (clinical_names.tsv: MeSH's class Penicillins) and
    "could not tolerate sulfa" are reported allergies; amoxicillin, inside the
    class by its MeSH tree numbers, conflicts with the first, ciprofloxacin
    with neither."""
    text = "ALLERGIES: Penicillin.\nHPI: She could not tolerate sulfa due to a rash."
    (doc,) = vocab_extractor.extract([NoteInput("penicillin", text)])
    got = {m.text.lower(): (m.node_id, m.is_reported_allergy, m.negated) for m in doc.mentions
           if m.node_label == "Drug"}  # fmt: skip
    assert got == {"penicillin": ("D010406", True, False), "sulfa": ("D013449", True, False)}
    conflicts = allergy_conflicts(vocab_store, ["DB01060", "DB00537"], {"D010406"})
    assert list(conflicts) == ["DB01060"]
    assert "MeSH class of Penicillins" in conflicts["DB01060"][0]


def test_a_combination_brand_links_to_each_ingredient(
    vocab_extractor: Extractor, vocab_store: EmbeddedStore
) -> None:
    """DrugBank names single drugs only; "Percocet" is oxycodone and
    acetaminophen (combination_brands.tsv): one span, one link per ingredient,
    each a fact (or each an allergen under ALLERGIES), and every row of the
    table resolves to drugs of the vocabulary graph."""
    from medkg.nlp.packaged import packaged_rows

    lexicon = vocab_extractor.lexicon
    rows = packaged_rows("combination_brands.tsv")
    assert len(lexicon.combinations) == len(rows)  # no row silently dropped
    assert len(lexicon.clinical_names) == len(packaged_rows("clinical_names.tsv"))
    assert lexicon.lookup("Xylocaine").node_id == "DB00281"  # a brand DrugBank lacks
    text = "MEDICATIONS: Percocet 5/325 p.r.n.\nALLERGIES: Bactrim."
    (doc,) = vocab_extractor.extract([NoteInput("combination", text)])
    got = sorted((m.text, m.node_id, m.is_positive_fact, m.is_reported_allergy, m.link_rule)
                 for m in doc.mentions if m.node_label == "Drug")  # fmt: skip
    assert got == [
        ("Bactrim", "DB00440", False, True, "combination brand: Sulfamethoxazole + Trimethoprim"),
        ("Bactrim", "DB01015", False, True, "combination brand: Sulfamethoxazole + Trimethoprim"),
        ("Percocet", "DB00316", True, False, "combination brand: Oxycodone + Acetaminophen"),
        ("Percocet", "DB00497", True, False, "combination brand: Oxycodone + Acetaminophen"),
    ], got
    ingest_documents(vocab_store, [doc])
    facts = vocab_store.query(
        "MATCH (:Document {id: 'combination'})-[:MENTIONS]->(d:Drug) RETURN d.id ORDER BY d.id"
    ).rows
    assert facts == [["DB00316"], ["DB00497"]]


def test_a_trial_testing_an_allergen_is_flagged_and_ranked_last(store: EmbeddedStore) -> None:
    """Trial matching for a patient allergic to penicillin: the trial that tests
    amoxicillin (inside the MeSH class) is flagged and ranked below the one
    that tests ciprofloxacin, though it ranked first without the allergy. A
    small graph of its own, with the MeSH tree numbers the import sets."""
    store.import_nodes("Disease", [{"id": "DOID:104", "name": "bacterial infectious disease"}])
    store.import_nodes("Drug", [
        {"id": "D010406", "name": "Penicillins", "mesh_trees": ["D02.065.589.099.750.750"]},
        {"id": "DB01060", "name": "Amoxicillin",
         "mesh_trees": ["D02.065.589.099.750.750.050.050"]},
        {"id": "DB00537", "name": "Ciprofloxacin", "mesh_trees": ["D02.886.675.300"]},
    ])  # fmt: skip
    store.import_nodes("ClinicalTrial", [
        {"id": "NCT00000001", "name": "Amoxicillin for infection", "title": "Amoxicillin"},
        {"id": "NCT00000002", "name": "Ciprofloxacin for infection", "title": "Cipro"},
    ])  # fmt: skip
    store.import_edges("STUDIES", "ClinicalTrial", "Disease", [
        {"start": "NCT00000001", "end": "DOID:104"},
        {"start": "NCT00000002", "end": "DOID:104"},
    ])  # fmt: skip
    store.import_edges("TESTS", "ClinicalTrial", "Drug", [
        {"start": "NCT00000001", "end": "DB01060"},
        {"start": "NCT00000002", "end": "DB00537"},
    ])  # fmt: skip
    plain = rank_patient("trials", store, None, entity_ids=["DOID:104"])
    given = rank_patient("trials", store, None, entity_ids=["DOID:104"], allergy_ids=["D010406"])
    assert [i.id for i in plain.items] == ["NCT00000001", "NCT00000002"]
    assert [i.id for i in given.items] == ["NCT00000002", "NCT00000001"]
    assert given.items[1].flags["allergy_conflict"] == [
        "tests Amoxicillin: in the MeSH class of Penicillins, which the patient reports an "
        "allergy to"
    ]
    assert "allergy_conflict" not in given.items[0].flags
    assert any("allergy" in n for n in given.notes)


def test_the_reaction_an_allergy_list_names_is_a_relation(vocab_extractor: Extractor) -> None:
    """"Bactrim which causes a rash" under an allergies heading: no drug fact, a
    reported allergy of both ingredients, and what the drug did to the patient
    (CAUSES), as for any affirmed drug."""
    (doc,) = vocab_extractor.extract(
        [NoteInput("reaction", "ALLERGIES TO MEDICATIONS: Bactrim which causes a rash.")]
    )
    causes = sorted((doc.mentions[r.head].node_id, doc.mentions[r.tail].text)
                    for r in doc.relations if r.rel_type == "CAUSES")  # fmt: skip
    assert causes == [("DB00440", "rash"), ("DB01015", "rash")], causes
    assert all(m.is_reported_allergy for m in doc.mentions if m.node_label == "Drug")
