"""The real scispaCy-based pipeline on real sentences, linked to real Hetionet ids."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medkg.kg.store.embedded import EmbeddedStore
from medkg.nlp import Extractor, NoteInput, ingest_documents
from medkg.nlp.inputs import NoteInputError, read_notes
from medkg.nlp.privacy import mask_identifiers
from tests.conftest import hetionet_store, needs_hetionet

pytestmark = needs_hetionet

NOTE = (
    "Patient denies chest pain. Started metformin for type 2 diabetes. "
    "History of myocardial infarction (MI). The MI was treated in 2019. "
    "Mother had breast cancer. Return if fever develops."
)


@pytest.fixture(scope="module")
def full_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    with hetionet_store(tmp_path_factory.mktemp("extract")) as store:
        yield store


@pytest.fixture(scope="module")
def extractor(full_store: EmbeddedStore) -> Extractor:
    return Extractor(full_store, full_store.settings)


def _mentions(extractor: Extractor, text: str) -> dict[str, object]:
    (doc,) = extractor.extract([NoteInput("t", text)])
    return {m.text: m for m in doc.mentions}


def test_entities_link_to_hetionet_ids_with_context(extractor: Extractor) -> None:
    m = _mentions(extractor, NOTE)
    assert m["metformin"].node_id == "DB00331" and m["metformin"].is_positive_fact
    assert m["chest pain"].node_id == "D002637" and m["chest pain"].negated
    assert m["breast cancer"].node_id == "DOID:1612" and m["breast cancer"].family
    assert m["fever"].hypothetical and not m["fever"].is_positive_fact
    assert m["myocardial infarction"].historical and m["myocardial infarction"].is_positive_fact


def test_risks_a_consent_paragraph_lists_are_no_facts(extractor: Extractor) -> None:
    """Operative notes list what the patient was told could happen; a risk
    factor the patient has is still a fact."""
    m = _mentions(
        extractor,
        "Hypertension was noted. I explained the risks and potential complications, "
        "including bleeding, infection and pulmonary embolism.",
    )
    assert m["Hypertension"].is_positive_fact
    listed = [v for k, v in m.items() if k != "Hypertension"]
    assert {"infection", "pulmonary embolism"} <= set(m)
    assert all(v.hypothetical and not v.is_positive_fact for v in listed)
    m = _mentions(extractor, "Risk factors include hypertension and obesity.")
    assert m["hypertension"].is_positive_fact and m["obesity"].is_positive_fact


def test_a_family_history_section_keeps_its_conditions_out_of_the_facts(
    extractor: Extractor, full_store: EmbeddedStore
) -> None:
    """Under FAMILY HISTORY, a list with no cue word is the relatives'; under
    PAST MEDICAL HISTORY the patient's past; a problem-list heading is the
    patient's problem (decision 0042). And the facts written keep their section."""
    text = (
        "HISTORY:, Seen for asthma.,FAMILY HISTORY: , Significant for hypertension and "
        "breast cancer.,PAST MEDICAL HISTORY:, Myocardial infarction.,ALLERGIES:, None."
        "\nAssessment:\n1. OBESITY: counselled."
    )
    m = _mentions(extractor, text)
    assert m["asthma"].is_positive_fact and m["asthma"].section == "history"
    for name in ("hypertension", "breast cancer"):
        assert m[name].family and not m[name].is_positive_fact
        assert m[name].section == "family history"
    mi = m["Myocardial infarction"]
    assert mi.historical and mi.is_positive_fact and mi.section == "past medical history"
    assert m["OBESITY"].is_positive_fact
    # the same sentence without its heading: the conditions are the patient's
    plain = _mentions(extractor, "Significant for hypertension and breast cancer.")
    assert plain["hypertension"].is_positive_fact and plain["hypertension"].section is None
    result = ingest_documents(full_store, extractor.extract([NoteInput("sections", text)]))
    assert result.created == 1
    rows = full_store.query(
        "MATCH (d:Document {id: 'sections'})-[r:MENTIONS]->(e) RETURN e.id, r.mentions"
    ).rows
    facts = {node: [json.loads(x)["section"] for x in ms] for node, ms in rows}
    assert m["hypertension"].node_id not in facts
    assert facts[m["asthma"].node_id] == ["history"]


