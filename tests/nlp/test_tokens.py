"""What the extractor's tokenizer (decisions 0030, 0031) means for the parts
that read its tokens: the dictionary matcher, the abbreviation detector, NER
scoring on raw text. Real pipeline, tiny lexicon."""

from __future__ import annotations

from pathlib import Path

from medkg.nlp.lexicon import Entry, Lexicon
from medkg.nlp.ner.evaluation import evaluate_ner_text
from medkg.nlp.pipeline import build_nlp


def test_a_symbol_is_a_whole_hyphenated_word_never_a_part_of_one() -> None:
    """The tokenizer cuts at every hyphen between words (decision 0031), so a
    symbol could match inside a chemical's name: "N10" is a gene symbol, and
    not what "N10-propargyl-5,8-dideazafolic acid" means."""
    n10 = Entry("Gene", "3164", "NR4A1", exact=False)
    il6 = Entry("Gene", "3569", "IL6", exact=False)
    lex = Lexicon(symbols={"N10": [n10], "IL-6": [il6]})
    doc = build_nlp(lex)(
        "Given N10-propargyl-5,8-dideazafolic acid, N10 rose; IL-6 and IL-6-induced fever."
    )
    assert [(e.text, e.ent_id_) for e in doc.ents] == [
        ("N10", "Gene|3164|symbol; synonym"),
        ("IL-6", "Gene|3569|symbol; synonym"),
        ("IL-6", "Gene|3569|symbol; synonym"),
    ]
    assert doc.ents[0].start_char == len("Given N10-propargyl-5,8-dideazafolic acid, ")


def test_a_name_matches_each_part_of_a_hyphenated_pair() -> None:
    arthralgia = Entry("Symptom", "D018771", "Arthralgia")
    myalgia = Entry("Symptom", "D063806", "Myalgia")
    gbs = Entry("Disease", "DOID:12842", "Guillain-Barre syndrome")
    lex = Lexicon(
        names={"arthralgia": [arthralgia], "myalgia": [myalgia],
               "guillain barre syndrome": [gbs]},
        max_words=3,
    )  # fmt: skip
    doc = build_nlp(lex)("Arthralgia-myalgia before Guillain-Barre syndrome.")
    assert [e.text for e in doc.ents] == ["Arthralgia", "myalgia", "Guillain-Barre syndrome"]


def test_a_full_stop_and_comma_between_words_split_the_token() -> None:
    """Notes whose line breaks became commas ("asthma.,FAMILY HISTORY:") glued
    a sentence's last word to the next heading; both are words again, the
    sentence ends at the stop, and a comma inside a number stays (decision 0042)."""
    asthma = Entry("Disease", "DOID:2841", "asthma")
    lex = Lexicon(names={"asthma": [asthma]}, max_words=1)
    nlp = build_nlp(lex)
    doc = nlp("Seen for asthma.,FAMILY HISTORY: , None;,PLAN: 1,000 mg.")
    assert [t.text for t in doc][:6] == ["Seen", "for", "asthma", ".", ",", "FAMILY"]
    assert "1,000" in [t.text for t in doc] and ";" in [t.text for t in doc]
    assert [e.text for e in doc.ents] == ["asthma"]
    assert next(iter(doc.sents)).text.rstrip(",") == "Seen for asthma."
    # a closing bracket before the stop is a token too, and so is the opening one
    doc = nlp("Gastrostomy (gastrocutaneous asthma).,PLAN: PSA (PSA).,OR")
    words = [t.text for t in doc]
    assert words[2:8] == ["gastrocutaneous", "asthma", ")", ".", ",", "PLAN"], words
    assert words[-6:-2] == ["(", "PSA", ")", "."], words
    assert [e.text for e in doc.ents] == ["asthma"]
    # a numbered list flattened to commas: each item's last word is a word
    doc = nlp("DIAGNOSES:,1.  Severe asthma.,2.  Asthma.,3.  None. He takes 1,000 mg.")
    words = [t.text for t in doc]
    assert words[6:12] == ["Severe", "asthma", ".", ",", "2", "."], words
    assert [e.text for e in doc.ents] == ["asthma", "Asthma"]
    assert "1,000" in words


def test_a_name_inside_a_longer_name_only_the_ner_links_is_left_to_the_ner() -> None:
    """"calcium" is a drug, "calcium channel blockers" a MeSH heading the matcher
    may not link (``ner_only``): with an NER after it, the matcher leaves the
    whole span alone, since the NER cannot tag over a match."""
    calcium = Entry("Drug", "DB01373", "Calcium")
    blockers = Entry("Drug", "D002121", "Calcium Channel Blockers")
    lex = Lexicon(
        names={"calcium": [calcium], "calcium channel blockers": [blockers]},
        max_words=3, ner_only=frozenset({"D002121"}),
    )  # fmt: skip
    nlp = build_nlp(lex)
    text = "Calcium channel blockers and calcium."
    assert [e.text for e in nlp(text).ents] == ["Calcium", "calcium"]  # no NER: as before
    nlp.get_pipe("medkg_names").defer_to_ner = True
    assert [e.text for e in nlp(text).ents] == ["calcium"]


def test_an_abbreviation_defined_before_a_hyphen_is_found() -> None:
    """scispaCy kept "(METH)-induced" one token, so METH was never defined."""
    nlp = build_nlp(Lexicon())
    doc = nlp("Methamphetamine (METH)-induced psychosis resolved. METH was stopped.")
    found = [(a.text, a._.long_form.text) for a in doc._.abbreviations]
    assert found == [("METH", "Methamphetamine")] * 2
    assert [t.text for t in nlp.make_doc("(+)-pentazocine (6-OHDA)-lesioned")] == [
        "(+)", "-", "pentazocine", "(", "6", "-", "OHDA", ")", "-", "lesioned",
    ]  # fmt: skip


def test_raw_text_is_scored_on_exact_character_spans(tmp_path: Path) -> None:
    """``bench/ner_eval.py --pubtator``: a pipeline tags the abstract itself, so
    a mention its tokens cannot reach ("aspirin" is not in this lexicon) is
    missed, and the two parts of "Arthralgia-myalgia" are found."""
    text = "Arthralgia-myalgia after aspirin."
    pubtator = tmp_path / "tiny.PubTator.txt"
    pubtator.write_text(
        f"1|t|{text}\n1|a|\n"
        "1\t0\t10\tArthralgia\tDisease\tD018771\n"
        "1\t11\t18\tmyalgia\tDisease\tD063806\n"
        "1\t25\t32\taspirin\tChemical\tD001241\n",
        encoding="utf-8",
    )
    lex = Lexicon(
        names={"arthralgia": [Entry("Symptom", "D018771", "Arthralgia")],
               "myalgia": [Entry("Symptom", "D063806", "Myalgia")]},
    )  # fmt: skip
    scores = evaluate_ner_text(build_nlp(lex), pubtator, label_map={"SYMPTOM": "DISEASE"})
    assert scores.sentences == 1
    assert (scores.per_label["DISEASE"].tp, scores.per_label["DISEASE"].fp) == (2, 0)
    assert (scores.per_label["CHEMICAL"].tp, scores.per_label["CHEMICAL"].fn) == (0, 1)
    assert round(scores.micro.f1, 3) == 0.8
