"""Linking through every name, synonym, lay term, brand name and gene alias the
vocabularies bring, with the rule that linked each mention in its provenance;
names several nodes share are resolved by stated rules; negated mentions still
never become facts."""

from __future__ import annotations

import json

import pytest

from medkg.kg.store.embedded import EmbeddedStore
from medkg.nlp import Extractor, NoteInput, ingest_documents
from medkg.nlp.chemical_formulas import formula_names, without_salt
from medkg.nlp.defined_abbreviations import (
    defined_abbreviations,
    looks_like_short_form,
    spelled_out,
)
from medkg.nlp.lexicon import Entry, Lexicon
from medkg.nlp.linking import one_letter_apart, other_numbers
from medkg.nlp.name_variants import complement_first, heads, opposite_direction, spellings


@pytest.fixture(scope="module")
def extractor(vocab_extractor: Extractor) -> Extractor:
    return vocab_extractor


def _mentions(extractor: Extractor, text: str) -> dict[str, tuple[str, str, bool]]:
    (doc,) = extractor.extract([NoteInput("t", text)])
    return {m.text: (m.node_id, m.link_rule, m.is_positive_fact) for m in doc.mentions}


def test_synonyms_brand_names_aliases_and_lay_terms_link(extractor: Extractor) -> None:
    m = _mentions(
        extractor,
        "Had a heart attack in 2019. Takes Tylenol for back pain. TP53 (p53) mutation. "
        "Her hands show spider fingers.",
    )
    assert m["heart attack"][0] == "DOID:5844" and m["heart attack"][1].startswith("synonym")
    assert m["Tylenol"][0] == "DB00316"
    assert m["p53"][0] == "7157" and m["p53"][1].startswith("symbol")
    assert m["spider fingers"][0] == "HP:0001166"


def test_case_keeps_abbreviations_apart_from_words(extractor: Extractor) -> None:
    m = _mentions(extractor, "All patients with ALL were given methotrexate.")
    assert "All" not in m  # the word, not acute lymphoblastic leukemia
    assert m["ALL"][0] == "DOID:9952" and m["ALL"][1].startswith("symbol")
    assert m["methotrexate"][0] == "DB00563"


def test_a_shared_name_links_to_the_node_to_prefer_and_says_why(extractor: Extractor) -> None:
    # "Type 2 diabetes" names the disease, HPO's phenotype (tied to it by SAME_AS)
    # and, in Hetionet, an edgeless side effect
    node, rule, _ = _mentions(extractor, "Known type 2 diabetes.")["type 2 diabetes"]
    assert node == "DOID:9352"
    assert "nodes: not tied by SAME_AS" in rule


def test_a_mesh_symptom_tied_to_its_disease_links_there_and_keeps_its_phenotype(
    extractor: Extractor, vocab_store: EmbeddedStore
) -> None:
    """The word "diarrhea" names DOID's disease and MeSH's symptom, now tied to
    it: the mention links to the disease, and the phenotype ranker reads the
    symptom's annotations through the tie."""
    from medkg.fusion.phenotype_ranker import PhenotypeIndex

    node, rule, _ = _mentions(extractor, "Reports watery diarrhea.")["diarrhea"]
    assert node == "DOID:13250" and "not tied by SAME_AS" in rule
    index = PhenotypeIndex.from_store(vocab_store)
    assert "D003967" in index.query_terms([], ["DOID:13250"])


def test_a_chain_of_ties_links_to_its_end(store: EmbeddedStore) -> None:
    """A side effect tied to a symptom that is itself tied to a disease (a store
    imported before the importer tied them directly) links to the disease."""
    from medkg.nlp.lexicon import _same_as

    store.import_nodes("Disease", [{"id": "DOID:1", "name": "narcolepsy"}])
    store.import_nodes("Symptom", [{"id": "D1", "name": "Narcolepsy"}])
    store.import_nodes("SideEffect", [{"id": "C1", "name": "Narcolepsy"}])
    store.import_edges("SAME_AS", "Symptom", "Disease", [{"start": "D1", "end": "DOID:1"}])
    store.import_edges("SAME_AS", "SideEffect", "Symptom", [{"start": "C1", "end": "D1"}])
    ties = _same_as(store)
    assert ties["C1"].node_id == ties["D1"].node_id == "DOID:1"


def test_half_of_an_inverted_name_is_no_name(store: EmbeddedStore) -> None:
    """DrugBank's "alcohol," is what is left of "Alcohol, Benzyl": a note's
    "alcohol" is not benzyl alcohol (14 wrong links on the MTSamples reports)."""
    synonyms = ["alcohol,", "benzenemethanol", ", vusion"]
    store.import_nodes("Drug", [{"id": "DB06770", "name": "Benzyl alcohol", "synonyms": synonyms}])
    lex = Lexicon.from_store(store)
    assert "benzenemethanol" in lex.names and "benzyl alcohol" in lex.names
    assert "alcohol" not in lex.names and "vusion" not in lex.names


def test_a_side_effect_marked_a_procedure_is_no_name(store: EmbeddedStore) -> None:
    """SIDER's "Surgery" is a side effect; a note's "surgery" (91 mentions in 318
    MTSamples reports) is what was done, so no mention links to it, while a side
    effect of the same kind that is a finding still does."""
    store.import_nodes("SideEffect", [
        {"id": "C0543467", "name": "Surgery", "procedure": True},
        {"id": "C0027497", "name": "Nausea"},
    ])  # fmt: skip
    lex = Lexicon.from_store(store)
    assert "surgery" not in lex.names
    assert [e.node_id for e in lex.names["nausea"]] == ["C0027497"]


def test_names_notes_use_for_something_else_are_no_names_of_that_label(
    store: EmbeddedStore,
) -> None:
    """ "water" in a note is irrigation or suction, not DrugBank's Water given as a
    drug; "tension" on sutures is not SIDER's nervous tension (not_names.tsv).
    Only that label loses the name: another node of the same name keeps it."""
    store.import_nodes("Drug", [{"id": "DB09145", "name": "Water"}])
    store.import_nodes("SideEffect", [
        {"id": "C0233494", "name": "Tension"},
        {"id": "C0235195", "name": "Sedation"},
    ])  # fmt: skip
    store.import_nodes("Symptom", [{"id": "D999999", "name": "Tension"}])
    lex = Lexicon.from_store(store)
    assert "water" not in lex.names and "sedation" not in lex.names
    assert [e.node_id for e in lex.names["tension"]] == ["D999999"]


def test_the_wound_of_an_operative_narrative_is_the_incision(store: EmbeddedStore) -> None:
    """Under DESCRIPTION OF PROCEDURE "the wound was irrigated" is the incision;
    under ASSESSMENT a "draining wound" is SIDER's Wound (not_names.tsv, a row
    with a section kind: the name stays in the lexicon)."""
    store.import_nodes("SideEffect", [{"id": "C0043250", "name": "Wound"}])
    lex = Lexicon.from_store(store)
    assert [e.node_id for e in lex.names["wound"]] == ["C0043250"]
    assert lex.not_in_sections == {"C0043250": frozenset({"procedure"})}
    extractor = Extractor(None, store.settings, lexicon=lex)
    text = (
        "DESCRIPTION OF PROCEDURE:, The wound was irrigated and closed.,"
        "ASSESSMENT:, A draining wound of the left heel."
    )
    (doc,) = extractor.extract([NoteInput("t", text)])
    assert [(m.text, m.section) for m in doc.mentions] == [("wound", "assessment")]


