"""Section headings of notes (decision 0042): found by shape, kinds by words."""

from __future__ import annotations

from spacy.tokens import Doc

from medkg.nlp.sections import find_sections, section_at, section_kind

MTSAMPLES_STYLE = (
    "HISTORY:, Seen for asthma.,FAMILY HISTORY: , Significant for hypertension, diabetes."
    ",PAST MEDICAL HISTORY:, Asthma.,ALLERGIES:, None.,SOCIAL HISTORY:, Smokes."
)


def test_headings_in_capitals_after_a_comma_start_sections() -> None:
    got = [(s.name, s.kind) for s in find_sections(MTSAMPLES_STYLE)]
    assert got == [
        ("history", "other"),
        ("family history", "family"),
        ("past medical history", "historical"),
        ("allergies", "allergies"),
        ("social history", "other"),
    ]
    sections = find_sections(MTSAMPLES_STYLE)
    where = MTSAMPLES_STYLE.index("diabetes")
    assert section_at(sections, where).name == "family history"
    # a section runs to the next heading; the heading itself is in none
    assert section_at(sections, MTSAMPLES_STYLE.index("Smokes")).name == "social history"
    assert section_at(sections, MTSAMPLES_STYLE.index("FAMILY")) is None
    assert section_at(sections, 0) is None


def test_listed_headings_in_any_case_at_a_line_start() -> None:
    text = "Seen today.\nFamily history: mother with breast cancer.\nPast medical history: asthma."
    got = [(s.name, s.kind) for s in find_sections(text)]
    assert got == [("family history", "family"), ("past medical history", "historical")]
    # mid-sentence, lower case, it is prose, not a heading
    assert find_sections("She has a family history: of nothing much.") == []


def test_what_is_not_a_heading() -> None:
    assert find_sections("No headings here. Blood pressure 120/80 at 10:30.") == []
    shouting = "THE PATIENT WAS TOLD TO RETURN IF THE FEVER COMES BACK OR GETS WORSE: yes"
    assert find_sections(shouting) == []
    assert find_sections("Report at\nHTTPS://EXAMPLE.ORG/NOTES") == []  # an address


def test_kinds_come_from_the_table_or_the_words() -> None:
    assert section_kind("family history") == "family"
    assert section_kind("mother") == "family"  # a relative's own heading
    assert section_kind("past ocular history") == "historical"  # not listed: by its words
    assert section_kind("pmh") == "historical"
    assert section_kind("history of present illness") == "other"
    assert section_kind("family meeting") == "other"
    # the operative narrative, not the headings naming the operation or its findings
    assert section_kind("description of the operation") == "procedure"
    assert section_kind("procedure in detail") == "procedure"
    assert section_kind("indications for procedure") == "other"
    assert section_kind("operative findings") == "other"
    assert section_kind("title of operation") == "other"


def test_a_cue_opening_a_numbered_list_governs_its_items() -> None:
    """"Potential complications include:,1. Infection.,2. Bleeding." - each item
    is a sentence of its own, and each is hypothetical; the list ends at the
    first sentence that is no item."""
    import spacy

    from medkg.nlp import context, sections  # noqa: F401  (register the components)

    text = (
        "Potential complications include, but are not limited to:,1.  Infection.,2.  "
        "Bleeding.,3.  Formation of urethral strictures.,PROCEDURE IN DETAIL: , Bleeding "
        "was controlled. His mother states that he had a fever."
    )
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("medkg_sections")
    nlp.add_pipe("medkg_context")
    doc = nlp.make_doc(text)
    spans = [("Infection", 0), ("Bleeding", 0), ("urethral strictures", 0), ("Bleeding", 1),
             ("fever", 0)]  # fmt: skip
    ents = []
    for name, nth in spans:
        at = -1
        for _ in range(nth + 1):
            at = text.index(name, at + 1)
        ents.append(doc.char_span(at, at + len(name), label="DISEASE"))
    doc.ents = ents
    doc = nlp(doc)
    got = [(e.text, e._.hypothetical, e._.family) for e in doc.ents]
    assert got == [
        ("Infection", True, False),
        ("Bleeding", True, False),
        ("urethral strictures", True, False),
        ("Bleeding", False, False),  # under the next heading: the list has ended
        ("fever", False, False),  # the mother reports the patient's fever
    ]