def test_abbreviations_resolve_to_the_long_form(extractor: Extractor) -> None:
    (doc,) = extractor.extract([NoteInput("t", NOTE)])
    mis = [m for m in doc.mentions if m.text == "MI"]
    assert len(mis) == 2
    assert all(m.via_abbreviation == "myocardial infarction" for m in mis)
    assert {m.node_id for m in mis} == {"C0027051"}
    # an undefined clinical abbreviation uses the curated list
    m = _mentions(extractor, "Known HTN, on lisinopril.")
    assert m["HTN"].node_id == extractor.lexicon.lookup("hypertension").node_id


def test_two_conditions_joined_by_a_slash_are_two_mentions(extractor: Extractor) -> None:
    m = _mentions(extractor, "Started metformin; developed nausea/vomiting, 5 mg/kg and/or more.")
    assert m["nausea"].node_id == "D009325" and m["vomiting"].node_id == "D014839"
    assert "nausea/vomiting" not in m


def test_two_conditions_joined_by_a_hyphen_are_two_mentions(extractor: Extractor) -> None:
    """The NER's corpora cut every hyphen between words; so does the tokenizer,
    and a hyphenated symbol is still found whole."""
    m = _mentions(extractor, "Arthralgia-myalgia and nausea- and vomiting after HLA-B typing.")
    assert m["Arthralgia"].node_id == "D018771" and m["myalgia"].node_id == "D063806"
    assert m["nausea"].node_id == "D009325" and "Arthralgia-myalgia" not in m
    assert m["HLA-B"].node_id == "3106"


def test_negation_scope_stops_at_but(extractor: Extractor) -> None:
    m = _mentions(extractor, "No fever but reports headache.")
    assert m["fever"].negated and not m["headache"].negated


def _context_flags(
    text: str, names: list[str], chemicals: tuple[str, ...] = ()
) -> dict[str, tuple[bool, bool]]:
    """(negated, hypothetical) of each named span of ``text``, from the context
    component alone (sentencizer and the names as entities, no NER; those in
    ``chemicals`` labelled CHEMICAL, the others DISEASE)."""
    import spacy

    from medkg.nlp import context  # noqa: F401  (registers medkg_context)

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("medkg_context")
    doc = nlp.make_doc(text)
    doc.ents = [
        doc.char_span(text.index(n), text.index(n) + len(n),
                      label="CHEMICAL" if n in chemicals else "DISEASE")
        for n in names
    ]  # fmt: skip
    doc = nlp(doc)
    return {e.text: (e._.negated, e._.hypothetical) for e in doc.ents}


def test_a_trigger_inside_an_entity_name_negates_nothing_else() -> None:
    """"Absent radius" and "Migraine without aura" are findings the patient has;
    their "absent" and "without" must not negate the rest of a list, while a
    cue outside every entity still does."""
    def flags(text: str, names: list[str]) -> dict[str, bool]:
        return {name: negated for name, (negated, _) in _context_flags(text, names).items()}

    listed = ["Short stature", "Absent radius", "Migraine without aura", "microcephaly"]
    got = flags("The patient has Short stature, Absent radius, Migraine without aura and "
                "microcephaly.", listed)  # fmt: skip
    assert got == dict.fromkeys(listed, False)
    # the same words outside an entity are cues
    got = flags("Reflexes absent. Hypertension without proteinuria.", ["Reflexes", "proteinuria"])
    assert got == {"Reflexes": True, "proteinuria": True}


