"""The scispaCy pipeline: tokenizer, sentences, entities, abbreviations, context, linking.

Components, in order: scispaCy's ``combined_rule_tokenizer``; a sentencizer (or
the parser of a pretrained model); an entity ruler built from the graph's names
(:mod:`lexicon`); a pretrained NER when ``MEDKG_NER_MODEL`` names an installed
spaCy package or a trained model folder; scispaCy's ``AbbreviationDetector``; and
the ConText component (:mod:`context`). Every mention is linked to a node id
(exact name/synonym first, then character n-grams) or dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import spacy
from scispacy.abbreviation import AbbreviationDetector  # noqa: F401  (registers the factory)
from scispacy.custom_tokenizer import combined_rule_tokenizer
from spacy.language import Language
from spacy.tokens import Doc

from medkg import __version__
from medkg.kg.extract import context  # noqa: F401  (registers medkg_context)
from medkg.kg.extract.lexicon import NER_LABEL, Entry, FuzzyLinker, Lexicon
from medkg.kg.extract.model import ExtractedDocument, Mention, NoteInput
from medkg.kg.extract.privacy import mask_identifiers
from medkg.kg.store.base import GraphStore
from medkg.settings import Settings

EXTRACTOR_NAME = "medkg-scispacy-rules"
EXTRACTOR_VERSION = f"{__version__}+spacy{spacy.__version__}"

CONF_EXACT = 0.95
CONF_DEFINED_ABBREVIATION = 0.9
CONF_CURATED_ABBREVIATION = 0.8
CONF_MODEL = 0.85


def build_nlp(lexicon: Lexicon, ner_model: str | None = None) -> Language:
    nlp = spacy.load(ner_model) if ner_model else spacy.blank("en")
    nlp.tokenizer = combined_rule_tokenizer(nlp)
    if "parser" not in nlp.pipe_names and "senter" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer", first=True)
    ruler_opts = {"phrase_matcher_attr": "LOWER", "overwrite_ents": True}
    where = {"before": "ner"} if "ner" in nlp.pipe_names else {}
    ruler = nlp.add_pipe("entity_ruler", config=ruler_opts, **where)
    patterns = [
        {"label": NER_LABEL[e.label], "pattern": key, "id": f"{e.label}|{e.node_id}"}
        for key, e in lexicon.names.items()
    ]
    patterns += [
        {"label": "GENE", "pattern": [{"ORTH": sym}], "id": f"Gene|{e.node_id}"}
        for sym, e in lexicon.gene_symbols.items()
    ]
    patterns += [
        {
            "label": NER_LABEL[e.label],
            "pattern": [{"ORTH": abbr}],
            "id": f"{e.label}|{e.node_id}|abbr",
        }
        for abbr, e in lexicon.abbreviations.items()
    ]
    ruler.add_patterns(patterns)
    nlp.add_pipe("abbreviation_detector")
    nlp.add_pipe("medkg_context")
    return nlp


class Extractor:
    """Extract linked, context-flagged mentions from notes; no graph writes here."""

    def __init__(self, store: GraphStore, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.lexicon = Lexicon.from_store(store)
        self.linker = FuzzyLinker(self.lexicon, self.settings.link_threshold)
        self.nlp = build_nlp(self.lexicon, self.settings.ner_model)

    def extract(
        self, notes: Iterable[NoteInput], n_process: int = 1, batch_size: int = 32
    ) -> Iterator[ExtractedDocument]:
        notes = list(notes)
        texts = (n.text for n in notes)
        for note, doc in zip(
            notes, self.nlp.pipe(texts, n_process=n_process, batch_size=batch_size), strict=True
        ):
            yield self._to_document(note, doc)

    def _to_document(self, note: NoteInput, doc: Doc) -> ExtractedDocument:
        sents = list(doc.sents)
        sent_index = {s.start: i for i, s in enumerate(sents)}
        abbr_long = {(a.start, a.end): a._.long_form for a in doc._.abbreviations}
        mentions = []
        for ent in doc.ents:
            linked = self._link(ent, abbr_long)
            if linked is None:
                continue
            entry, confidence, via = linked
            mentions.append(
                Mention(
                    text=ent.text, start=ent.start_char, end=ent.end_char,
                    sentence_index=sent_index[ent.sent.start], ner_label=ent.label_,
                    node_label=entry.label, node_id=entry.node_id, confidence=confidence,
                    negated=ent._.negated, hypothetical=ent._.hypothetical,
                    historical=ent._.historical, family=ent._.family, via_abbreviation=via,
                )
            )  # fmt: skip
        return ExtractedDocument(
            doc_id=note.doc_id,
            sha256=note.sha256,
            sentences=[mask_identifiers(s.text) for s in sents],
            mentions=mentions,
            text=note.text if self.settings.store_note_text else None,
        )

    def _link(self, ent, abbr_long) -> tuple[Entry, float, str | None] | None:  # type: ignore[no-untyped-def]
        long_form = abbr_long.get((ent.start, ent.end))
        if long_form is not None:  # defined in this text: link the long form
            entry = self.lexicon.lookup(long_form.text)
            if entry is not None:
                return entry, CONF_DEFINED_ABBREVIATION, long_form.text
        if ent.ent_id_:
            label, node_id, *flag = ent.ent_id_.split("|")
            entry = Entry(label, node_id, ent.text)
            if flag:
                return entry, CONF_CURATED_ABBREVIATION, ent.text
            return entry, CONF_EXACT, None
        entry = self.lexicon.lookup(ent.text)
        if entry is not None:
            return entry, CONF_MODEL, None
        fuzzy = self.linker.link(ent.text)
        if fuzzy is not None:
            return fuzzy[0], round(CONF_MODEL * fuzzy[1], 3), None
        return None