def test_an_entity_inside_a_listed_heading_is_dropped() -> None:
    """"ALLERGIES:" labels a section; "allergies" in a sentence is a mention, and
    so is a problem-list heading the table does not list ("DIABETES:")."""
    import spacy

    from medkg.nlp import sections  # noqa: F401  (registers medkg_sections)

    text = "ALLERGIES:, None. She has allergies.\n1. DIABETES: well controlled."
    nlp = spacy.blank("en")
    nlp.add_pipe("medkg_sections")
    doc = nlp.make_doc(text)
    doc.ents = [
        doc.char_span(0, 9, label="DISEASE"),
        doc.char_span(text.index("allergies"), text.index("allergies") + 9, label="DISEASE"),
        doc.char_span(text.index("DIABETES"), text.index("DIABETES") + 8, label="DISEASE"),
    ]
    doc = nlp(doc)
    assert [(e.text, e._.section and e._.section.name) for e in doc.ents] == [
        ("allergies", "allergies"),
        ("DIABETES", None),  # a heading's own words are under no section
    ]


def test_a_family_history_in_sentence_case_ends_at_the_next_line_heading() -> None:
    text = (
        "Family history: diabetes in her mother.\nHome medications: metformin.\n"
        "Exam: warm, dry skin.\nThe note goes on: as prose."
    )
    sections = find_sections(text)
    assert [(s.name, s.kind) for s in sections] == [
        ("family history", "family"),
        ("home medications", "other"),
        ("exam", "other"),
    ]  # "The note goes on:" is prose: a verb, not a label
    assert section_at(sections, text.index("metformin")).name == "home medications"


def _read_in_context(text: str, spans: list[tuple[int, str, str]]) -> Doc:
    """``text`` through the extractor's tokenizer, sentences and assertion
    context, with the given (first character, name, label) spans as entities."""
    import spacy

    from medkg.nlp.pipeline import text_pipeline

    nlp = text_pipeline(spacy.blank("en"))
    nlp.add_pipe("medkg_context")
    doc = nlp.make_doc(text)
    doc.ents = sorted(
        (doc.char_span(at, at + len(name), label=label) for at, name, label in spans),
        key=lambda e: e.start,
    )
    return nlp(doc)


def test_the_stop_of_etc_before_a_lower_case_word_ends_no_sentence() -> None:
    """"Risks include bleeding; injury to bowel, etc.; small-bowel obstruction"
    is one list under one cue; "He had pain, etc. The next day" is two sentences."""
    text = (
        "The risks include bleeding; injury to bowel, etc.; small-bowel obstruction; "
        "abdominal hernia. He had pain, etc. The next day, e.g. today, fever."
    )
    names = ["bleeding", "bowel obstruction", "abdominal hernia", "pain", "fever"]
    doc = _read_in_context(text, [(text.index(n), n, "DISEASE") for n in names])
    assert [s.text.strip() for s in doc.sents] == [
        "The risks include bleeding; injury to bowel, etc.; small-bowel obstruction; "
        "abdominal hernia.",
        "He had pain, etc.",
        "The next day, e.g. today, fever.",
    ]
    assert [e._.hypothetical for e in doc.ents] == [True, True, True, False, False]


def test_a_prescriptions_latin_ends_no_sentence_and_prn_is_an_indication() -> None:
    """"Vicodin 1 p.o. q.4h. p.r.n. pain" is one sentence, and the as-needed cue
    makes only the finding right after it hypothetical: "p.r.n. pain" is what the
    drug is for, not pain the patient has; a drug after "as needed" stays, and
    "p.o." before a capital still ends a sentence."""
    text = (
        "Vicodin ES 1 p.o. q.4h. p.r.n. pain, #30 for pain. He has knee pain. "
        "Tylenol as needed, lisinopril daily for hypertension. Take 1 tablet p.o. Fever today."
    )
    first_pain = text.index("pain")
    doc = _read_in_context(text, [
        (first_pain, "pain", "DISEASE"), (text.index("pain", first_pain + 1), "pain", "DISEASE"),
        (text.index("knee pain"), "knee pain", "DISEASE"),
        (text.index("lisinopril"), "lisinopril", "CHEMICAL"),
        (text.index("hypertension"), "hypertension", "DISEASE"),
        (text.index("Fever"), "Fever", "DISEASE"),
    ])  # fmt: skip
    assert [s.text.strip() for s in doc.sents] == [
        "Vicodin ES 1 p.o. q.4h. p.r.n. pain, #30 for pain.",
        "He has knee pain.",
        "Tylenol as needed, lisinopril daily for hypertension.",
        "Take 1 tablet p.o.",
        "Fever today.",
    ]
    got = [(e.text, e._.hypothetical) for e in doc.ents]
    assert got == [("pain", True), ("pain", False), ("knee pain", False),
                   ("lisinopril", False), ("hypertension", False), ("Fever", False)]  # fmt: skip
