"""Discontinued medications (decision 0048): a drug the note says the patient
no longer takes is still a fact, marked ``discontinued``; plans and modals
("will discontinue", "cannot be taken off") leave it current; a treatment
ranking says which ranked drugs the patient takes or took."""

from __future__ import annotations

from medkg.fusion.rank import rank_patient
from medkg.kg.store.embedded import EmbeddedStore
from medkg.nlp import Extractor
from medkg.nlp.documents import NoteInput
from medkg.nlp.ingest import ingest_documents
from medkg.nlp.sections import section_kind
from tests.nlp.conftest import drug_flags

NOTE = (
    "HPI: He had a heart attack when he was taken off Plavix. "
    "Coumadin was discontinued and he was started on heparin. "
    "He stopped taking his aspirin and metoprolol last week, but continues lisinopril. "
    "He is no longer taking metformin. "
    "She stopped the prophylactic Macrodantin due to hives. "
    "He was switched from Fortaz to ciprofloxacin.\n"
    "PLAN: The patient will discontinue Ditropan. He cannot be taken off prednisone. "
    "He did not stop his atorvastatin.\n"
    "DISCONTINUED MEDICATIONS: Lasix, simvastatin.\n"
)


def _drugs(extractor: Extractor, doc_id: str, text: str) -> dict[str, tuple[bool, bool]]:
    """Drug mention (lower case) -> (discontinued, fact)."""
    return drug_flags(extractor, doc_id, text, "discontinued", "is_positive_fact")


def test_discontinued_medication_headings_are_their_own_kind() -> None:
    assert section_kind("discontinued medications") == "discontinued"
    assert section_kind("previous medications") == "discontinued"
    assert section_kind("medications stopped") == "discontinued"
    assert section_kind("current medications") == "other"
    assert section_kind("medications") == "other"


def test_stopped_drugs_are_discontinued_facts(vocab_extractor: Extractor) -> None:
    got = _drugs(vocab_extractor, "stopped-note", NOTE)
    stopped, current = (True, True), (False, True)
    for drug in ("plavix", "coumadin", "aspirin", "metoprolol", "macrodantin", "fortaz"):
        assert got[drug] == stopped, (drug, got)
    # "no longer taking" took it: a stopped drug, not a negated one
    assert got["metformin"] == stopped, got
    # what starts or goes on beside a stopped drug is current
    for drug in ("heparin", "lisinopril", "ciprofloxacin"):
        assert got[drug] == current, (drug, got)
    # a plan or a modal leaves the drug current; "did not stop" is no negation
    for drug in ("ditropan", "prednisone", "atorvastatin"):
        assert got[drug] == current, (drug, got)
    assert got["lasix"] == stopped and got["simvastatin"] == stopped, got  # the heading
    # a new event ends a history's scope: the drug started at the last visit is current
    (doc,) = vocab_extractor.extract([NoteInput(
        "started", "History of erectile dysfunction, last visit started on Cialis 10 mg."
    )])  # fmt: skip
    cialis = next(m for m in doc.mentions if m.text == "Cialis")
    assert not (cialis.historical or cialis.discontinued) and cialis.is_positive_fact


def test_a_switch_to_another_drug_stops_the_one_before(vocab_extractor: Extractor) -> None:
    """ "was kept on Fortaz, and was switched over to ciprofloxacin" (MTSamples):
    Fortaz stopped, ciprofloxacin current; a plan to switch, or a switch to
    something that is no drug, stops nothing."""
    got = _drugs(vocab_extractor, "switch", (
        "He was kept on Fortaz, and was switched over to ciprofloxacin. "
        "She has been on Coumadin and was then changed to heparin. "
        "We will switch him to Lasix. He takes aspirin and was switched to a soft diet."
    ))  # fmt: skip
    assert got["fortaz"] == got["coumadin"] == (True, True), got
    for drug in ("ciprofloxacin", "heparin", "lasix", "aspirin"):
        assert got[drug] == (False, True), (drug, got)


def test_the_fact_says_discontinued_and_reingest_replaces_it(
    vocab_extractor: Extractor, vocab_store: EmbeddedStore
) -> None:
    def facts() -> dict[str, bool]:
        rows = vocab_store.query(
            "MATCH (:Document {id: 'stopped-ingest'})-[r:MENTIONS]->(n:Drug) "
            "RETURN n.name, r.discontinued"
        ).rows
        return {name.lower(): flag for name, flag in rows}

    text = "Coumadin was discontinued. She takes lisinopril and Coumadin is no longer needed."
    (doc,) = vocab_extractor.extract([NoteInput("stopped-ingest", text)])
    written = ingest_documents(vocab_store, [doc])
    assert facts() == {"warfarin": True, "lisinopril": False}, facts()
    assert (written.facts, written.discontinued) == (2, 1)  # the summary counts it
    mentions = vocab_store.query(
        "MATCH (:Document {id: 'stopped-ingest'})-[r:MENTIONS]->(:Drug {name: 'Warfarin'}) "
        "RETURN r.mentions"
    ).rows[0][0]
    assert all('"discontinued": true' in m for m in mentions), mentions
    assert ingest_documents(vocab_store, [doc]).unchanged == 1  # nothing written twice
    # a corrected note: one current mention makes the fact current
    (fixed,) = vocab_extractor.extract(
        [NoteInput("stopped-ingest", "Coumadin was discontinued. Coumadin was restarted.")]
    )
    rewritten = ingest_documents(vocab_store, [fixed])
    assert (rewritten.replaced, rewritten.discontinued) == (1, 0)
    assert facts() == {"warfarin": False}, facts()