def test_an_operative_note_s_surgery_links_to_no_side_effect(extractor: Extractor) -> None:
    m = _mentions(extractor, "She is status post surgery for her hip and has nausea.")
    assert "surgery" not in m
    assert "nausea" in m


def test_resolution_rules_in_order() -> None:
    drug = Entry("Drug", "DB1", "insulin", exact=True)
    gene = Entry("Gene", "3630", "INS", exact=False)
    disease = Entry("Disease", "D1", "x", exact=False)
    lex = Lexicon(same_as={"D2": Entry("Disease", "D9", "y")}, degree={"DB1": 5, "3630": 50})
    assert lex.resolve([drug, gene], "CHEMICAL").rule == "name of 2 nodes: NER label"
    assert lex.resolve([gene, drug], "GENE").entry is gene
    assert lex.resolve([gene, drug]).entry is drug  # own name over synonym
    tied = Entry("Disease", "D2", "x", exact=True)
    assert lex.resolve([tied, disease]).entry is disease  # SAME_AS-tied loses first
    a, b = Entry("Gene", "1", "A", exact=False), Entry("Gene", "3630", "B", exact=False)
    assert lex.resolve([a, b]).rule.endswith("more relationships")
    assert lex.resolve([a]).rule == "synonym" and lex.resolve([]) is None


def test_link_rule_is_stored_and_negated_mentions_are_not_facts(
    vocab_store: EmbeddedStore, extractor: Extractor
) -> None:
    text = "Patient denies heart attack. Takes Tylenol for headache."
    ingest_documents(vocab_store, extractor.extract([NoteInput("link-note-1", text)]))
    rows = vocab_store.query(
        "MATCH (:Document {id: 'link-note-1'})-[r:MENTIONS]->(n) RETURN n.id, r.mentions"
    ).rows
    found = {node: [json.loads(m) for m in mentions] for node, mentions in rows}
    assert "DOID:5844" not in found  # "denies heart attack" stays out of the graph
    assert found["DB00316"][0]["link"] and found["DB00316"][0]["text"] == "Tylenol"


def test_a_span_whose_ner_label_no_candidate_has_is_not_linked() -> None:
    gene = Entry("Gene", "410", "ARSA", exact=False)
    lex = Lexicon()
    assert lex.resolve([gene], "CHEMICAL") is None  # "ASA" the drug is not ARSA the gene
    assert lex.resolve([gene]).entry is gene  # without a label the name decides


def test_names_learned_from_annotated_abstracts(vocab_store: EmbeddedStore) -> None:
    from medkg.nlp.corpora.pubtator import training_abstracts
    from medkg.nlp.learned_names import LearnedNames, learn_names
    from tests.conftest import SHARED

    bc5 = SHARED / "bc5cdr"
    if not (bc5 / "CDR_TrainingSet.PubTator.txt").is_file():
        pytest.skip("no BC5CDR PubTator files")
    docs = training_abstracts(
        bc5 / "CDR_TrainingSet.PubTator.txt", bc5 / "CDR_DevelopmentSet.PubTator.txt"
    )
    assert len(docs) == 500  # the development abstracts the file repeats are left out
    learned = learn_names(docs, vocab_store)
    # BC5CDR's curators normalise "nephrotoxicity" to Kidney Diseases (D007674),
    # which the Disease Ontology's kidney disease carries
    assert learned.names["nephrotoxicity"].node_id == "DOID:557"
    assert learned.symbols["AZT"].node_id == "DB00495"  # zidovudine, in several abstracts
    assert all(len(k) >= 4 for k in learned.names)
    # one abstract's choice does not take a text from the node it names
    # ("drowsiness" is HPO's Drowsiness; one curator chose Disorders of Excessive
    # Somnolence, which only DOID's recurrent hypersomnia cites); a convention
    # many abstracts share does ("hepatitis" after a drug, 13 abstracts)
    assert "drowsiness" not in learned.names and "tetanus" not in learned.names
    assert learned.names["hepatitis"].node_id == "MONDO:0005359"  # drug-induced liver injury
    lex = Lexicon.from_store(vocab_store)
    before = lex.resolve(lex.candidates("nephrotoxicity"), "DISEASE")
    lex.learn(learned.names, learned.symbols)
    after = lex.resolve(lex.candidates("nephrotoxicity"), "DISEASE")
    assert after is not None and after.entry.node_id == "DOID:557"
    assert after.rule.startswith("learned name") and (before is None or before.entry != after.entry)
    # saved and loaded unchanged, restricted to nodes the store holds
    path = vocab_store.settings.models_dir / "linking" / "names.json"
    learned.save(path)
    again = LearnedNames.load(path).present_in(vocab_store)
    assert again.names["nephrotoxicity"] == learned.names["nephrotoxicity"]


def test_only_mesh_ids_count_as_mesh_ids() -> None:
    from medkg.nlp.learned_names import mesh_ids

    assert mesh_ids("D005207", None) == {"D005207"}  # a Hetionet symptom: a descriptor
    assert mesh_ids("C535509", None) == {"C535509"}  # a supplementary concept
    assert mesh_ids("D000071017", ["MESH:C000589078"]) == {"D000071017", "C000589078"}
    # a Hetionet side effect is a UMLS CUI, C and 7 digits: not a MeSH id
    assert mesh_ids("C0015644", ["UMLS:C0015644"]) == set()
    assert mesh_ids("DOID:5844", ["MESH:D009203", "UMLS:C0027051"]) == {"D009203"}


def test_british_spellings_link_like_american_ones(extractor: Extractor) -> None:
    m = _mentions(extractor, "Diarrhoea and oedema since Monday. Diarrhea again today.")
    assert m["Diarrhoea"][0] == m["Diarrhea"][0]
    assert "oedema" in m


def test_mesh_chemicals_link_through_ner_spans_only(extractor: Extractor) -> None:
    """MeSH chemical headings name everyday words ("lead", "protein"): the
    dictionary matcher leaves them alone, a span the NER proposes links to them,
    and a curated element symbol ("Na") links where the note writes it."""
    m = _mentions(extractor, "Poor intake may lead to weakness. Serum Na was 128.")
    assert "lead" not in m
    assert m["Na"][1] == "curated abbreviation"
    doc = extractor.nlp.make_doc("Blood lead levels were high.")
    link = extractor.linker.link(doc.char_span(6, 10, label="CHEMICAL"), {})
    assert link is not None and link.entry.node_id == "D007854"  # MeSH Lead
    assert link.rule.startswith("NER span")
    assert "D007854" in extractor.lexicon.ner_only


