"""Measured substances (decision 0044): a lab result names a chemical the graph
holds as a drug, and is no drug fact; a dose of the same chemical still is."""

from __future__ import annotations

from medkg.kg.store.embedded import EmbeddedStore
from medkg.nlp import Extractor
from medkg.nlp.documents import NoteInput
from medkg.nlp.ingest import ingest_documents

LABS = (
    "LABORATORY DATA: Glucose 106, creatinine 0.8, and potassium 4. "
    "Serum creatinine was 1.2. Her potassium was dramatically elevated at 7. "
    "MEDICATIONS: She was given potassium 20 mEq orally and calcium carbonate 500 mg. "
    "Digoxin level was 2.1, so digoxin 0.125 mg daily was held. "
    "Oxygen saturation is 97% on room air. Lasix 40 daily. "
    "Lidocaine 1% with epinephrine 1:100,000 was injected. "
    "Cold blood potassium cardioplegia was given. "
    "Vancomycin, gentamicin and digoxin levels were normal. "
    "She needed aggressive serum potassium and magnesium replacement."
)


def _by_sentence(extractor: Extractor, text: str) -> list[tuple[str, int, bool, bool]]:
    (doc,) = extractor.extract([NoteInput("labs", text)])
    return [(m.text.lower(), m.sentence_index, m.measured, m.is_positive_fact)
            for m in sorted(doc.mentions, key=lambda m: m.start)
            if m.node_label == "Drug"]  # fmt: skip


def test_results_are_measured_and_doses_stay_facts(vocab_extractor: Extractor) -> None:
    got = _by_sentence(vocab_extractor, LABS)
    measured = {(t, s) for t, s, m, _ in got if m}
    facts = {(t, s) for t, s, _, f in got if f}
    names = {t for t, _, _, _ in got}
    assert {"glucose", "creatinine", "potassium", "digoxin", "lasix"} <= names, got
    # every measured mention is out of the facts, every fact is not measured
    assert all(not f for _, _, m, f in got if m)
    first = {t for t, s in measured if s == 0}
    assert {"glucose", "creatinine", "potassium"} <= first  # "LABORATORY DATA: Glucose 106..."
    assert ("creatinine", 1) in measured  # "Serum creatinine"
    assert ("potassium", 2) in measured  # "her potassium was ... elevated"
    assert ("potassium", 3) in facts  # "potassium 20 mEq": a dose
    digoxin = [m for t, _, m, _ in got if t == "digoxin"]  # in the order of the text
    assert digoxin[:2] == [True, False]  # "Digoxin level" vs "digoxin 0.125 mg"
    assert ("lasix", 6) in facts  # a dose without its unit is no result
    assert {("lidocaine", 7), ("epinephrine", 7)} <= facts  # "1%", "1:100,000": strengths
    assert ("potassium", 8) in facts  # "blood potassium cardioplegia": given
    # a measurement word after a list covers the whole list
    assert {("vancomycin", 9), ("gentamicin", 9), ("digoxin", 9)} <= measured
    # ... and a given word after a list makes all of it given, "serum" or not
    assert {("potassium", 10), ("magnesium", 10)} <= facts, got


def test_a_measured_substance_is_never_written_as_a_fact(
    vocab_extractor: Extractor, vocab_store: EmbeddedStore
) -> None:
    text = "Creatinine 1.4 and glucose 180 today. Continue metformin."
    (doc,) = vocab_extractor.extract([NoteInput("measured-note", text)])
    assert any(m.measured for m in doc.mentions)
    ingest_documents(vocab_store, [doc])
    rows = vocab_store.query(
        "MATCH (:Document {id: 'measured-note'})-[:MENTIONS]->(n) RETURN n.name AS name"
    )
    written = {r["name"].lower() for r in rows.records()}
    assert "metformin" in written
    assert not written & {m.text.lower() for m in doc.mentions if m.measured}


def test_materials_of_a_procedure_are_no_drugs(vocab_extractor: Extractor) -> None:
    narrative = (
        "DESCRIPTION OF PROCEDURE: The abdomen was insufflated with carbon dioxide. "
        "Cotton balls were placed. Immunizations are up-to-date."
    )
    (doc,) = vocab_extractor.extract([NoteInput("op", narrative)])
    assert not {m.text.lower() for m in doc.mentions} & {"carbon dioxide", "cotton", "date"}


def test_a_gene_named_as_a_laboratory_test_is_measured(vocab_extractor: Extractor) -> None:
    """Notes name a gene's protein as a test ("PSA 4.5", "elevated PSA", "CRP
    was normal"): measured, no fact of the gene; a gene the note states about
    the patient stays a fact, and hCG, which is also given, is measured only
    with a result."""
    text = (
        "His PSA was 4.5. Elevated PSA with nocturia. Serum CRP was normal. "
        "She carries a BRCA1 mutation. BRCA1 testing was offered to her sister. "
        "Urine HCG was negative. HCG stimulation was discussed."
    )
    (doc,) = vocab_extractor.extract([NoteInput("genes", text)])
    got = [(m.text, m.node_id, m.sentence_index, m.measured, m.is_positive_fact)
           for m in sorted(doc.mentions, key=lambda m: m.start)]  # fmt: skip
    by = {(t, s): (node, measured, fact) for t, node, s, measured, fact in got}
    assert by[("PSA", 0)] == ("354", True, False), got  # KLK3
    assert by[("PSA", 1)] == ("354", True, False), got
    assert by[("CRP", 2)][1:] == (True, False), got
    assert by[("BRCA1", 3)] == ("672", False, True), got
    assert by[("BRCA1", 4)][1] is True, got  # "testing"
    assert by[("HCG", 5)] == ("D006063", True, False), got
    assert by[("HCG", 6)] == ("D006063", False, True), got


def test_devices_foods_and_organisms_are_no_drugs(vocab_extractor: Extractor) -> None:
    """Names DrugBank holds that a note uses for something else (not_names.tsv,
    not_mentions.tsv, analytes.tsv; read in MTSamples): an implant maker, a
    dressing, implant metal, a diet, a culture's organism, a resistance; and two
    laboratory tests. The drugs around them stay facts."""
    text = (
        "PROCEDURE: Knee arthroplasty using Biomet cemented components and a titanium plate. "
        "Coban was used to wrap the dressing. A pneumoperitoneum was created. "
        "Lidocaine 1% was injected.\n"
        "HISTORY: He likes chicken and not steak. His ideal body weight is 160 pounds. "
        "Cultures were positive for Escherichia coli. "
        "It is unknown whether it is methicillin-resistant. He takes clindamycin.\n"
        "LABS: Alkaline phosphatase was 770. Prothrombin time 12.6 seconds."
    )
    (doc,) = vocab_extractor.extract([NoteInput("materials", text)])
    by = {m.text.lower(): m for m in doc.mentions}
    for word in ("biomet", "titanium", "coban", "pneumoperitoneum", "chicken", "escherichia coli",
                 "methicillin", "ideal body weight", "body weight"):  # fmt: skip
        assert word not in by, (word, by[word].node_id)
    assert by["lidocaine"].is_positive_fact and by["clindamycin"].is_positive_fact
    assert by["alkaline phosphatase"].measured and by["prothrombin"].measured