def test_a_cause_or_a_new_clause_ends_a_negation() -> None:
    """"Could not tolerate penicillin due to allergy": the allergy is the
    patient's, and the intolerance is affirmed (penicillin is an allergen,
    decision 0047, not a negated drug); "would not stand, and had discomfort":
    a new verb, a new clause. A list joined by "and" stays negated."""
    got = _context_flags(
        "He could not tolerate penicillin due to allergy. He would not stand upright, "
        "and had discomfort. No fever, chills and sweats.",
        ["penicillin", "allergy", "discomfort", "chills", "sweats"],
    )
    assert {name: negated for name, (negated, _) in got.items()} == {
        "penicillin": False, "allergy": False, "discomfort": False, "chills": True,
        "sweats": True,
    }  # fmt: skip


def test_a_differential_is_hypothetical_on_both_sides_of_versus() -> None:
    """"renal cyst versus renal cell carcinoma or other tumor": every term of the
    differential is uncertain, the finding before the differential is not."""
    got = _context_flags(
        "He has diabetes and a renal cyst versus renal cell carcinoma or other tumor.",
        ["diabetes", "renal cyst", "renal cell carcinoma", "tumor"],
    )
    assert {name: hypothetical for name, (_, hypothetical) in got.items()} == {
        "diabetes": False, "renal cyst": True, "renal cell carcinoma": True, "tumor": True,
    }  # fmt: skip


def test_a_conversation_with_a_parent_is_no_family_history() -> None:
    """"I talked to the mother and told her that the cellulitis is resolving":
    the child's cellulitis; "his mother has asthma" stays the mother's."""
    import spacy

    from medkg.nlp import context  # noqa: F401  (registers medkg_context)

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("medkg_context")
    text = (
        "I talked to the mother and told her that the cellulitis is resolving. "
        "I spoke with his father by phone and explained the hydrocele. His mother has asthma."
    )
    doc = nlp.make_doc(text)
    doc.ents = [
        doc.char_span(text.index(n), text.index(n) + len(n), label="DISEASE")
        for n in ("cellulitis", "hydrocele", "asthma")
    ]  # fmt: skip
    doc = nlp(doc)
    assert {e.text: e._.family for e in doc.ents} == {
        "cellulitis": False, "hydrocele": False, "asthma": True,
    }  # fmt: skip


def test_identifiers_are_masked_in_stored_sentences() -> None:
    masked = mask_identifiers("Mr. John Smith, MRN: 12345678, seen 03/14/2021, call 555-123-4567.")
    assert "John" not in masked and "12345678" not in masked
    assert "03/14/2021" not in masked and "555-123-4567" not in masked
    assert "[NAME]" in masked and "[MRN]" in masked and "[DATE]" in masked


def test_ingest_is_idempotent_and_replaces_corrected_documents(
    full_store: EmbeddedStore, extractor: Extractor
) -> None:
    def facts(doc_id: str) -> set[str]:
        rows = full_store.query(
            "MATCH (d:Document {id: $id})-[:MENTIONS]->(e) RETURN e.id", {"id": doc_id}
        ).rows
        return {r[0] for r in rows}

    other = ingest_documents(
        full_store, extractor.extract([NoteInput("keep", "Takes lisinopril.")])
    )
    assert other.created == 1
    kept = facts("keep")
    assert kept
    first = ingest_documents(full_store, extractor.extract([NoteInput("note-1", NOTE)]))
    assert (first.created, first.excluded_mentions) == (1, 3)
    assert facts("note-1") == {"DB00331", "C0027051"}  # not chest pain, cancer or fever
    again = ingest_documents(full_store, extractor.extract([NoteInput("note-1", NOTE)]))
    assert (again.unchanged, again.facts) == (1, 0)
    assert len(full_store.query("MATCH (d:Document {id: 'note-1'})-[r]->() RETURN r").rows) == 2
    corrected = NOTE.replace("metformin", "insulin")
    fixed = ingest_documents(full_store, extractor.extract([NoteInput("note-1", corrected)]))
    assert fixed.replaced == 1
    assert "DB00331" not in facts("note-1")
    assert facts("keep") == kept  # the other document is untouched
    prov = full_store.query(
        "MATCH (d:Document {id: 'note-1'})-[r:MENTIONS]->(e {id: 'C0027051'}) "
        "RETURN r.sentences, r.mentions, r.extractor, r.extractor_version, r.confidence"
    ).rows[0]
    assert "History of myocardial infarction (MI)." in prov[0]
    assert '"start": ' in prov[1][0] and prov[2] and prov[3] and 0 < prov[4] <= 1
    assert full_store.get_node("note-1").get("text") is None  # raw text not stored by default