def test_other_spellings_of_a_span_are_tried_before_the_nearest_string() -> None:
    """Word forms, plurals and hyphenation the vocabularies do not list."""
    assert ("dyskinesia", "word form") in list(spellings("dyskinetic"))
    assert ("obesity", "word form") in list(spellings("obese"))
    assert ("diabetes", "word form") in list(spellings("diabetics"))
    assert next(spellings("gliomas")) == ("glioma", "word form")
    assert next(spellings("heart diseases")) == ("heart disease", "word form")
    assert ("bone metastasis", "word form") in list(spellings("bone metastases"))
    assert ("thromboembolism", "hyphen closed") in list(spellings("thrombo-embolism"))
    assert ("edema", "word form") in list(spellings("edematous"))
    # an organ's function said to be lost is its insufficiency, then dysfunction
    assert [v for v, how in spellings("decreased renal function") if how == "function lost"] == [
        "renal insufficiency", "renal dysfunction", "renal failure"
    ]  # fmt: skip
    assert ("kidney insufficiency", "function lost") in list(spellings("Loss of kidney function"))
    assert not any(how == "function lost" for _, how in spellings("normal renal function"))
    assert ("constipation", "without '-predominant'") in list(spellings("constipation-predominant"))
    # an organ's noun for the adjective vocabularies use, and back; never the condition word
    assert ("benign prostatic hypertrophy", "organ word 'prostatic'") in list(
        spellings("benign prostate hypertrophy")
    )
    assert ("kidney stones", "organ word 'kidney'") in list(spellings("renal stones"))
    assert list(spellings("prostate")) == []
    # a head keeps the concept; a word that names no condition alone is never a head
    assert [v for v, _ in heads("postoperative delirium")] == ["delirium"]
    # nor down to a chemical's class word
    assert not {"drugs", "drug", "acid"} & {v for v, _ in heads("beta-adrenergic blocking drugs")}
    assert "acid" not in {v for v, _ in heads("bile acid")}
    assert ("syncope", "head 'syncope'") in list(heads("syncopal attacks"))
    assert next(v for v, _ in heads("renal injury")) == "kidney disease"  # not "injury"
    assert "injury" not in [v for v, _ in heads("renal injury")]
    assert "and tubular lesions" not in [v for v, _ in heads("glomerular and tubular lesions")]
    assert next(heads("urticaria/angioedema")) == ("urticaria", "part 'urticaria'")
    assert "function" not in [v for v, _ in heads("decreased renal function")]


def test_spans_no_name_matches_link_through_their_variants(extractor: Extractor) -> None:
    """ "dyskinetic" links where "dyskinesia" does, saying how; a modified span
    links to its head's node with a lower confidence, and the fuzzy fallback no
    longer sends a split compound to a neighbouring string."""
    doc = extractor.nlp.make_doc(
        "dyskinesia dyskinetic obesity obese delirium postoperative delirium "
        "constipation constipation-predominant"
    )

    def span(start: int, end: int):  # type: ignore[no-untyped-def]
        s = doc[start:end]
        return extractor.linker.link(doc.char_span(s.start_char, s.end_char, label="DISEASE"), {})

    # "constipation-predominant" is three tokens (decision 0031)
    for plain, variant in (((0, 1), (1, 2)), ((2, 3), (3, 4)), ((7, 8), (8, 11))):
        direct, other = span(*plain), span(*variant)
        assert direct is not None and other is not None
        assert other.entry.node_id == direct.entry.node_id
        assert "word form" in other.rule or "without" in other.rule
    delirium, postoperative = span(4, 5), span(5, 7)
    assert postoperative is not None and delirium is not None
    assert postoperative.entry.node_id == delirium.entry.node_id
    assert "head 'delirium'" in postoperative.rule
    assert postoperative.confidence < delirium.confidence


def test_a_learned_name_goes_to_the_carrier_the_text_names(vocab_store: EmbeddedStore) -> None:
    """DOID cites Psychotic Disorders (D011618) on "schizophreniform disorder" too;
    an annotator's "psychosis" means the node that "psychosis" names, which
    carries the heading by its own name (decision 0028)."""
    from medkg.nlp.corpora.pubtator import PtDocument, PtMention
    from medkg.nlp.learned_names import learn_names

    carriers = {r[0] for r in vocab_store.query(
        "MATCH (n:Disease) WHERE 'MESH:D011618' IN n.xrefs RETURN n.id"
    ).rows}  # fmt: skip
    assert {"DOID:2468", "DOID:11328"} <= carriers
    docs = [
        PtDocument(str(i), "Psychosis after steroids.", "",
                   [PtMention(0, 9, "Psychosis", "Disease", ("D011618",))])
        for i in range(2)
    ]  # fmt: skip
    learned = learn_names(docs, vocab_store)
    assert learned.names["psychosis"].node_id == "DOID:2468"  # psychotic disorder


def test_a_retired_mesh_id_reads_as_the_current_id_its_text_names(
    vocab_store: EmbeddedStore,
) -> None:
    """BC5CDR codes quetiapine with MeSH 2015's supplementary concept C069541;
    current MeSH made it a descriptor (D000069348), which the Quetiapine drug
    carries. The old id reads as the new one by the name annotators gave it,
    so a scorer counts the right link right and its abbreviation is learned."""
    from medkg.nlp.corpora.pubtator import PtDocument, PtMention
    from medkg.nlp.learned_names import TYPE_LABELS, learn_names, mesh_ids
    from medkg.nlp.retired_mesh import current_mesh_ids, retired_mesh_ids, with_retired

    current = current_mesh_ids()
    assert current is not None and "C069541" not in current and "D000069348" in current
    mesh_of = {
        node: ids
        for node, xrefs in vocab_store.query(
            "MATCH (n:Drug) RETURN n.id, n.xrefs", row_cap=10_000_000
        ).rows
        if (ids := mesh_ids(node, xrefs))
    }
    assert "D000069348" in mesh_of["DB01224"]
    # C000020 (N-acetylneuraminoyllactose) is current MeSH that no node carries:
    # a gap of the graph, never read as another concept, whatever its text names
    assert all("C000020" not in ids for ids in mesh_of.values())
    text = "Quetiapine (QTP) caused akathisia; quetiapine was stopped."
    docs = [
        PtDocument(str(i), text, "", [
            PtMention(0, 10, "Quetiapine", "Chemical", ("C069541",)),
            PtMention(12, 15, "QTP", "Chemical", ("C069541",)),
            PtMention(38, 48, "quetiapine", "Chemical", ("C000020",)),
        ])
        for i in range(2)
    ]  # fmt: skip
    lex = Lexicon.from_store(vocab_store)
    retired = retired_mesh_ids(docs, lex, mesh_of, TYPE_LABELS)
    assert retired == {"C069541": frozenset({"D000069348"})}
    assert "C069541" in with_retired(mesh_of, retired)["DB01224"]
    # only the tables can call an id retired: a name alone maps nothing
    assert retired_mesh_ids(docs, lex, mesh_of, TYPE_LABELS, current | {"C069541"}) == {}
    learned = learn_names(docs, vocab_store, lex)
    assert learned.symbols["QTP"].node_id == "DB01224"  # two abstracts use it alike
    assert learned.meta["retired_mesh_ids_read"] == 1