def test_a_treatment_ranking_flags_the_patients_own_drugs(
    vocab_extractor: Extractor, vocab_store: EmbeddedStore
) -> None:
    plain = rank_patient("treatments", vocab_store, None, disease_id="DOID:9352", limit=20)
    assert len(plain.items) >= 3
    taken, stopped = plain.items[0], plain.items[1]
    assert not any("patient_medication" in i.flags for i in plain.items)
    text = (
        f"Type 2 diabetes mellitus. She takes {taken.name} daily. "
        f"{stopped.name} was discontinued last year."
    )
    read = rank_patient(
        "treatments", vocab_store, None, extractor=vocab_extractor, text=text, limit=20
    )
    assert [i.id for i in read.items] == [i.id for i in plain.items]  # the order is kept
    flags = {i.id: i.flags.get("patient_medication") for i in read.items}
    assert flags[taken.id] == {
        "status": "current", "sentences": [f"She takes {taken.name} daily."]
    }  # fmt: skip
    assert flags[stopped.id] == {
        "status": "past", "sentences": [f"{stopped.name} was discontinued last year."]
    }  # fmt: skip
    assert sum(f is not None for f in flags.values()) == 2, flags
    assert any("patient_medication" in n for n in read.notes), read.notes
    entity = next(e for e in read.patient_entities if e["id"] == stopped.id)
    assert entity["discontinued"] is True and entity["affirmed"] is True


def test_only_a_stopped_drug_is_past() -> None:
    """ConText's historical is a condition's ("history of erectile dysfunction,
    last visit started on Cialis" flags Cialis): it leaves a drug current; a
    drug named once stopped and once taken is current."""
    from medkg.fusion.patient import PatientContext, PatientEntity
    from medkg.fusion.patient_medications import medication_status

    def drug(nid: str, sentence: str, **flags: bool) -> PatientEntity:
        return PatientEntity(nid, "Drug", nid, 1.0, True, sentence=sentence, **flags)

    ctx = PatientContext(entities=[
        drug("DB00820", "last visit started on Cialis", historical=True),
        drug("DB00682", "Coumadin was discontinued.", discontinued=True),
        drug("DB00945", "Aspirin was stopped.", discontinued=True),
        drug("DB00945", "Aspirin was restarted."),
        PatientEntity("DB00331", "Drug", "Metformin", 1.0, False, negated=True),
    ])  # fmt: skip
    got = medication_status(ctx)
    assert {d: v["status"] for d, v in got.items()} == {
        "DB00820": "current", "DB00682": "past", "DB00945": "current"
    }  # fmt: skip
    assert got["DB00945"]["sentences"] == ["Aspirin was stopped.", "Aspirin was restarted."]


def test_a_stopped_drug_excludes_only_where_a_trial_means_any_use(store: EmbeddedStore) -> None:
    """"Current use of warfarin" does not exclude a patient whose warfarin was
    discontinued; "Prior treatment with warfarin" does, and so does any
    criterion for a patient who still takes it. A small graph of its own."""
    from medkg.fusion.patient import PatientContext, PatientEntity
    from medkg.fusion.recommend import match_trials
    from medkg.fusion.trial_exclusions import only_current_use

    assert only_current_use(["Current use of warfarin"], ["Warfarin", "Coumadin"])
    assert only_current_use(["Patients taking coumadin."], ["Warfarin", "Coumadin"])
    assert not only_current_use(["Prior treatment with warfarin"], ["Warfarin"])
    assert not only_current_use(["Current or previous warfarin use"], ["Warfarin"])
    assert not only_current_use(["Current use of anticoagulants"], ["Warfarin"])  # not named
    store.import_nodes("Disease", [{"id": "DOID:0060224", "name": "atrial fibrillation"}])
    store.import_nodes("Drug", [{"id": "DB00682", "name": "Warfarin", "synonyms": ["Coumadin"]}])
    store.import_nodes("ClinicalTrial", [
        {"id": "NCT00000011", "name": "A", "title": "A",
         "exclusion": ["Current use of Coumadin"], "exclusion_ids": ["DB00682"]},
        {"id": "NCT00000012", "name": "B", "title": "B",
         "exclusion": ["Prior treatment with warfarin"], "exclusion_ids": ["DB00682"]},
    ])  # fmt: skip
    store.import_edges("STUDIES", "ClinicalTrial", "Disease", [
        {"start": "NCT00000011", "end": "DOID:0060224"},
        {"start": "NCT00000012", "end": "DOID:0060224"},
    ])  # fmt: skip

    def excluded(**drug: bool) -> dict[str, list[str]]:
        ctx = PatientContext(entities=[
            PatientEntity("DOID:0060224", "Disease", "atrial fibrillation", 1.0, True),
            PatientEntity("DB00682", "Drug", "Warfarin", 1.0, True, **drug),
        ])  # fmt: skip
        return {i.id: i.flags["excluded_by"] for i in match_trials(store, ctx).items}

    assert excluded(discontinued=True) == {"NCT00000011": [], "NCT00000012": ["DB00682"]}
    assert excluded() == {"NCT00000011": ["DB00682"], "NCT00000012": ["DB00682"]}