def test_bad_inputs_are_reported_before_anything_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "ok.txt").write_text("Started metformin.")
    (folder / "empty.txt").write_text("   \n")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02PNG")
    (folder / "latin1.txt").write_bytes("Patient f\xe9brile".encode("latin-1"))
    (folder / "huge.txt").write_text("a" * 5000)
    with pytest.raises(NoteInputError) as err:
        read_notes(str(folder), max_chars=1000)
    message = str(err.value)
    for expected in ("empty note", "binary data", "not UTF-8", "over the 1,000 limit"):
        assert expected in message
    assert "ok.txt" not in message
    with pytest.raises(NoteInputError, match="no such file"):
        read_notes(str(tmp_path / "missing"))
    table = tmp_path / "notes.csv"
    table.write_text("id,body\n1,Started metformin.\n")
    with pytest.raises(NoteInputError, match="no 'text' column"):
        read_notes(str(table))
    assert read_notes(str(table), text_column="body")[0].doc_id == "1"


def test_cli_ingest_notes(cli_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from medkg.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["import", "hetionet", "--max-edges-per-type", "50"]).exit_code == 0
    notes = tmp_path / "notes.jsonl"
    notes.write_text('{"id": "a", "text": "Started metformin for type 2 diabetes."}\n')
    first = runner.invoke(app, ["ingest", "notes", str(notes), "--json"])
    assert first.exit_code == 0, first.stderr
    assert '"created": 1' in first.stdout
    second = runner.invoke(app, ["ingest", "notes", str(notes), "--json"])
    assert '"unchanged": 1' in second.stdout
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00bin")
    result = runner.invoke(app, ["ingest", "notes", str(bad)])
    assert result.exit_code == 1 and "binary data" in result.stderr
    assert "Traceback" not in result.stderr
    result = runner.invoke(app, ["ingest", "notes", str(notes), "--engine", "spark"])
    assert result.exit_code == 2 and "'spark' is not one of local, ray" in result.stderr
    assert "Traceback" not in result.stderr
    if importlib.util.find_spec("ray") is not None:  # medkg[scale]: a local cluster for the call
        notes.write_text(notes.read_text() + '{"id": "b", "text": "Denies chest pain."}\n')
        ray_run = runner.invoke(
            app, ["ingest", "notes", str(notes), "--engine", "ray", "--processes", "1", "--json"]
        )
        assert ray_run.exit_code == 0, ray_run.stderr
        counts = json.loads(ray_run.stdout)
        assert (counts["created"], counts["unchanged"], counts["failures"]) == (1, 1, [])


def test_a_stop_check_bounds_the_reading_and_changes_nothing_else(extractor: Extractor) -> None:
    """With a stop check the components run one at a time: the same document
    when the check never fires, and no document at all when it does."""
    import threading

    from medkg.nlp.stopping import ExtractionCancelled, ExtractionTimeout, StopCheck

    note = NoteInput("t", NOTE + " Chest pain and dyspnea on exertion. " * 40)
    (plain,) = extractor.extract([note])
    (checked,) = extractor.extract([note], stop=StopCheck(timeout_s=600))
    assert checked.mentions == plain.mentions and checked.relations == plain.relations
    assert len(plain.mentions) > 80

    spent = StopCheck(timeout_s=1e-9)
    with pytest.raises(ExtractionTimeout, match="took over 1e-09 s"):
        list(extractor.extract([note], stop=spent))

    gone = threading.Event()
    gone.set()
    with pytest.raises(ExtractionCancelled):
        list(extractor.extract([note], stop=StopCheck(timeout_s=600, cancelled=gone)))
    with pytest.raises(ValueError, match="one process"):
        list(extractor.extract([note], n_process=2, stop=StopCheck()))