def test_a_learned_drug_induced_name_needs_a_chemical_in_its_sentence() -> None:
    """BC5CDR's curators give a drug abstract's "hepatitis" to drug-induced liver
    injury; a note's "history of hepatitis" names hepatitis (decision 0035)."""
    import spacy
    from spacy.tokens import Span

    from medkg.nlp.linking import Linker

    hepatitis = Entry("Disease", "DOID:2237", "hepatitis")
    dili = Entry("Disease", "MONDO:0005359", "drug-induced liver injury")
    drug = Entry("Drug", "DB00951", "Isoniazid")
    lex = Lexicon(names={"hepatitis": [hepatitis], "isoniazid": [drug]})
    lex.learn({"hepatitis": dili})
    linker = Linker(lex)
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    doc = nlp("History of hepatitis. Hepatitis after isoniazid was stopped. Seen twice.")
    doc.ents = [Span(doc, 2, 3, "DISEASE"), Span(doc, 4, 5, "DISEASE"), Span(doc, 6, 7, "CHEMICAL")]
    plain, after_drug = (linker.link(e, {}) for e in doc.ents[:2])
    # the sentence after one naming a chemical is near it too
    doc = nlp("Isoniazid was started. Hepatitis followed.")
    doc.ents = [Span(doc, 0, 1, "CHEMICAL"), Span(doc, 4, 5, "DISEASE")]
    next_sentence = linker.link(doc.ents[1], {})
    assert next_sentence is not None and next_sentence.entry.node_id == "MONDO:0005359"
    assert plain is not None and plain.entry.node_id == "DOID:2237"
    assert "no chemical near it" in plain.rule
    assert after_drug is not None and after_drug.entry.node_id == "MONDO:0005359"
    assert after_drug.rule.startswith("NER span; learned name")
    # a learned name that is no drug-induced condition needs no chemical
    lex.learn({"nephrotoxicity": Entry("Disease", "DOID:557", "kidney disease")})
    doc2 = nlp("Nephrotoxicity was seen.")
    doc2.ents = [Span(doc2, 0, 1, "DISEASE")]
    found = linker.link(doc2.ents[0], {})
    assert found is not None and found.entry.node_id == "DOID:557"


def test_the_drug_context_check_covers_dictionary_matches() -> None:
    """Without a statistical NER the dictionary matcher finds the spans; its
    learned-name links get the same check."""
    from medkg.nlp.linking import Linker
    from medkg.nlp.pipeline import build_nlp

    lex = Lexicon(names={
        "hepatitis": [Entry("Disease", "DOID:2237", "hepatitis")],
        "isoniazid": [Entry("Drug", "DB00951", "Isoniazid")],
    })  # fmt: skip
    lex.learn({"hepatitis": Entry("Disease", "MONDO:0005359", "drug-induced liver injury")})
    nlp = build_nlp(lex)
    linker = Linker(lex)
    doc = nlp("History of hepatitis. Isoniazid-associated hepatitis in 2019.")
    links = {(e.text, e.sent.start): linker.link(e, {}) for e in doc.ents}
    got = {k: v.entry.node_id for k, v in links.items() if v is not None}
    assert got[("hepatitis", 0)] == "DOID:2237"
    assert ("Isoniazid", 4) in got and got[("hepatitis", 4)] == "MONDO:0005359"


def test_an_organs_noun_links_like_its_adjective(vocab_extractor: Extractor) -> None:
    """Notes write "benign prostate hypertrophy" where the vocabularies say
    "prostatic": the span links to that condition, not to its last word."""
    doc = vocab_extractor.nlp.make_doc("History of benign prostate hypertrophy.")
    link = vocab_extractor.linker.link(doc.char_span(11, 38, label="DISEASE"), {})
    assert link is not None and "organ word 'prostatic'" in link.rule
    hypertrophy = vocab_extractor.lexicon.resolve(
        vocab_extractor.lexicon.candidates("hypertrophy"), "DISEASE"
    )
    assert hypertrophy is None or hypertrophy.entry.node_id != link.entry.node_id
    assert "prostat" in link.entry.name.lower()


def test_the_dictionary_matcher_reads_an_organs_noun_as_its_adjective(
    extractor: Extractor,
) -> None:
    """Without an NER the matcher finds the name itself: "Benign prostate
    hypertrophy" was "hypertrophy" alone, a side effect; a name written as the
    vocabularies write it is matched as written."""
    m = _mentions(
        extractor,
        "1. Benign prostate hypertrophy. 2. Left kidney atrophy. 3. Heart failure.",
    )
    assert "hypertrophy" not in m and "atrophy" not in m
    node, rule, fact = m["Benign prostate hypertrophy"]
    assert node.startswith(("MONDO:", "DOID:")) and "organ word 'prostatic'" in rule and fact
    assert m["kidney atrophy"][0] == "HP:0012585"  # HPO's "Renal atrophy"
    assert "organ word" not in m["Heart failure"][1]


def test_phrases_that_name_nothing_hide_the_names_inside_them(store: EmbeddedStore) -> None:
    """ "body mass index" holds SIDER's Mass, "stress echocardiogram" its
    Stress, "voluntary sterility" the disease: the matcher steps over such
    phrases (not_mentions.tsv), and a listed phrase that is itself a name
    ("urine output") names nothing; the same names elsewhere still link. Under an
    operative narrative's heading "the gas" is the insufflation gas
    (not_names.tsv), in a clinic note a finding."""
    store.import_nodes("SideEffect", [
        {"id": "C0577559", "name": "Mass"},
        {"id": "C0038435", "name": "Stress"},
        {"id": "C0596601", "name": "Gas"},
        {"id": "C1287298", "name": "Urine output"},
    ])  # fmt: skip
    store.import_nodes("Disease", [{"id": "DOID:5223", "name": "sterility"}])
    extractor = Extractor(None, store.settings, lexicon=Lexicon.from_store(store))
    text = (
        "Her body mass index is 41. A dobutamine stress echocardiogram was done. "
        "Requesting voluntary sterility. He has a bladder mass and is under stress. "
        "Male sterility. 200 cc of clear urine output."
    )
    (doc,) = extractor.extract([NoteInput("t", text)])
    assert [(m.text, m.node_id) for m in doc.mentions] == [
        ("mass", "C0577559"),
        ("stress", "C0038435"),
        ("sterility", "DOID:5223"),
    ]
    # analgesia is no statement of pain
    store.import_nodes("Symptom", [{"id": "D010146", "name": "Pain"}])
    extractor = Extractor(None, store.settings, lexicon=Lexicon.from_store(store))
    text = "Given IV pain medications and pain meds for pain control. She has pain."
    (doc,) = extractor.extract([NoteInput("t", text)])
    assert [(m.text, m.start) for m in doc.mentions] == [("pain", text.rindex("pain"))]
    text = (
        "DESCRIPTION OF PROCEDURE:, The gas was evacuated.,"
        "ASSESSMENT:, Regurgitation with gas after meals."
    )
    (doc,) = extractor.extract([NoteInput("t", text)])
    assert [(m.text, m.section) for m in doc.mentions] == [("gas", "assessment")]
    # a season is no fall
    store.import_nodes("Symptom", [{"id": "HP:0002527", "name": "Falls", "synonyms": ["Fall"]}])
    extractor = Extractor(None, store.settings, lexicon=Lexicon.from_store(store))
    text = "A new tumor was found last fall. He had a fall yesterday."
    (doc,) = extractor.extract([NoteInput("t", text)])
    assert [(m.text, m.start) for m in doc.mentions] == [("fall", text.rindex("fall"))]


