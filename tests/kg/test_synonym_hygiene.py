"""Ontology synonyms that name something else are left out (decision 0038):
the rules on hand-made terms, and their effect on the real imported graph and
on what a real operative note links to."""

from __future__ import annotations

import pytest

from medkg.kg.importers.vocabularies.synonyms import (
    clean_synonyms,
    is_acronym,
    roots_and_characteristics,
)
from medkg.kg.importers.vocabularies.terms import Term
from medkg.kg.store.embedded import EmbeddedStore
from tests.conftest import needs_hetionet


@pytest.mark.parametrize(
    ("short", "long", "expected"),
    [
        ("pad", "peripheral arterial disease", True),
        ("soft", "short stature-onychodysplasia-facial dysmorphism-hypotrichosis syndrome", True),
        ("arms", "alveolar rhabdomyosarcoma", True),
        ("flu", "influenza", False),  # no letter at a word's start
        ("cold", "common cold", False),  # one word start
        ("anomia", "anomic aphasia", False),  # two of six letters at word starts
        ("gout", "gouty arthritis", False),
    ],
)
def test_acronyms(short: str, long: str, expected: bool) -> None:
    assert is_acronym(short, long) is expected


def _kept(term: Term, own: tuple[str, ...] = (), anatomy: tuple[str, ...] = ()) -> list[str]:
    dropped: dict[str, int] = {}
    (out,) = clean_synonyms([term], anatomy, (term.name, *own), None, dropped)
    assert sum(dropped.values()) == len(term.synonyms) - len(out.synonyms)
    return out.synonyms


def test_lower_case_abbreviations_go_capitals_and_mixed_ones_stay() -> None:
    term = Term(
        "X:1", "peripheral arterial disease", ["pad", "PAD", "Pad", "peripheral artery disease"]
    )
    assert _kept(term) == ["PAD", "peripheral artery disease"]
    assert _kept(Term("X:2", "atrial fibrillation", ["AFib", "af"])) == ["AFib"]
    # an abbreviation that is some term's own name stays
    assert _kept(Term("X:3", "MIRAGE syndrome", ["mirage"]), own=("mirage",)) == ["mirage"]


def test_an_organ_beside_a_disease_word_is_no_name_of_the_disease() -> None:
    term = Term("X:1", "lung neoplasm", ["lung", "lung tumor"])
    assert _kept(term) == ["lung tumor"]
    # capitals too long for a symbol are read as the word; a capitalised eponym stays
    assert _kept(Term("X:2", "thyroid tumor", ["THYROID"])) == []
    assert _kept(Term("X:3", "Crohn disease", ["Crohn"])) == ["Crohn"]
    assert term.synonyms[0] == "lung"  # the input is not changed
    # a word with a disease ending, or that is a term's own name, is a disease
    assert _kept(Term("X:4", "lice infestation", ["pediculosis", "pediculosis disease"])) == [
        "pediculosis", "pediculosis disease",
    ]  # fmt: skip
    assert _kept(Term("X:5", "stroke disorder", ["stroke"]), own=("Stroke",)) == ["stroke"]
    assert _kept(Term("X:6", "uterine leiomyoma", ["fibroid", "fibroid tumor"])) == [
        "fibroid", "fibroid tumor",
    ]  # fmt: skip


def test_organs_of_inflammations_anatomy_and_everyday_words() -> None:
    assert _kept(Term("X:1", "epididymitis", ["epididymis", "inflammation of epididymis"])) == [
        "inflammation of epididymis"
    ]
    # the organ's adjective too (a note's "type III epididymal attachment")
    assert _kept(Term("X:7", "epididymitis", ["epididymal", "Epididymitides"])) == [
        "Epididymitides"
    ]
    assert _kept(Term("X:8", "gastritis", ["gastric", "gastric inflammation"])) == [
        "gastric inflammation"
    ]
    assert _kept(Term("X:2", "pleuritis", ["pleurisy"])) == ["pleurisy"]  # no organ ending
    vesiculitis = Term("X:3", "vesiculitis", ["seminal vesicles"])
    assert _kept(vesiculitis, anatomy=("seminal vesicle",)) == []  # plural or not
    assert _kept(Term("X:4", "infertility disorder", ["sterile", "sterility"])) == ["sterility"]


def test_roots_and_disease_characteristics_keep_no_synonyms() -> None:
    terms = [
        Term("MONDO:0000001", "disease", ["condition"]),
        Term("MONDO:0021125", "disease characteristic", ["modifier"], parents=["MONDO:0000001"]),
        Term("MONDO:0021137", "not rare", ["common"], parents=["MONDO:0021125"]),
        Term("MONDO:0005068", "myocardial infarction", ["heart attack"], parents=["MONDO:0000001"]),
    ]
    ids = roots_and_characteristics(terms)
    assert ids == {"MONDO:0000001", "MONDO:0021125", "MONDO:0021137"}
    out = clean_synonyms(terms, (), [t.name for t in terms], ids)
    assert [t.synonyms for t in out] == [[], [], [], ["heart attack"]]