def test_a_consent_list_is_hypothetical_over_its_semicolons() -> None:
    """"risks to include but not be limited to bleeding; infection; injury"
    lists what could happen, item after item; "but not limited to" is neither a
    negation nor the end of a scope; a semicolon still ends other cues."""
    flags = _context_flags
    risks = ["bleeding", "infection", "sepsis", "heart attack", "injury"]
    got = flags("He accepts all treatment-associated risks to include but not be limited to "
                "bleeding; infection; sepsis; heart attack; injury to bowel.", risks)  # fmt: skip
    assert got == dict.fromkeys(risks, (False, True))
    got = flags("All risks were discussed with the patient, which include, but are not "
                "limited to infection, stroke.", ["infection", "stroke"])  # fmt: skip
    assert got == dict.fromkeys(["infection", "stroke"], (False, True))
    # "but not limited to" without a list cue: the items are the patient's
    got = flags("Symptoms include but are not limited to fever and cough.", ["fever", "cough"])
    assert got == dict.fromkeys(["fever", "cough"], (False, False))
    # a semicolon still ends a negation, and "however" a list
    assert flags("No fever; reports cough.", ["fever", "cough"]) == {
        "fever": (True, False), "cough": (False, False)}  # fmt: skip
    got = flags("The risks include bleeding; however, he has anemia.", ["bleeding", "anemia"])
    assert got == {"bleeding": (False, True), "anemia": (False, False)}


def test_what_a_plan_discussed_could_happen_the_patient_s_own_condition_did() -> None:
    """"We have discussed bleeding, infection, MI, stroke, and death" lists
    outcomes of a surgery, not a living patient's history (MTSamples); a
    discussion of the patient's own condition or of its diagnosis keeps the
    facts, as does what was discussed before the cue."""
    flags = _context_flags
    risks = ["bleeding", "infection", "stroke", "death"]
    got = flags("We have discussed bleeding, infection, stroke, and death.", risks)
    assert got == dict.fromkeys(risks, (False, True))
    assert flags("We discussed erectile dysfunction.", ["erectile dysfunction"]) == {
        "erectile dysfunction": (False, True)}  # fmt: skip
    for text, name in (
        ("I discussed his diabetes with him at length.", "diabetes"),
        ("We discussed the diagnosis of hydrocele with the parents.", "hydrocele"),
        ("We discussed with the patient that his asthma is poorly controlled.", "asthma"),
        ("Options such as removal of the spermatocele were discussed.", "spermatocele"),
    ):
        assert flags(text, [name]) == {name: (False, False)}, text


def test_without_reaches_only_the_next_chemical() -> None:
    """ "lidocaine without epinephrine ... and 0.5 cc of lidocaine" (MTSamples):
    no epinephrine, lidocaine given; findings after "without" are all negated."""
    got = _context_flags(
        "He was given 1% lidocaine without epinephrine using a syringe and 0.5 cc of Xylocaine.",
        ["lidocaine", "epinephrine", "Xylocaine"],
        chemicals=("lidocaine", "epinephrine", "Xylocaine"),
    )
    assert got == {
        "lidocaine": (False, False), "epinephrine": (True, False), "Xylocaine": (False, False)
    }  # fmt: skip
    got = _context_flags("Neck is supple without adenopathy, thyromegaly or bruits.",
                         ["adenopathy", "thyromegaly", "bruits"])  # fmt: skip
    assert all(neg for neg, _ in got.values()), got