def test_a_side_effect_name_reads_with_its_participle_first(store: EmbeddedStore) -> None:
    """SIDER writes "Abortion missed", "Libido decreased"; notes write "missed
    abortion", "decreased libido" (MTSamples' "Missed abortion" had linked as
    the bare "abortion"). "Major bleed" is no participle."""
    store.import_nodes("SideEffect", [
        {"id": "C0000814", "name": "Abortion missed"},
        {"id": "C0156543", "name": "Abortion"},
        {"id": "C0011124", "name": "Libido decreased"},
        {"id": "C0000001", "name": "Major bleed"},
    ])  # fmt: skip
    lexicon = Lexicon.from_store(store)
    assert lexicon.lookup("missed abortion").node_id == "C0000814"
    assert lexicon.lookup("decreased libido").node_id == "C0011124"
    assert lexicon.lookup("Libido decreased").node_id == "C0011124"
    assert lexicon.lookup("major bleed") is not None and lexicon.lookup("bleed major") is None


def test_the_matchers_prefix_sets_follow_the_names() -> None:
    """The matcher grows a candidate only while some name goes on from it; names
    learned later (``medkg train linker``) must extend the prefixes, or their
    longer names would never be reached."""
    hf = Entry("Disease", "DOID:6000", "heart failure")
    lex = Lexicon(names={"heart failure": [hf]}, symbols={"IL-6": [Entry("Gene", "3569", "IL6")]},
                  not_mentions=frozenset({"body mass index"}))  # fmt: skip
    assert lex.name_prefixes() == {"heart", "body", "body mass"}
    assert lex.symbol_prefixes() == {"I", "IL", "IL-", "IL-6"}
    lex.learn({"acute kidney injury": Entry("Disease", "DOID:3021", "acute kidney failure")})
    assert lex.name_prefixes() == {"heart", "body", "body mass", "acute", "acute kidney"}


def test_the_nearest_string_names_no_narrower_concept(extractor: Extractor) -> None:
    """The fuzzy fallback is for spellings: a name that holds every word of the
    span and another of content is a narrower concept ("scrotum" is no "scrotum
    tumor", "bleeding" no "oral bleeding"), so it is passed over for the next
    nearest name; locants and joining words add no content. Measured on
    MTSamples and BC5CDR devel (docs/results.md, decision 0050)."""
    from medkg.nlp.linking import adds_a_condition_ending, adds_words, other_word_start

    assert adds_words("scrotum", "scrotum tumor")
    assert adds_words("bleeding", "oral bleeding")
    assert adds_words("soft palate", "cancer of soft palate")
    assert not adds_words("haemorrhages", "hemorrhage")  # not a superset: a spelling
    assert not adds_words("benzylacyclouridine", "5 benzylacyclouridine")  # a locant
    assert not adds_words("adenovirus disease", "disease due to adenovirus")
    assert not adds_words("tumors", "tumor")
    assert adds_words("enlarged thyroid gland", "enlarged parathyroid glands")  # a prefix
    assert adds_words("normal renal function", "abnormal renal function")  # the opposite
    assert not adds_words("moya moya", "moyamoya disease")  # closed up, no prefix
    assert adds_words("vp", "vp 16") and adds_words("gu", "gu 17")  # a code's number
    assert adds_words("impairment of", "mental impairment")  # a span cut after "of"
    # a word begun otherwise is another word, not a spelling
    assert other_word_start("atraumatic", "traumatic")
    assert other_word_start("compressive symptoms", "depressive symptom")
    assert other_word_start("hydropneumothorax", "hemopneumothorax")
    assert not other_word_start("tumours", "tumors")
    assert not other_word_start("vestibulotoxicity", "vestibular toxicity")  # a compound
    assert not other_word_start("cardiac dilation", "cardiac dilatation and dysfunction")
    assert not other_word_start("tardive dsykinesia", "tardive dyskinesia", 1)  # a slip
    # nor is a disease of what the span names ("-itis", "-osis", ...) a spelling of it
    assert adds_a_condition_ending("ureteral stent", "ureteral stenosis")
    assert adds_a_condition_ending("diaphragmatic", "diaphragmitis")
    assert not adds_a_condition_ending("scotomata", "scotoma")  # a Greek plural
    assert not adds_a_condition_ending("ischemic myocardium", "myocardial ischemia")
    assert ("thrombosis", "word form") in list(spellings("thrombosed"))

    linker = extractor.linker
    for text in ("atraumatic", "compressive symptoms", "hydropneumothorax", "ureteral stent"):
        assert linker.link_text(text, "DISEASE") is None, text
    for text in ("scrotum", "epididymis", "tonsil", "soft palate"):
        nearest = [linker.fuzzy._keys[i] for i, _ in linker.fuzzy.nearest(text)]
        assert adds_words(text, nearest[0]), (text, nearest)  # the nearest is narrower
        found = linker.link_text(text, "DISEASE")
        assert found is None or "neoplasm" not in found.entry.name, (text, found)


def test_an_eponym_alone_links_to_its_disease(extractor: Extractor) -> None:
    """ "Parkinson's" in a problem list is Parkinson's disease: the possessive
    eponym is tried with "disease" (then "syndrome") before any nearest string;
    "Parkinson" and "Reye" as "Parkinson's disease", "Reye's syndrome"."""
    found = extractor.linker.link_text("Parkinson's", "DISEASE")
    assert found is not None and found.entry.node_id == "DOID:14330", found
    assert "eponym 'disease'" in found.rule
    assert ("Crohn\u2019s disease", "eponym 'disease'") in list(spellings("Crohn\u2019s"))
    # without the possessive, a capitalised word is tried as the possessive only
    assert ("Parkinson's disease", "eponym 'disease'") in list(spellings("Parkinson"))
    found = extractor.linker.link_text("Reye", "DISEASE")
    assert found is not None and "syndrome" in found.entry.name.lower(), found
    assert not any("eponym" in how for _, how in spellings("parkinson"))
    scrotum = extractor.linker.link_text("Scrotum", "DISEASE")
    assert scrotum is None or "eponym" not in scrotum.rule, scrotum