@needs_hetionet
def test_the_imported_graph_and_a_note_link_no_organ_as_a_disease(
    vocab_store: EmbeddedStore, vocab_extractor  # type: ignore[no-untyped-def]
) -> None:
    from medkg.nlp import NoteInput

    rows = vocab_store.query(
        "MATCH (d:Disease) WHERE 'skin' IN d.synonyms OR 'sterile' IN d.synonyms "
        "OR 'condition' IN d.synonyms OR 'pad' IN d.synonyms RETURN d.id"
    ).rows
    assert rows == []
    assert "heart attack" in vocab_store.get_node("DOID:5844")["synonyms"]  # what names stays
    assert vocab_store.get_node("MONDO:0700063") is None  # "complete": no disease
    report = vocab_store.report  # type: ignore[attr-defined]
    assert report.counts["synonyms left out: an abbreviation in lower case"] > 100

    note = (
        "The skin was closed with sterile staples over the soft tissue. "
        "Her condition is stable. She has a history of heart attack."
    )
    (doc,) = vocab_extractor.extract([NoteInput("op-note", note)])
    assert [(m.text, m.node_id) for m in doc.mentions if m.node_label == "Disease"] == [
        ("heart attack", "DOID:5844")
    ]


@needs_hetionet
def test_capitalised_words_of_a_note_are_no_gene_symbols(vocab_extractor) -> None:  # type: ignore[no-untyped-def]
    """Notes write headers in capitals: "FOR" (WWOX's alias), "PLAN" (an
    abbreviation of PLA2G6-associated neurodegeneration) and "MRI" (CYREN's
    alias) linked before (decision 0040); "PSA" is prostate-specific antigen,
    the KLK3 gene, not PSAT1's alias."""
    from medkg.nlp import NoteInput

    note = "INDICATIONS FOR PROCEDURE: Elevated PSA. MRI of the pelvis. PLAN: Biopsy."
    (doc,) = vocab_extractor.extract([NoteInput("headers", note)])
    linked = {m.text: m.node_id for m in doc.mentions}
    assert "FOR" not in linked and "MRI" not in linked and "PLAN" not in linked
    assert linked["PSA"] == "354"
    (doc,) = vocab_extractor.extract(
        [NoteInput("urology", "Biopsy showed high-grade PIN. Started Bactrim DS.")]
    )
    linked = {m.text: m.node_id for m in doc.mentions}
    assert linked["PIN"] == "MONDO:0005193" and "DS" not in linked
    # a stop word in capitals is a symbol only outside a run of capitals
    (doc,) = vocab_extractor.extract(
        [NoteInput("h", "Diagnosed with ALL in 2019. REVIEW: ALL OTHER SYSTEMS NEGATIVE.")]
    )
    assert [m.sentence_index for m in doc.mentions if m.text == "ALL"] == [0]


@needs_hetionet
def test_laboratory_abbreviations_link_to_the_measured_protein(vocab_extractor) -> None:  # type: ignore[no-untyped-def]
    """A lab panel's abbreviations named diseases and genes that notes never
    mean: "ALT" well-differentiated liposarcoma, "CK" chikungunya, "hCG" a
    hypertrichosis syndrome, "ADHESIVE TAPE" the gene CC2D1A (alias TAPE)."""
    from medkg.nlp import NoteInput

    note = (
        "LABS: ALT 60, CK 1200, LDH 400. Urine hCG was negative. "
        "ALLERGIES: PENICILLIN and ADHESIVE TAPE. POST OPERATIVE DIAGNOSES: Same."
    )
    (doc,) = vocab_extractor.extract([NoteInput("panel", note)])
    linked = {m.text: (m.node_label, m.node_id) for m in doc.mentions}
    assert linked["ALT"] == ("Gene", "2875")  # GPT, alanine aminotransferase
    assert linked["CK"] == ("Drug", "D003402")  # MeSH Creatine Kinase
    assert linked["LDH"] == ("Drug", "D007770")
    assert linked["hCG"] == ("Drug", "D006063")
    assert "TAPE" not in linked and "POST" not in linked
    assert all(m.measured for m in doc.mentions if m.text in {"ALT", "CK", "LDH", "hCG"})


@needs_hetionet
def test_an_operative_narrative_s_techniques_are_no_findings(vocab_extractor) -> None:  # type: ignore[no-untyped-def]
    """"interrupted CTX sutures" named cerebrotendinous xanthomatosis, "HIT
    technique" heparin-induced thrombocytopenia, "negative aspiration" the
    finding aspiration; a clinic note's aspiration still links."""
    from medkg.nlp import NoteInput

    note = (
        "DESCRIPTION OF PROCEDURE: Negative aspiration was performed. The ribs were "
        "closed with interrupted CTX sutures. HIT technique was performed. "
        "After aspiration of venous blood, the wire was passed. "
        "ASSESSMENT: Recurrent aspiration."
    )
    (doc,) = vocab_extractor.extract([NoteInput("op", note)])
    got = [(m.text.lower(), m.section) for m in doc.mentions]
    assert got == [("aspiration", "assessment")], got