def test_free_right_after_a_finding_negates_it() -> None:
    """ "back to normal and pain free now", "pain-free": no pain; "otherwise
    symptom free" after a finding leaves that finding."""
    assert _context_flags("He is back to normal and pain free now.", ["pain"]) == {
        "pain": (True, False)}  # fmt: skip
    assert _context_flags("She has been pain-free since the surgery.", ["pain"]) == {
        "pain": (True, False)}  # fmt: skip
    got = _context_flags("He has knee pain and is otherwise symptom free.", ["knee pain"])
    assert got == {"knee pain": (False, False)}


def test_a_check_for_a_finding_is_no_finding() -> None:
    """ "a sponge stick was used to assess any bleeding", "checked for
    bleeding": what is looked for is hypothetical (MTSamples)."""
    flags = _context_flags
    assert flags("A sponge stick was used to assess any bleeding in the vault.",
                 ["bleeding"]) == {"bleeding": (False, True)}  # fmt: skip
    assert flags("The field was checked for bleeding.", ["bleeding"]) == {
        "bleeding": (False, True)}  # fmt: skip
    assert flags("There was bleeding, which was checked.", ["bleeding"]) == {
        "bleeding": (False, False)}  # fmt: skip


def test_since_ends_a_negation() -> None:
    """ "has not had any urinary tract infection since he has been on Proscar"
    (MTSamples): the infection is negated, the drug he has been on is not."""
    got = _context_flags(
        "He has not had any urinary tract infection since he has been on Proscar.",
        ["urinary tract infection", "Proscar"],
    )
    assert got == {"urinary tract infection": (True, False), "Proscar": (False, False)}


def test_what_care_avoids_or_a_step_prevents_did_not_happen() -> None:
    """"Care was taken to avoid injury to the nerves", "to prevent
    cerebrospinal fluid leak": hypothetical; a drug given as prophylaxis and a
    condition outside the cue's sentence stay facts."""
    flags = _context_flags
    got = flags("Care was taken to avoid injury to the nerves. He has hypertension.",
                ["injury", "hypertension"])  # fmt: skip
    assert got == {"injury": (False, True), "hypertension": (False, False)}
    got = flags("The catheter was tied to prevent cerebrospinal fluid leak.",
                ["cerebrospinal fluid leak"])  # fmt: skip
    assert got == {"cerebrospinal fluid leak": (False, True)}
    got = flags("Cefazolin was given for prophylaxis against surgical infection.",
                ["Cefazolin", "infection"])  # fmt: skip
    assert got == {"Cefazolin": (False, False), "infection": (False, True)}


def test_a_risk_or_a_possibility_is_hypothetical() -> None:
    """"a higher risk for atrophy", "the possibility of malignancy" name what
    might happen; "risk factors" are the patient's."""
    flags = _context_flags
    got = flags("It has a higher risk for atrophy because of the tissue.", ["atrophy"])
    assert got == {"atrophy": (False, True)}
    got = flags("We discussed the possibility of malignancy. She has anemia.",
                ["malignancy", "anemia"])  # fmt: skip
    assert got == {"malignancy": (False, True), "anemia": (False, False)}
    got = flags("His risk factors include diabetes.", ["diabetes"])
    assert got == {"diabetes": (False, False)}


def test_ease_and_treatments_that_failed_negate_nothing() -> None:
    """"without difficulty" in an operative note and a treatment that did not
    work ("not helped with Detrol", "not relieved by morphine") negate
    nothing; "without difficulty breathing" still negates the entity."""
    flags = _context_flags
    got = flags("This was done without difficulty reducing the hernia.", ["hernia"])
    assert got == {"hernia": (False, False)}
    got = flags("Urge incontinence, not helped with Detrol.", ["incontinence", "Detrol"])
    assert got == {"incontinence": (False, False), "Detrol": (False, False)}
    got = flags("Her pain was not relieved by morphine.", ["pain", "morphine"])
    assert got == {"pain": (False, False), "morphine": (False, False)}
    got = flags("He was without difficulty breathing.", ["difficulty breathing"])
    assert got == {"difficulty breathing": (True, False)}