def test_bleeding_links_to_the_side_effect_of_mesh_s_hemorrhage(extractor: Extractor) -> None:
    """MeSH's Hemorrhage (whose entry term is "Bleeding") goes to Hetionet's side
    effect "Haemorrhage" by name, so an operative note's bleeding is that node,
    not the nearest string "oral bleeding"."""
    m = _mentions(extractor, "Bleeding was controlled with electrocautery.")
    node, rule, fact = m["Bleeding"]
    assert node == "C0019080", m
    assert fact and "fuzzy" not in rule


def test_an_abbreviation_defined_in_the_text_means_its_long_form(extractor: Extractor) -> None:
    """ "contrast media-induced nephropathy (CIN)": the long form links through
    its head (kidney disease), and every CIN of the text with it, before what the
    letters name elsewhere (cervical intraepithelial neoplasia); BC5CDR devel
    has 14 such mentions (CIN, PTLD, CVA; docs/results.md)."""
    text = (
        "Contrast media-induced nephropathy (CIN) is common after angiography. "
        "CIN was seen in 12 children."
    )
    (doc,) = extractor.extract([NoteInput("cin", text)])
    cins = [m for m in doc.mentions if m.text == "CIN"]
    nephropathy = next(m for m in doc.mentions if m.text == "nephropathy")
    assert len(cins) == 2 and {m.node_id for m in cins} == {nephropathy.node_id}, cins
    assert all(m.link_rule.startswith("abbreviation defined in text; ") for m in cins)
    assert _mentions(extractor, "CIN 2 on the cervical biopsy.")["CIN"][0] != nephropathy.node_id


def test_words_that_name_the_patient_s_own_disease_or_a_procedure_are_no_facts(
    extractor: Extractor,
) -> None:
    """ "his disease burden" refers back to the patient's disease, which the
    Disease Ontology's root says nothing about; "fine needle aspiration" is a
    biopsy, not aspiration into the airway (not_names.tsv, not_mentions.tsv)."""
    m = _mentions(extractor, "Given his disease burden, surgery was advised.")
    assert "disease" not in m, m
    text = "Nodules benign by fine needle aspiration. Recurrent aspiration."
    (doc,) = extractor.extract([NoteInput("fna", text)])
    found = [m.start for m in doc.mentions if "aspiration" in m.text.lower()]
    assert found == [text.rindex("aspiration")], doc.mentions


def test_a_formula_or_ion_links_to_the_chemical_it_names(extractor: Extractor) -> None:
    """ "KCl", "K+", "Ca(2+)": inorganic nomenclature gives the names the
    vocabularies list; an all-capital acronym ("HF", "NO") and a bare
    one-letter symbol are left to the abbreviations (chemical_formulas)."""
    assert next(formula_names("KCl")) == "potassium chloride"
    assert next(formula_names("CaCl2")) == "calcium chloride"
    assert next(formula_names("NH4Cl")) == "ammonium chloride"
    assert next(formula_names("MgSO4")) == "magnesium sulfate"
    assert next(formula_names("NH3")) == "ammonia"
    assert list(formula_names("CO2")) == ["carbon dioxide"]
    assert next(formula_names("HCl")) == "hydrochloric acid"
    for ion in ("K+", "K(+)", "[K(+)](i", "2K(+"):
        assert list(formula_names(ion)) == ["potassium"], ion
    assert list(formula_names("Cl(-)")) == ["chlorine", "chloride"]
    for text in ("HF", "NO", "CO", "K", "P", "T", "E2", "5-HT6", "Xy2", "MS", "C02", "S-",
                 "P100", "B35"):  # fmt: skip
        assert list(formula_names(text)) == [], text
    assert without_salt("bupropion HCl") == "bupropion"
    assert without_salt("warfarin sodium") == "warfarin"
    assert without_salt("sodium") is None and without_salt("aspirin") is None

    doc = extractor.nlp.make_doc("Serum K+ fell after KCl was stopped.")
    for start, end, name in ((6, 8, "potassium"), (20, 23, "potassium chloride")):
        link = extractor.linker.link(doc.char_span(start, end, label="CHEMICAL"), {})
        assert link is not None and link.entry.name.lower() == name, link
        assert f"formula '{name}'" in link.rule
    for text in ("KCl", "Ca(2+)"):  # only for a span the NER calls a chemical
        found = extractor.linker.link_text(text, "DISEASE")
        assert found is None or "formula" not in found.rule, found


def test_a_mention_defines_the_abbreviation_bracketed_after_it(extractor: Extractor) -> None:
    """ "phenobarbital (PB: 15 mg)", "potassium (K)", "alpha-tocopherol
    (alpha-TC)": a recognised mention followed by a bracketed short form defines
    it for the rest of the text, where scispaCy's detector (letters in order, the
    bracket closing after it) finds nothing; a brand name, a route or a
    statistic in brackets defines nothing."""
    from spacy.tokens import Span

    text = (
        "Rats got phenobarbital (PB: 15 mg) and potassium (K) with alpha-tocopherol "
        "(alpha-TC). PB raised K; alpha-TC did not. Aspirin (Bayer) and morphine (SC) "
        "were given (n = 4). Bayer and SC are noted."
    )
    doc = extractor.nlp(text)
    ents = []
    for word in ("phenobarbital", "PB", "potassium", "K", "alpha-tocopherol", "alpha-TC",
                 "Aspirin", "Bayer", "morphine", "SC"):  # fmt: skip
        start = 0
        while (at := text.find(word, start)) >= 0:
            span = doc.char_span(at, at + len(word), label="CHEMICAL")
            clash = span is None or any(span.start < e.end and e.start < span.end for e in ents)
            if not clash:
                ents.append(span)
            start = at + len(word)
    doc.ents = sorted(ents, key=lambda s: s.start)
    defined = defined_abbreviations(doc)
    by_text: dict[str, set[str]] = {}
    for (s, e), lf in defined.items():
        by_text.setdefault(doc[s:e].text, set()).add(lf.text)
    assert by_text == {
        "PB": {"phenobarbital"},
        "K": {"potassium"},
        "alpha-TC": {"alpha-tocopherol"},
    }, by_text
    assert sum(doc[s:e].text == "PB" for s, e in defined) == 2  # the definition and the use
    # a short form that names a node of its kind as written keeps it ("K" is not
    # spelled out in "potassium"), unless the long form spells it out ("PB")
    kept = defined_abbreviations(doc, lambda text, label: text in ("K", "PB"))
    assert {doc[s:e].text for s, e in kept} == {"PB", "alpha-TC"}
    # unless the long form spells it out, letters in order (Schwartz & Hearst)
    assert spelled_out("MDS", "myelodysplastic syndrome") and spelled_out("PB", "phenobarbital")
    assert not spelled_out("DFP", "diisopropyl phosphorofluoridate")
    assert not spelled_out("K", "potassium")
    pb = next(Span(doc, s, e, "CHEMICAL") for s, e in defined if doc[s:e].text == "PB")
    link = extractor.linker.link(pb, defined)
    assert link is not None and link.entry.node_id == "DB01174" and link.via == "phenobarbital"
    assert link.rule.startswith("abbreviation defined in text")
    assert looks_like_short_form("CsA", "cyclosporin A")
    assert looks_like_short_form("K", "potassium")  # an element's symbol
    assert not looks_like_short_form("Tylenol", "acetaminophen")
    assert not looks_like_short_form("iv", "morphine")
    assert not looks_like_short_form("SC", "morphine")  # no letter of it


