"""The scispaCy pipeline: tokenizer, sentences, entities, abbreviations, context, linking.

Components, in order: scispaCy's ``combined_rule_tokenizer``; a sentencizer (or
the parser of a pretrained model); the dictionary matcher over the graph's
names and symbols (:mod:`.matcher`, :mod:`.lexicon`); a statistical NER - the
one ``MEDKG_NER_MODEL`` names (an installed scispaCy package or a folder), else
the one ``medkg train ner`` built - which finds mentions the names miss;
scispaCy's ``AbbreviationDetector``; and the ConText component
(:mod:`.context`). Every mention is linked to a node id (:mod:`.linking`); a
mention that links to nothing is dropped, or becomes a new node flagged
``extracted`` when ``MEDKG_CREATE_UNLINKED`` is set. Relations between a
sentence's affirmed mentions come from :mod:`.relations`.

The extractor version written on every fact names the model files it used (a
short content hash) and the lexicon it linked with, so training a new NER or
classifier, or importing new vocabularies, makes the next ingest re-extract
documents instead of calling them unchanged.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import re
import sys
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import spacy
from scispacy.abbreviation import AbbreviationDetector  # noqa: F401  (registers the factory)
from scispacy.custom_tokenizer import combined_rule_tokenizer
from spacy.language import Language
from spacy.tokens import Doc

from medkg import __version__
from medkg.artifacts import ModelFiles, resolve_ner_model
from medkg.kg.store.base import GraphStore
from medkg.nlp import (  # noqa: F401  (register the medkg_* components)
    allergies,
    context,
    measurements,
    medication_status,
    sections,
    sentences,
)
from medkg.nlp.defined_abbreviations import defined_abbreviations
from medkg.nlp.dense_names import META_FILE as DENSE_META
from medkg.nlp.dense_names import DenseNames
from medkg.nlp.documents import (
    EXTRACTOR_NAME,
    ExtractedDocument,
    ExtractedRelation,
    Mention,
    NoteInput,
)
from medkg.nlp.learned_names import LearnedNames
from medkg.nlp.lexicon import Entry, Lexicon
from medkg.nlp.linking import RULE_MEANING, Link, Linker
from medkg.nlp.matcher import FACTORY as MATCHER
from medkg.nlp.privacy import mask_identifiers
from medkg.nlp.relations.cid import CidClassifier, PairScorer
from medkg.nlp.relations.cid_models import FINETUNED
from medkg.nlp.relations.document_cid import CHEMICAL, DISEASE, DocumentCid, EntityMention
from medkg.nlp.relations.document_ensemble import DocumentCidEnsemble
from medkg.nlp.relations.finetuned import CONFIG_FILE, FineTunedEncoder
from medkg.nlp.relations.hypernyms import drop_ancestors, parent_hierarchy
from medkg.nlp.relations.known_findings import finding_known
from medkg.nlp.relations.known_treatments import treated_node
from medkg.nlp.relations.rules import DRUG, GRAPH_CHECKED, PROBLEM, SpanRef, find_relations
from medkg.nlp.sections import Section
from medkg.nlp.stopping import StopCheck
from medkg.settings import Settings

if TYPE_CHECKING:  # the component module loads torch: only when a model needs it
    from medkg.nlp.ner.component import TransformerNer

#: Code version; an :class:`Extractor` appends the hashes of the models it loaded.
#: Raised whenever :func:`set_tokenizer` cuts text differently (2: the slash
#: between words; 3: every hyphen between words, and the brackets of a word
#: before one; 4: a full stop and comma between words; 5: and a closing
#: bracket before them, or a digit after them), so that notes are
#: re-extracted with the new tokens.
TOKENIZER_REVISION = 5
#: Raised whenever the linker's rules change what a span links to while the
#: lexicon stays the same (its fingerprint is in the version already; 1: a
#: learned drug-induced name needs a chemical in the sentence, decision 0035;
#: 2: an organ's noun reads as its adjective, "prostate hypertrophy", decision 0038;
#: 3: the nearest string names no narrower concept, "Parkinson's" is an eponym,
#: decision 0050; 4: a defined abbreviation's long form links through its
#: spellings or head before the letters' own names; 5: "decreased renal
#: function" is renal insufficiency, "edematous" edema; 6: "Parkinson" alone is
#: tried as "Parkinson's disease"; 7: a mention defines the short form
#: bracketed after it, formulas and ions, a drug without its salt, a one-letter
#: slip, "type B hepatitis", "cancer of the breast", "blind", "QT interval
#: prolongation", no head a chemical's class word, the nearest string keeps the
#: text's numbers, decision 0051; 8: a short form the text defines as a node of
#: another kind links there, one whose long form names nothing loses its
#: dictionary sense, decision 0053; 9: an undefined two-character ontology
#: symbol of a condition is not linked, decision 0055; 10: no nearest string or
#: meaning across a change's direction, "a fall in blood pressure" is no fall,
#: decision 0057, a span cut after "of" is no narrower name's subset, a word
#: begun otherwise is no spelling, decision 0050; the
#: lexicon's own rules, such as a side effect's participle read first, are in
#: its fingerprint).
LINKER_REVISION = 10
#: Raised whenever the assertion context (:mod:`.context`) flags mentions
#: differently (1: a trigger inside another entity's name is no cue; 2: what a
#: consent paragraph lists as risks or potential complications is hypothetical;
#: 3: over the list's semicolons, and "but not limited to" is no cue; 4: a
#: section heading flags the mentions under it and is no mention, a numbered
#: list stays in its cue's scope, a cause or a new clause ends one, "etc." before
#: a lower-case word ends no sentence; decision 0042; 5: a measured substance,
#: "creatinine 1.1", is no fact, and procedure materials are no drugs; decision 0044;
#: 6: what care avoids or a step prevents is hypothetical, decision 0037;
#: 7: a gene's protein named as a laboratory test, "PSA 4.5", is measured;
#: 8: "risk for", "possibility of" open a hypothetical, "without difficulty"
#: and "not helped with" negate nothing, decision 0037; 9: a drug under an
#: allergies heading or after "allergic to" is an allergen, no fact, decision
#: 0047; "p.r.n. pain" and "X versus Y" are hypothetical, "talked to the
#: mother" no family cue, decision 0037; 10: a drug the note says was stopped,
#: "taken off Plavix", is discontinued, decision 0048; "question of X" is
#: hypothetical; "started" ends a cue's scope; 11: "We have discussed bleeding,
#: infection..." is hypothetical, decision 0050; "kept on Fortaz, and switched
#: over to ciprofloxacin" stops Fortaz, decision 0048; "since" ends a cue's scope;
#: "without" reaches only the next chemical; "pain free" negates the pain; what
#: is checked for is hypothetical).
CONTEXT_REVISION = 11
EXTRACTOR_VERSION = (
    f"{__version__}+spacy{spacy.__version__}+tok{TOKENIZER_REVISION}+link{LINKER_REVISION}"
    f"+ctx{CONTEXT_REVISION}"
)
#: NER label -> graph label for mentions that become new nodes.
UNLINKED_LABEL = {"DISEASE": "Disease", "CHEMICAL": "Drug", "GENE": "Gene", "SYMPTOM": "Symptom"}
CONF_UNLINKED = 0.5
#: Mentions linked between two checks of a stop check (a check is one clock read).
STOP_EVERY = 256
#: A hyphen between letters or digits splits the token ("amiodarone-induced",
#: "arthralgia-myalgia", "5-fluorouracil"): BC5CDR and NCBI-disease cut every
#: such hyphen, so the NER is trained on these tokens, and each part of a
#: hyphenated pair can be a mention of its own. Name matching is unaffected
#: (a name's key reads a hyphen as a space), as are symbols ("IL-6" is rebuilt
#: from its tokens).
_HYPHEN = r"(?<=[A-Za-z0-9)\]])-(?=[A-Za-z0-9(\[])"
#: "asthma.,FAMILY HISTORY:", "Anemia.,3.": where a note's line breaks were
#: flattened to commas, what follows a line's last word: maybe its stop (or
#: colon, semicolon), the comma, and the next line's first character. The
#: splits below that cut such joins share it (decision 0042).
_NEXT_WORD = r"[A-Za-z0-9(\[]"
_LINE_BREAK_AHEAD = rf"[.;:]?,{_NEXT_WORD}"
#: "methamphetamine (METH)-induced": scispaCy keeps a bracket on a word that
#: goes on after it ("(+)-pentazocine", "[3H]nicotine"), so "(METH)" was one
#: token and the abbreviation detector never saw METH defined. A bracketed
#: word (letters or digits at both ends) before a hyphen or a flattened line
#: break ("(PSA).,PLAN") is cut out: its opening bracket becomes a prefix
#: (scispaCy's rule, exact text, gets a first alternative; each prefix rule is
#: anchored with ``^``), its closing one an infix (:data:`_CLOSE_BRACKET`).
#: What may follow a bracketed word that is cut out.
_CUT_BEFORE = rf"(?:-|{_LINE_BREAK_AHEAD})"
_BRACKETED_WORD_CUT = (
    (r"\((?![^\(\s]+\)\S+)",
     rf"\((?=[A-Za-z0-9][^\(\s]*[A-Za-z0-9]\){_CUT_BEFORE})|^\((?![^\(\s]+\)\S+)"),
    (r"\[(?![^\[\s]+\]\S+)",
     rf"\[(?=[A-Za-z0-9][^\[\s]*[A-Za-z0-9]\]{_CUT_BEFORE})|^\[(?![^\[\s]+\]\S+)"),
)  # fmt: skip
#: A closing bracket after two letters or digits, before a hyphen ("(METH)-")
#: or a flattened line break ("(gastrocutaneous fistula).,POSTOPERATIVE": an
#: infix split leaves its pieces unsearched for suffixes, so "fistula)" had
#: stayed one token).
_CLOSE_BRACKET = r"(?<=[A-Za-z0-9]{2})[)\]](?=-[A-Za-z0-9]|" + _LINE_BREAK_AHEAD + ")"
#: "digitalis- and pilocarpine-induced": the first drug ends at its hyphen.
_DANGLING_HYPHEN = r"(?<=[A-Za-z]{3})-$"
#: A slash between two words of three letters or more ("urticaria/angioedema",
#: "nausea/vomiting", "ergotamine/caffeine") joins two concepts, each its own
#: mention; units ("mg/kg") and "and/or" stay whole.
_WORD_SLASH = r"(?<=[A-Za-z]{3})/(?=[A-Za-z]{3})"
#: A flattened line break glued a line's last word, its full stop, the comma
#: and the next line's first word into one token (MTSamples: 2,258 joins
#: before a heading, "asthma.,FAMILY", and 530 before a numbered list's next
#: number, "Anemia.,3.", in 318 reports), so neither word could be a mention.
#: The stop (or colon, semicolon) and the comma each become a token; "1,000"
#: and "1.5,2.5" stay whole (decision 0042).
_STOP_COMMA = rf"(?<=[A-Za-z0-9)\]])[.;:](?=,{_NEXT_WORD})|(?<=[.;:)\]]),(?={_NEXT_WORD})"

# scispaCy's AbbreviationDetector builds a matcher without patterns, and spaCy's
# tokenizer regex trips a FutureWarning on Python 3.11: both are noise for users.
warnings.filterwarnings("ignore", message=r"\[W036\]")
warnings.filterwarnings("ignore", message="Possible set union", category=FutureWarning)


def set_tokenizer(nlp: Language) -> Language:
    """scispaCy's tokenizer, plus a split at a hyphen between words
    ("arthralgia-myalgia" -> "arthralgia", "-", "myalgia"), after a word's
    dangling hyphen ("digitalis- and ..."), around a bracketed word before a
    hyphen ("(METH)-induced") or a flattened line break, at a slash between
    words ("urticaria/angioedema"), and between a full stop and a comma before
    a word ("asthma.,FAMILY", "Anemia.,3."). scispaCy keeps these whole, so neither part
    could be a mention of its own, and the NER's training corpora cut them
    (decisions 0030, 0031, 0042). These are the extractor's tokens, which benchmarks
    of its parts must share."""
    nlp.tokenizer = combined_rule_tokenizer(nlp)
    infix = nlp.tokenizer.infix_finditer.__self__.pattern  # type: ignore[attr-defined]
    nlp.tokenizer.infix_finditer = re.compile(
        f"{_CLOSE_BRACKET}|{_HYPHEN}|{_WORD_SLASH}|{_STOP_COMMA}|{infix}"
    ).finditer
    suffix = nlp.tokenizer.suffix_search.__self__.pattern  # type: ignore[attr-defined]
    nlp.tokenizer.suffix_search = re.compile(f"{_DANGLING_HYPHEN}|{suffix}").search
    prefix = nlp.tokenizer.prefix_search.__self__.pattern  # type: ignore[attr-defined]
    for kept, cut in _BRACKETED_WORD_CUT:
        prefix = prefix.replace(kept, cut)
    nlp.tokenizer.prefix_search = re.compile(prefix).search
    return nlp


def text_pipeline(nlp: Language) -> Language:
    """A loaded pipeline (an NER model, or blank) made to read raw text the way
    the extractor does: its tokenizer, sentences, and the cap on a sentence's
    length. ``bench/ner_eval.py --pubtator`` scores an NER through it."""
    set_tokenizer(nlp)
    if "parser" not in nlp.pipe_names and "senter" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer", first=True)
    splitter = next(p for p in ("sentencizer", "senter", "parser") if p in nlp.pipe_names)
    nlp.add_pipe("medkg_sentence_cap", after=splitter)
    return nlp


def build_nlp(lexicon: Lexicon, ner_model: str | Path | None = None) -> Language:
    nlp = text_pipeline(spacy.load(ner_model) if ner_model else spacy.blank("en"))
    # The graph's names (case-insensitive) and symbols and abbreviations (exact
    # case: "MI" yes, "mi" no), before the statistical NER, which keeps them.
    where = {"before": "ner"} if "ner" in nlp.pipe_names else {}
    matcher = nlp.add_pipe(MATCHER, name="medkg_names", **where)
    matcher.lexicon = lexicon
    matcher.defer_to_ner = "ner" in nlp.pipe_names
    nlp.add_pipe("abbreviation_detector")
    nlp.add_pipe("medkg_sections")
    nlp.add_pipe("medkg_context")
    nlp.add_pipe("medkg_measurements")
    nlp.add_pipe("medkg_allergies")
    nlp.add_pipe("medkg_medication_status")
    return nlp


def graph_lexicon(store: GraphStore, settings: Settings) -> Lexicon:
    """The names the extractor links to: the graph's own, plus the names learned
    by ``medkg train linker`` for nodes this graph holds."""
    lexicon = Lexicon.from_store(store)
    learned = ModelFiles.of(settings).learned_names
    if learned.is_file():
        known = LearnedNames.load(learned).present_in(store)
        lexicon.learn(known.names, known.symbols)
    return lexicon


class Extractor:
    """Extract linked, context-flagged mentions from notes; no graph writes here."""

    def __init__(
        self,
        store: GraphStore | None,
        settings: Settings | None = None,
        *,
        lexicon: Lexicon | None = None,
    ) -> None:
        """``lexicon``: one built before by :func:`graph_lexicon` (a bulk engine
        builds it once and ships it to its workers, which then need no store)."""
        self.settings = settings or Settings()
        if lexicon is None:
            if store is None:
                raise ValueError("an extractor needs a graph store or a lexicon built from one")
            lexicon = graph_lexicon(store, self.settings)
        self.lexicon = lexicon
        files = ModelFiles.of(self.settings)
        learned = files.learned_names
        self.dense = _dense_names(files, self.settings)
        self.linker = Linker(
            self.lexicon, self.settings.link_threshold,
            self.dense, self.settings.dense_link_threshold,
        )  # fmt: skip
        self.ner_model = resolve_ner_model(self.settings)
        self.nlp = build_nlp(self.lexicon, self.ner_model)
        self.ner_runtime = _apply_ner_runtime(self.nlp, self.settings)
        self.classifier, self.cid_threshold, cid_tag = _cid_classifier(files, self.settings)
        self._is_ancestor = parent_hierarchy(self.lexicon.parents)
        parts = [EXTRACTOR_VERSION, "lex-" + self.lexicon.fingerprint()]
        if self.ner_model is not None:
            parts.append("ner-" + _model_tag(self.ner_model, self.nlp))
            if self.ner_runtime not in (None, "torch"):
                parts.append(str(self.ner_runtime))
            if self.ner_runtime == "onnx-int8" and self.settings.ner_recheck_margin > 0:
                parts.append(f"recheck{self.settings.ner_recheck_margin:g}")
        if cid_tag:
            parts.append(cid_tag)
        if learned.is_file():
            parts.append("names-" + _digest(learned.read_bytes()))
        if self.dense is not None:
            parts.append("dense-" + self.dense.digest())
        if self.settings.create_unlinked:
            parts.append("unlinked")
        if not self.settings.cid_known_treatments:
            parts.append("no-treats-veto")
        self.version = "+".join(parts)

    def forget_tagged(self) -> None:
        """Empty the NER's remembered chunk scores (``MEDKG_NER_CACHE_CHUNKS``):
        a benchmark that times the same notes again must tag them again."""
        from medkg.nlp.ner.runtime import tagger_members

        ner = _transformer_ner(self.nlp)
        if ner is not None:
            for member in tagger_members(ner.tagger):
                member.forget()

    def extract(
        self,
        notes: Iterable[NoteInput],
        n_process: int = 1,
        batch_size: int = 32,
        stop: StopCheck | None = None,
    ) -> Iterator[ExtractedDocument]:
        """Extract documents in input order; ``n_process > 1`` forks worker processes.

        ``stop`` (one process only) is checked between steps and raises
        :class:`~medkg.nlp.stopping.ExtractionStopped` when its budget is spent or
        its caller has gone (the API reading a patient's text).

        Why not ``nlp.pipe(n_process=...)``: spaCy ships Docs back between
        processes by serialising them, and scispaCy's abbreviation spans and the
        context flags do not serialise. Forked workers share this extractor
        (pipeline, lexicon, classifier) copy-on-write and return plain
        :class:`ExtractedDocument` objects instead.
        """
        if n_process <= 1:
            for batch in _chunks(notes, batch_size):
                yield from self.extract_batch(batch, stop=stop)
            return
        if stop is not None:
            raise ValueError("a stop check works in one process only")
        global _FORKED
        _FORKED = self
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(n_process, initializer=_init_worker) as pool:
            for docs in pool.imap(_extract_in_worker, _chunks(notes, batch_size)):
                yield from docs

    def link_texts(self, texts: list[str]) -> list[list[tuple[str, str]]]:
        """(label, node id) of every mention in each text, whatever its context flags.

        For texts that are not statements about a patient (trial criteria,
        queries), where "no history of X" still names X. One ``nlp.pipe`` pass
        over all texts: a trial file has thousands of short criteria, and a
        pipeline call per text costs far more than the texts themselves.
        """
        out: list[list[tuple[str, str]]] = []
        for start in range(0, len(texts), 256):
            notes = [NoteInput("-", t) for t in texts[start : start + 256]]
            out += [
                [(m.node_label, m.node_id) for m in doc.mentions]
                for doc in self.extract_batch(notes, relations=False)
            ]
        return out

    def extract_batch(
        self, notes: list[NoteInput], *, relations: bool = True, stop: StopCheck | None = None
    ) -> list[ExtractedDocument]:
        """One ``nlp.pipe`` pass over ``notes`` (the NER batches their sentences
        together); ``relations=False`` when only the mentions are wanted (their
        classifiers are the costly part after the NER). With ``stop``, the
        components run one at a time with a check between them."""
        texts = [n.text for n in notes]
        if stop is None:
            docs: Iterable[Doc] = self.nlp.pipe(texts, batch_size=len(notes))
        else:
            docs = self._pipe_checked(texts, stop)
        return [
            self._to_document(note, doc, relations, stop)
            for note, doc in zip(notes, docs, strict=True)
        ]

    def _pipe_checked(self, texts: list[str], stop: StopCheck) -> list[Doc]:
        """What ``nlp.pipe`` does, one component at a time, checking ``stop`` between."""
        stop.check()
        docs = [self.nlp.make_doc(t) for t in texts]
        for _name, proc in self.nlp.pipeline:
            stop.check()
            pipe = getattr(proc, "pipe", None)
            docs = list(pipe(docs, batch_size=len(docs))) if pipe else [proc(d) for d in docs]
        return docs  # the last component's time is checked by _to_document

    def _to_document(
        self, note: NoteInput, doc: Doc, relations: bool = True, stop: StopCheck | None = None
    ) -> ExtractedDocument:
        sents = list(doc.sents)
        sent_index = {s.start: i for i, s in enumerate(sents)}
        abbr_long = defined_abbreviations(doc, self.linker.names)
        mentions = []
        for k, ent in enumerate(doc.ents):
            if stop is not None and k % STOP_EVERY == 0:
                stop.check()
            linked = self.linker.link(ent, abbr_long)
            new_node = False
            if linked is None:
                if not self.settings.create_unlinked or ent.label_ not in UNLINKED_LABEL:
                    continue
                label = UNLINKED_LABEL[ent.label_]
                entry = Entry(label, unlinked_node_id(label, ent.text), ent.text)
                linked = Link(entry, CONF_UNLINKED, None, "unlinked: new node")
                new_node = True
            entry, confidence, via = linked.entry, linked.confidence, linked.via
            section = ent._.section
            if self._other_sense_here(entry.node_id, section):
                continue
            # a combination brand ("Percocet") names each of its ingredients
            entries, rule = (entry,), linked.rule
            if ingredients := self.lexicon.combination(ent.text):
                entries = ingredients
                rule = "combination brand: " + " + ".join(e.name or e.node_id for e in ingredients)
            for e in entries:
                mentions.append(
                    Mention(
                        text=ent.text, start=ent.start_char, end=ent.end_char,
                        sentence_index=sent_index[ent.sent.start], ner_label=ent.label_,
                        node_label=e.label, node_id=e.node_id, confidence=confidence,
                        negated=ent._.negated, hypothetical=ent._.hypothetical,
                        historical=ent._.historical, family=ent._.family, via_abbreviation=via,
                        new_node=new_node, link_rule=rule,
                        section=section.name if section else None,
                        measured=ent._.measured, allergen=ent._.allergen,
                        discontinued=ent._.discontinued,
                    )
                )  # fmt: skip
        if stop is not None:
            stop.check()
        found = self._relations(sents, mentions) if relations else []
        if stop is not None:
            stop.check()
        return ExtractedDocument(
            doc_id=note.doc_id,
            sha256=note.sha256,
            sentences=[mask_identifiers(s.text) for s in sents],
            mentions=mentions,
            relations=found,
            text=note.text if self.settings.store_note_text else None,
            extractor_version=self.version,
        )

    def _other_sense_here(self, node_id: str, section: Section | None) -> bool:
        """Whether the note's section gives the node's name another sense ("the
        wound" of an operative narrative is the incision, not SIDER's Wound)."""
        kinds = self.lexicon.not_in_sections.get(node_id)
        return bool(kinds and section is not None and section.kind in kinds)

    def _relations(self, sents: list, mentions: list[Mention]) -> list[ExtractedRelation]:  # type: ignore[type-arg]
        """Trigger rules (and a sentence-pair CID classifier) per sentence; a
        document CID model, when that is the classifier, over the whole note.
        Only affirmed mentions linked by name take part (:func:`_relation_ready`)."""
        document_model = (
            self.classifier
            if isinstance(self.classifier, DocumentCid | DocumentCidEnsemble)
            else None
        )
        pair_model = None if document_model is not None else self.classifier
        findings = self.lexicon.tied_symptom
        by_sentence: dict[int, list[SpanRef]] = {}
        for i, m in enumerate(mentions):
            if _relation_ready(m):
                s0 = sents[m.sentence_index].start_char
                also = "Symptom" if m.node_label == "Disease" and m.node_id in findings else None
                by_sentence.setdefault(m.sentence_index, []).append(
                    SpanRef(i, m.node_label, m.start - s0, m.end - s0, m.confidence, also)
                )
        out = []
        for si, refs in by_sentence.items():
            if len(refs) < 2:
                continue
            for r in find_relations(sents[si].text, refs, pair_model, self.cid_threshold):
                head, tail = mentions[r.head].node_id, mentions[r.tail].node_id
                if head == tail or (r.rel_type == "CAUSES" and self._indicated(head, tail)):
                    continue
                # a finding tied to a disease mention is looked up as that symptom
                if r.method in GRAPH_CHECKED and not finding_known(
                    self.lexicon.findings, self.lexicon.parents, head, findings.get(tail, tail)
                ):
                    continue
                # a disease mention as PRESENTS' finding: the edge goes to its symptom
                tail_as = None
                if r.rel_type == "PRESENTS" and mentions[r.tail].node_label != "Symptom":
                    tail_as = ("Symptom", findings[tail])
                out.append(
                    ExtractedRelation(
                        r.rel_type, r.head, r.tail, si, r.confidence, r.method, tail_as
                    )
                )
        if document_model is not None and sents:
            out += self._document_causes(document_model, sents, mentions, out)
        return out

    def _document_causes(
        self,
        model: DocumentCid | DocumentCidEnsemble,
        sents: list,  # type: ignore[type-arg]
        mentions: list[Mention],
        found: list[ExtractedRelation],
    ) -> list[ExtractedRelation]:
        """CAUSES between the note's affirmed drug and problem entities, scored
        over the whole note (pairs across sentences too); the evidence is the
        closest mention pair (fewest sentences apart, then fewest characters)."""
        role = dict.fromkeys(DRUG, CHEMICAL) | dict.fromkeys(PROBLEM, DISEASE)
        # (role, node id) -> the indices of its affirmed mentions
        entities: dict[tuple[str, str], list[int]] = {}
        for i, m in enumerate(mentions):
            if _relation_ready(m) and m.node_label in role:
                entities.setdefault((role[m.node_label], m.node_id), []).append(i)
        treats = {
            (mentions[r.head].node_id, mentions[r.tail].node_id)
            for r in found
            if r.rel_type == "TREATS"
        }
        scores = model.score(
            sents[0].doc.text,
            [(s.start_char, s.end_char) for s in sents],
            [EntityMention((node_id,), r, mentions[i].start, mentions[i].end)
             for (r, node_id), indices in entities.items() for i in indices],
        )  # fmt: skip
        kept = {pair for pair, p in scores.items() if p >= self.cid_threshold}
        if model.filters_hypernyms:
            kept = drop_ancestors(kept, self._is_ancestor)
        out = []
        for (chem, dis), p in scores.items():
            if (chem, dis) not in kept or chem == dis or (chem, dis) in treats:
                continue
            if self._indicated(chem, dis):
                continue
            h, t = min(
                ((h, t) for h in entities[(CHEMICAL, chem)] for t in entities[(DISEASE, dis)]),
                key=lambda ht: (
                    abs(mentions[ht[0]].sentence_index - mentions[ht[1]].sentence_index),
                    abs(mentions[ht[0]].start - mentions[ht[1]].start),
                ),
            )
            conf = round(p * min(mentions[h].confidence, mentions[t].confidence), 3)
            out.append(
                ExtractedRelation("CAUSES", h, t, mentions[h].sentence_index, conf, model.method)
            )
        return out

    def _indicated(self, drug: str, disease: str) -> bool:
        """Does the graph give ``drug`` for ``disease`` (or its parent)? Then a
        CAUSES between them is not kept (relations/known_treatments.py)."""
        if not self.settings.cid_known_treatments:
            return False
        lex = self.lexicon
        return treated_node(lex.treatments, lex.parents, drug, disease) is not None


def _relation_ready(m: Mention) -> bool:
    """May the mention take part in a relation? Affirmed (not negated,
    hypothetical or a relative's; a reported allergy is affirmed too: "Bactrim,
    which causes a rash" and "hypersensitivity to carbamazepine" are what the
    drug did), and not linked by meaning only: such a link is a guess, stored as
    a mention but not built on (decision 0022)."""
    return (m.is_positive_fact or m.is_reported_allergy) and RULE_MEANING not in m.link_rule


_FORKED: Extractor | None = None  # the extractor forked workers inherit


def _init_worker() -> None:
    # A forked child must not use the intra-op thread pool its parent may have
    # started (the NER's transformer features run torch): OpenMP is not fork-safe
    # and the child can hang. The processes are the parallelism here anyway.
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def _extract_in_worker(batch: list[NoteInput]) -> list[ExtractedDocument]:
    assert _FORKED is not None
    return _FORKED.extract_batch(batch)


def _chunks(notes: Iterable[NoteInput], size: int) -> Iterator[list[NoteInput]]:
    batch: list[NoteInput] = []
    for note in notes:
        batch.append(note)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def unlinked_node_id(label: str, text: str) -> str:
    """A stable id for a new node: the same mention text always maps to one node."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
    return f"medkg:{label.lower()}:{slug or _digest(text.encode())}"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]


def _transformer_ner(nlp: Language) -> TransformerNer | None:
    """The pipeline's trained transformer NER component (with its tagger), if any."""
    from medkg.nlp.ner.component import TransformerNer

    ner = nlp.get_pipe("ner") if "ner" in nlp.pipe_names else None
    return ner if isinstance(ner, TransformerNer) and ner.tagger is not None else None


def _apply_ner_runtime(nlp: Language, settings: Settings) -> str | None:
    """Put a trained transformer NER on its inference runtime (:mod:`.ner.runtime`);
    the runtime used, or None when the pipeline has no such NER."""
    from medkg.nlp.ner.runtime import apply_runtime, resolve_runtime, tagger_members

    ner = _transformer_ner(nlp)
    if ner is None:
        return None
    runtime = resolve_runtime(settings.ner_runtime, ner.device)
    used = apply_runtime(ner.tagger, runtime, settings.cache_dir, settings.ner_recheck_margin)
    for member in tagger_members(ner.tagger):
        member.cache_size = settings.ner_cache_chunks
    return used


def _dense_names(files: ModelFiles, settings: Settings) -> DenseNames | None:
    """The index of condition names by meaning, when ``medkg train linker --dense``
    built one; an unreadable one is left out with a warning (linking goes on
    without its last step rather than stopping)."""
    folder = files.dense_names
    if not (folder / DENSE_META).is_file():
        return None
    try:
        return DenseNames.load(folder, settings.text_runtime, settings.cache_dir)
    except (OSError, ValueError, KeyError) as exc:
        warnings.warn(f"dense name index {folder} unreadable ({exc}); not used", stacklevel=3)
        return None


def _cid_classifier(
    files: ModelFiles, settings: Settings
) -> tuple[PairScorer | FineTunedEncoder | DocumentCidEnsemble | None, float, str | None]:
    """The CAUSES classifier, its threshold and its version tag: the document
    model when one is trained, else the sentence-pair transformer (each with its
    own threshold, chosen on development abstracts), else the logistic
    regression (``MEDKG_CID_THRESHOLD``), else none."""
    for arch in FINETUNED.values():
        folder = arch.folder(files)
        if not (folder / CONFIG_FILE).is_file():
            continue
        model = arch.load(folder)
        tag = arch.tag + _files_digest(folder)
        runtime = _onnx_runtime_for(settings)
        if runtime is not None:
            try:
                model.use_onnx("int8" if runtime == "onnx-int8" else "fp32", settings.cache_dir)
                tag += "-" + runtime
            except Exception as exc:  # any export failure: stay on torch, loudly
                warnings.warn(f"CID model on {runtime} unavailable ({exc})", stacklevel=2)
        return model, model.threshold, tag
    if files.cid.is_file():
        return (
            CidClassifier.load(files.cid),
            settings.cid_threshold,
            "cid-" + _digest(files.cid.read_bytes()),
        )
    return None, settings.cid_threshold, None


def _onnx_runtime_for(settings: Settings) -> str | None:
    """The ONNX runtime the CID transformer shares with the NER when
    ``MEDKG_NER_RUNTIME`` names one (``onnx``/``onnx-int8``), else None (torch).

    Not under ``auto``: int8 keeps the NER's accuracy but costs the CID
    document model about half a point of F1 (docs/decisions/0024), so its
    default stays full precision. Without ONNX Runtime it is None without a
    second warning: the NER's own fallback has already said so."""
    from medkg.encoders.onnx_runtime import onnx_available

    if settings.ner_runtime not in ("onnx", "onnx-int8") or not onnx_available():
        return None
    return settings.ner_runtime


def _files_digest(folder: Path) -> str:
    """A trained model folder by the content of what training wrote: an inference
    runtime's export beside it is left out (the runtime is named in the version
    on its own)."""
    from medkg.encoders.onnx_runtime import EXPORT_DIR

    h = hashlib.sha256()
    files = (p for p in folder.rglob("*") if p.is_file())
    for f in sorted(f for f in files if EXPORT_DIR not in f.relative_to(folder).parts):
        h.update(f.read_bytes())
    return h.hexdigest()[:10]


def _model_tag(model: str | Path, nlp: Language) -> str:
    """Installed packages by name and version; trained folders by content hash
    (:func:`_files_digest`)."""
    path = Path(model)
    if path.is_dir():
        return _files_digest(path)
    return f"{nlp.meta.get('name', model)}-{nlp.meta.get('version', '')}"


__all__ = [
    "EXTRACTOR_NAME", "EXTRACTOR_VERSION", "Extractor", "build_nlp", "graph_lexicon",
    "unlinked_node_id",
]  # fmt: skip