def test_a_one_letter_slip_in_a_long_word_links_to_the_word(extractor: Extractor) -> None:
    """ "apomophine", "5 flourouracil": one letter off a long word is a typing
    error, below the 3-gram threshold; a letter in a short code ("HCV" for
    "CMV") or a digit ("IL-10") is another concept."""
    assert one_letter_apart("apomophine", "apomorphine")  # deleted
    assert one_letter_apart("procyclindine", "procyclidine")  # inserted
    assert one_letter_apart("5 flourouracil", "5 fluorouracil")  # swapped
    assert one_letter_apart("antipurine", "antipyrine")  # substituted
    assert not one_letter_apart("hcv infection", "cmv infection")
    assert not one_letter_apart("hcv infection", "hmv infection")  # a code's letter
    assert not one_letter_apart("renak failure", "renal failure")  # a five-letter word
    assert one_letter_apart("renal failrue", "renal failure")  # its seven-letter neighbour
    assert not one_letter_apart("il 10 deficiency", "il 12 deficiency")  # a digit
    assert not one_letter_apart("tobramicyn", "tobramycin")  # two letters
    found = extractor.linker.link_text("methotrexte", "CHEMICAL")
    assert found is not None and found.entry.node_id == "DB00563", found
    assert "one letter from" in found.rule
    assert extractor.linker.link_text("methotrexte", "GENE") is None
    assert extractor.linker.fuzzy.one_edit("methotrexte", "DISEASE") is None  # not a drug
    assert extractor.linker.fuzzy.one_edit("methotrexates", "CHEMICAL") is None  # a plural


def test_a_type_written_before_its_noun_is_tried_after_it() -> None:
    """ "type B hepatitis" is hepatitis B, not the head "hepatitis" (which BC5CDR's
    learned names read as drug-induced liver injury)."""
    assert ("hepatitis B", "type after its noun") in list(spellings("Type B hepatitis"))
    assert ("allergy type I", "type after its noun") in list(spellings("type I allergy"))
    assert not any(how == "type after its noun" for _, how in spellings("typed notes"))


def test_a_complement_is_read_before_its_head(extractor: Extractor) -> None:
    """ "cancer of the breast" is breast cancer, "loss in body weight" weight loss
    before the complement's own words ("body weight"): the complement put first
    and the words before the preposition are tried before the text's last
    words ("duration of catatonia" is still catatonia)."""
    assert complement_first("prolongation of the QT interval") == "QT interval prolongation"
    assert complement_first("Chronic infection with hepatitis C virus") == (
        "Chronic hepatitis C virus infection"
    )
    assert complement_first("disease due to adenovirus") is None  # a cause
    assert next(heads("loss in body weight"))[0] == "weight loss"
    assert next(heads("pain secondary to trauma"))[0] == "pain"
    assert [v for v, _ in heads("duration of catatonia")] == ["duration", "catatonia"]
    assert [v for v, _ in heads("postoperative delirium")] == ["delirium"]
    # nor down to a chemical's class word
    assert not {"drugs", "drug", "acid"} & {v for v, _ in heads("beta-adrenergic blocking drugs")}
    assert "acid" not in {v for v, _ in heads("bile acid")}
    found = extractor.linker.link_text("cancer of the breast", "DISEASE")
    assert found is not None and found.entry.node_id == "DOID:1612", found
    assert "complement first" in found.rule


def test_adjectives_and_changes_are_tried_as_the_nouns_vocabularies_use() -> None:
    """ "blind", "dizzy", "painful", "paralyzed", "myelodysplastic" as the
    condition's noun; a change written as a noun ("QT interval prolongation",
    "liver enlargement") as the phenotype's participle in front."""
    forms = {
        "blind": "blindness", "dizzy": "dizziness", "painful": "pain",
        "paralyzed": "paralysis", "myelodysplastic": "myelodysplasia",
    }  # fmt: skip
    for word, noun in forms.items():
        assert (noun, "word form") in list(spellings(word)), word
    variants = [v for v, _ in spellings("prolongation of the QT interval")]
    assert variants[:2] == ["QT interval prolongation", "prolonged QT interval"]
    assert ("enlarged liver", "change as adjective") in list(spellings("liver enlargement"))
    assert not any(how == "change as adjective" for _, how in spellings("increase"))


def test_the_nearest_string_keeps_the_text_s_numbers(extractor: Extractor) -> None:
    """ "PGE(2)" is PGE2 (dinoprostone), never "PGE 1" (alprostadil) at a 0.93
    3-gram cosine: a name with a number the text lacks is another concept; a
    name may leave out the text's locants."""
    assert other_numbers("pge 2", "pge 1") and other_numbers("type 2 diabetes", "type 1 diabetes")
    assert not other_numbers("3 methylcholanthrene", "methylcholanthrene")
    assert not other_numbers("hiv 1 infection", "hiv infection")
    assert not other_numbers("benzylacyclouridine", "5 benzylacyclouridine")  # adds_words' case
    assert ("PGE2", "number unbracketed") in list(spellings("PGE(2)"))
    found = extractor.linker.link_text("PGE(2)", "CHEMICAL")
    assert found is not None and found.entry.node_id == "DB00917", found  # dinoprostone
    assert extractor.linker.fuzzy.link("PGE 2", "CHEMICAL") is None  # not alprostadil


def test_a_text_defines_its_short_forms_against_the_dictionary(extractor: Extractor) -> None:
    """"Cyclophosphamide (CP)": every later CP is the drug, not the curated
    abbreviation of chest pain the dictionary matched; "bone mineral density
    (BMD)" is no Becker muscular dystrophy (decision 0053)."""
    text = (
        "Cyclophosphamide (CP) causes hemorrhagic cystitis in rats. After CP, bladder "
        "weight rose. Trabecular bone mineral density (BMD) fell; BMD was measured again."
    )
    (doc,) = extractor.extract([NoteInput("t", text)])
    cp = [m for m in doc.mentions if m.text == "CP"]
    assert len(cp) == 2 and {m.node_id for m in cp} == {"DB00531"}
    assert all(m.node_label == "Drug" for m in cp)
    assert all(m.link_rule.startswith("abbreviation defined in text") for m in cp)
    assert not [m for m in doc.mentions if m.text == "BMD"]
    # a definition that rewords the matched node's name keeps it: iNOS is NOS2
    m = _mentions(extractor, "Inducible nitric oxide synthase (iNOS) rose; iNOS fell.")
    assert m["iNOS"][0] == "4843"
    # without the definition the letters keep their dictionary sense
    m = _mentions(extractor, "Denies CP. BMD diagnosed at age 5.")
    assert m["CP"][1] == "curated abbreviation"
    assert "BMD" in m


def test_two_letters_of_an_ontology_synonym_link_no_condition(extractor: Extractor) -> None:
    """ "SD rats" are Sprague-Dawley, "NS" saline: two letters that an ontology
    lists as a disease's synonym are not linked where the text does not define
    them; curated abbreviations and longer symbols still are, and a text's own
    definition links the letters through it (decision 0055)."""
    m = _mentions(extractor, "SD rats received NS. CS was given. MI in 2019; SLE since 2001.")
    assert not {"SD", "NS", "CS"} & set(m), m
    assert m["MI"] == ("DOID:5844", "curated abbreviation", True)
    assert m["SLE"][0] == "DOID:9074" and m["SLE"][1].startswith("symbol")
    (doc,) = extractor.extract([NoteInput("t", "Nephrotic syndrome (NS) developed; NS resolved.")])
    ns = [x for x in doc.mentions if x.text == "NS"]
    assert len(ns) == 2 and {x.node_id for x in ns} == {"DOID:1184"}
    assert all(x.link_rule.startswith("abbreviation defined in text") for x in ns)


def test_processes_measures_and_back_references_are_no_conditions(
    store: EmbeddedStore,
) -> None:
    """SIDER's Apoptosis and Mean arterial pressure, MeSH's Body Weight and the
    Disease Ontology's grouping class "syndrome" are names, but a text's
    "apoptosis of cardiomyocytes", "body weight" and "the syndrome" state no
    condition of the patient: in BC5CDR devel they formed only wrong drug-disease
    pairs (not_names.tsv, decision 0054). Conditions beside them keep their names."""
    store.import_nodes("SideEffect", [
        {"id": "C0162638", "name": "Apoptosis"},
        {"id": "C0428886", "name": "Mean arterial pressure"},
        {"id": "C0038435", "name": "Stress"},
    ])  # fmt: skip
    store.import_nodes("Symptom", [{"id": "D001835", "name": "Body Weight"}])
    store.import_nodes("Disease", [
        {"id": "DOID:225", "name": "syndrome", "synonyms": ["syndromes"]},
        {"id": "DOID:0111415", "name": "trichohepatoenteric syndrome 1",
         "synonyms": ["the syndrome", "THE1"]},
        {"id": "DOID:0080410", "name": "familial adenomatous polyposis 2",
         "synonyms": ["MAP", "FAP2"]},
        {"id": "DOID:0050824", "name": "sinoatrial node disease", "synonyms": ["SA node"]},
    ])  # fmt: skip
    lex = Lexicon.from_store(store)
    for name in ("apoptosis", "mean arterial pressure", "body weight", "syndrome",
                 "syndromes", "the syndrome"):  # fmt: skip
        assert name not in lex.names, name
    assert [e.node_id for e in lex.names["stress"]] == ["C0038435"]
    # "MAP" is mean arterial pressure, "SA node" anatomy (not_symbols, not_names)
    assert "MAP" not in lex.symbols and "FAP2" in lex.symbols and "sa node" not in lex.names
    found = lex.lookup("trichohepatoenteric syndrome 1")
    assert found is not None and found.node_id == "DOID:0111415"
    # oxidative stress is a state of tissue, not stress suffered; a steroid-eluting
    # pacing lead is a device, not a steroid given (not_mentions.tsv)
    store.import_nodes("Drug", [{"id": "D013256", "name": "Steroids", "synonyms": ["steroid"]}])
    lex = Lexicon.from_store(store)
    extractor = Extractor(None, store.settings, lexicon=lex)
    text = "Oxidative stress rose. She reports stress. A steroid diluted lead was placed."
    (doc,) = extractor.extract([NoteInput("t", text)])
    assert [(m.text, m.start) for m in doc.mentions] == [("stress", 35)]
    (doc,) = extractor.extract([NoteInput("t", "He is on a steroid.")])
    assert [m.node_id for m in doc.mentions] == ["D013256"]


def test_older_and_clinical_names_no_vocabulary_lists(store: EmbeddedStore) -> None:
    """"eserine" is physostigmine, "dysrhythmia" arrhythmia (clinical_names.tsv)."""
    store.import_nodes("Drug", [{"id": "DB00981", "name": "Physostigmine"}])
    store.import_nodes("Symptom", [{"id": "HP:0011675", "name": "Arrhythmia"}])
    lex = Lexicon.from_store(store)
    for text, node in [("eserine", "DB00981"), ("dysrhythmias", "HP:0011675"),
                       ("Dysrhythmia", "HP:0011675")]:  # fmt: skip
        found = lex.lookup(text)
        assert found is not None and found.node_id == node, text


def test_a_change_links_in_its_own_direction_only(extractor: Extractor) -> None:
    """ "decreased heart rate" was tachycardia (3-gram cosine 0.80 to "increased
    heart rate") and "decrease in blood pressure" hypertension (0.87): no
    nearest string or meaning links across a change's direction. A change
    noun reads as its participle, a participle as the other words of its
    direction ("a fall in blood pressure": low blood pressure), and "fall"
    before "in" or "of" is no fall (decision 0057)."""
    assert opposite_direction("decreased heart rate", "increased heart rate")
    assert opposite_direction("hypokalaemia", "hyperkalemia")
    assert not opposite_direction("decreased heart rate", "low heart rate")
    assert not opposite_direction("heart rate", "increased heart rate")  # adds_words' case
    assert "low blood pressure" in {v for v, _ in spellings("fall in blood pressure")}
    assert "fall" not in {v for v, _ in heads("fall in hemoglobin")}
    assert "fall" in {v for v, _ in heads("mechanical fall")}  # the event itself
    linker = extractor.linker
    hypotension = linker.link_text("decrease in blood pressure", "DISEASE")
    assert hypotension is not None and "hypotens" in hypotension.entry.name.lower()
    slow = linker.link_text("decreased heart rate", "DISEASE")
    assert slow is not None and slow.entry.name == "Bradycardia"
    for text in ("decreased heart rate", "decrease in blood pressure", "reduced appetite"):
        found = linker.fuzzy.link(text, "DISEASE")
        assert found is None or not opposite_direction(text, found[0].entry.name), text
    # HPO's Falls (this graph has no side effect "Fall" to name the singular)
    text = "There were falls in blood pressure. She has had falls at home."
    (doc,) = extractor.extract([NoteInput("t", text)])
    assert [(m.start, m.node_id) for m in doc.mentions] == [(text.rindex("falls"), "HP:0002527")]


def test_a_fall_of_a_measure_or_of_the_year_is_no_fall(store: EmbeddedStore) -> None:
    """The dictionary matches SIDER's "Fall" (tied to HPO's Falls in the full
    graph): "a fall in blood pressure" and "last fall" name no fall, "a fall
    at home" does."""
    store.import_nodes("SideEffect", [{"id": "C0085639", "name": "Fall"}])
    extractor = Extractor(None, store.settings, lexicon=Lexicon.from_store(store))
    text = "A fall in blood pressure followed. A tumor was found last fall. She had a fall at home."
    (doc,) = extractor.extract([NoteInput("t", text)])
    assert [(m.start, m.node_id) for m in doc.mentions] == [(text.rindex("fall"), "C0085639")]
