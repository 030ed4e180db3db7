"""Linking a recognised mention to a graph node, and saying how it was linked.

The order, most certain first: an abbreviation defined in the same text links
through its long form; a dictionary match carries the node and rule the
matcher chose (:mod:`.matcher`); a span the statistical NER found is looked up
among all names and synonyms, its NER label deciding between nodes that share
the name (:meth:`~.lexicon.Lexicon.resolve`); then the span's other spellings
and its head without modifiers (:mod:`.name_variants`, decision 0019); then a
character 3-gram TF-IDF cosine over every name and synonym
(:class:`FuzzyLinker`), its confidence scaled down by the similarity (before
the head for chemicals); last, for conditions, the nearest name by meaning
when ``medkg train linker --dense`` built an index (:mod:`.dense_names`,
decision 0022). The rule that linked each mention is written with the fact,
so a user can see and filter on how a link was made.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from spacy.lang.en.stop_words import STOP_WORDS

from medkg.kg.plurals import singular
from medkg.nlp.chemical_formulas import formula_names, without_salt
from medkg.nlp.dense_names import DenseNames
from medkg.nlp.lexicon import CURATED, SYMBOL_RULE, Entry, Lexicon, Resolution, normalise
from medkg.nlp.name_variants import (
    heads,
    is_change_of,
    is_form_of,
    opposite_direction,
    spellings,
)

CONF_EXACT = 0.95
CONF_DEFINED_ABBREVIATION = 0.9
CONF_CURATED_ABBREVIATION = 0.8
CONF_MODEL = 0.85
#: Another spelling of the span ("dyskinetic" -> "dyskinesia"): nearly as sure.
CONF_VARIANT = 0.8
#: The span's head ("postoperative delirium" -> "delirium"): a broader concept.
CONF_HEAD = 0.6
#: The nearest name by meaning, times its cosine: a paraphrase, the least sure
#: step, never above a head's link.
CONF_MEANING = 0.6
#: The rule of a link by meaning. Such a mention is stored (with this rule and
#: its low confidence) but takes part in no relation: a relation between a
#: guessed concept and another mention compounds the guess, and measured end to
#: end it cost 1.1 CID F1 (decision 0022).
RULE_MEANING = "nearest meaning"
#: A condition named for its cause: drug-induced liver injury, drug allergy,
#: substance-induced psychosis. Annotators of drug abstracts give such nodes to
#: bare words ("hepatitis" after a drug); a note's "hepatitis" with no chemical
#: in its sentence is not one of them (:meth:`Linker._in_context`).
DRUG_CONTEXT = re.compile(r"\b(?:drugs?|substances?|chemicals?|chemically|medications?)\b", re.I)
#: How many texts' nearest names the fuzzy linker remembers before starting over.
MEMO_SIZE = 100_000
#: How many of a text's nearest names the fuzzy linker looks through for one that
#: names no narrower concept (:func:`adds_words`).
FUZZY_CANDIDATES = 5
#: How many nearest names are searched for one a typing error away
#: (:meth:`FuzzyLinker.one_edit`); shortest text (letters) read for a typo in it;
#: the NER labels it is read for and the node labels each may reach (gene symbols
#: are codes, a letter apart is another gene; a slip never crosses kinds).
TYPO_CANDIDATES = 20
MIN_TYPO_LENGTH = 9
#: Word endings that make a word a condition of what its stem names.
CONDITION_ENDINGS = ("itis", "osis", "oma", "emia", "algia", "pathy", "plegia")
#: Letters at a word's start the nearest string must keep, and the fewest
#: letters after them that make two words one word otherwise begun
#: (:func:`other_word_start`).
MIN_WORD_START = 3
MIN_SHARED_TAIL = 4
MIN_TYPO_WORD = 6
_CONDITIONS = frozenset({"Disease", "Symptom", "SideEffect"})
TYPO_LABELS: dict[str | None, frozenset[str]] = {
    "CHEMICAL": frozenset({"Drug"}), "DISEASE": _CONDITIONS, "SYMPTOM": _CONDITIONS
}


@dataclass(frozen=True)
class Link:
    """A mention's node, the link's confidence, the long form an abbreviation was
    linked through (if any) and the rule that linked it."""

    entry: Entry
    confidence: float
    via: str | None
    rule: str


class FuzzyLinker:
    """Character 3-gram TF-IDF over every name and synonym; links a mention above a
    cosine threshold."""

    def __init__(self, lexicon: Lexicon, threshold: float = 0.8) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.threshold = threshold
        self.lexicon = lexicon
        self._keys = sorted(lexicon.names)
        self._vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), min_df=1)
        # Stored trigram-major (one row per trigram listing the names holding it), so a
        # query touches only the postings of its own ~10 trigrams, not every name.
        self._postings = self._vec.fit_transform(self._keys).T.tocsr() if self._keys else None
        # The nearest name of each text already asked about. Notes repeat their
        # unmatched spans, and a vectoriser call on one text is mostly input
        # checking, not arithmetic (profiled in docs/decisions/0024).
        # Held as two small arrays (indices, cosines) per text: the memo keeps
        # TYPO_CANDIDATES names for each of up to MEMO_SIZE texts.
        self._memo: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def nearest(self, text: str, k: int = FUZZY_CANDIDATES) -> list[tuple[int, float]]:
        """(index into the sorted names, cosine) of the ``k`` (at most
        :data:`TYPO_CANDIDATES`) names nearest ``text``, nearest first."""
        key = normalise(text)
        hits = self._memo.get(key)
        if hits is None:
            assert self._postings is not None
            sims = (self._vec.transform([key]) @ self._postings).toarray().ravel()
            n = min(TYPO_CANDIDATES, len(sims))
            top = np.argpartition(-sims, n - 1)[:n]
            order = np.array(sorted(top, key=lambda i: (-sims[i], i)), dtype=np.int64)
            hits = (order, sims[order])
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = hits
        indices, cosines = hits
        return [(int(i), float(c)) for i, c in zip(indices[:k], cosines[:k], strict=True)]

    def link(self, text: str, ner_label: str | None = None) -> tuple[Resolution, float] | None:
        """The nearest name above the threshold that does not add words to the
        text (:func:`adds_words`) nor say the opposite change
        (:func:`~.name_variants.opposite_direction`), resolved for ``ner_label``."""
        if self._postings is None:
            return None
        key = normalise(text)
        for best, score in self.nearest(text):
            if score < self.threshold:
                return None
            name = self._keys[best]
            if adds_words(key, name) or other_numbers(key, name) or opposite_direction(key, name):
                continue
            if ner_label != "CHEMICAL" and (
                other_word_start(key, name) or adds_a_condition_ending(key, name)
            ):
                continue  # a chemical's prefixes vary in its own names ("dideoxy")
            found = self.lexicon.resolve(self.lexicon.names[name], ner_label)
            if found:
                return found, score
        return None

    def one_edit(self, text: str, ner_label: str | None = None) -> Resolution | None:
        """A name one typing error away from ``text`` ("apomophine",
        "procyclindine", "5 flourouracil"), among the :data:`TYPO_CANDIDATES`
        nearest by 3-grams, for a text of at least :data:`MIN_TYPO_LENGTH`
        letters: a slip of one letter in a long word costs a 3-gram cosine of
        0.7-0.77, below the threshold, yet leaves the word unmistakable. An edit
        of a digit is no typo ("IL-10", "IL-12")."""
        if self._postings is None or ner_label not in TYPO_LABELS:
            return None
        key = normalise(text)
        if sum(c.isalpha() for c in key) < MIN_TYPO_LENGTH:
            return None
        words = {singular(w) for w in key.split()}
        for best, _ in self.nearest(text, TYPO_CANDIDATES):
            name = self._keys[best]
            if not one_letter_apart(key, name) or adds_words(key, name):
                continue
            if opposite_direction(key, name) or other_word_start(key, name, 1):
                continue  # "atraumatic" is one letter from "traumatic", its opposite
            if {singular(w) for w in name.split()} == words:
                continue  # a plural is a word form, the spellings' step ("phospholipids")
            found = self.lexicon.resolve(self.lexicon.names[name], ner_label)
            if found and found.entry.label in TYPO_LABELS[ner_label]:
                return found
        return None


def other_word_start(text: str, name: str, letters: int = MIN_WORD_START) -> bool:
    """Does a word of the text begin unlike every word of the name, while a
    word of the name ends as it does (all but their first ``letters``)? Then
    the name holds another word, not a spelling of it, however many 3-grams
    they share: "atraumatic" is no "traumatic" (injury), "compressive" no
    "depressive", "hydropneumothorax" no "hemopneumothorax". Spellings keep a
    word's beginning ("tumours", "haemorrhages" are keys as "tumours",
    "hemorrhages"); a compound begins as one of the name's words
    ("vestibulotoxicity", "vestibular toxicity"); a typing slip keeps its
    first letter ("tardive dsykinesia", ``letters=1`` in
    :meth:`FuzzyLinker.one_edit`). A word the name lacks altogether ("left"
    of "ectopic left testis") is :func:`adds_words`' matter. Both are keys as
    :func:`~.lexicon.normalise` writes them."""
    named = name.split()
    starts = {v[:letters] for v in named}
    for w in text.split():
        if w in named or w.isdigit() or w[:letters] in starts:
            continue
        for v in named:
            tail = min(len(w), len(v)) - letters
            if tail >= MIN_SHARED_TAIL and w[-tail:] == v[-tail:]:
                return True
    return False


def adds_a_condition_ending(text: str, name: str) -> bool:
    """Does a word of the name end in a condition's suffix ("-itis",
    "-osis", "-oma", ...) that the text's word of the same beginning lacks?
    Then the name is a disease of what the text names: "ureteral stent" is no
    "ureteral stenosis", "epididymidis" (the epididymis's genitive) no
    "epididymitis", "diaphragmatic" no "diaphragmitis"; but an adjective's
    noun or a plural's singular is the same word ("ischemic" of "ischemia",
    "scotomata" of "scotoma")."""
    words = text.split()
    for v in name.split():
        ending = next((e for e in CONDITION_ENDINGS if v.endswith(e)), None)
        if ending is None or v in words:
            continue
        if any(
            w[:MIN_WORD_START] == v[:MIN_WORD_START] and not w.endswith(ending)
            and not is_form_of(w, v)
            for w in words
        ):
            return True
    return False


def changes_what_follows(ent: Any) -> bool:
    """Is the span a change noun alone with its complement after it ("a fall
    in blood pressure", "a drop of 10 points")? Then it names the change of
    what follows, not the concept the word alone is (HPO's Falls); the span
    links nothing. A span that holds its complement is read whole
    (:mod:`.name_variants`: "fall in blood pressure" is hypotension)."""
    if len(ent) != 1 or ent.end >= len(ent.doc):
        return False
    return is_change_of(ent.text, ent.doc[ent.end].text)


def is_the_season(ent: Any) -> bool:
    """ "last fall", "this past fall": the autumn, no fall (MTSamples: "found to
    have a new tumor last fall")."""
    return (
        ent.text.lower() == "fall"
        and ent.start > 0
        and ent.doc[ent.start - 1].lower_ in ("last", "this", "next", "past")
    )


def two_letter_condition_symbol(text: str, label: str, rule: str) -> bool:
    """Is a dictionary match two characters of an ontology's synonym for a
    condition, which the text does not define? Then it is not linked.

    Two letters spell too many things: in BC5CDR devel every such match that
    formed a drug-disease pair meant something else ("SD" Sprague-Dawley rats,
    not a MONDO disease; "NS" normal saline, "CS", "BN", "R6", "RS", "MD"), 16
    wrong pairs; in notes "CN" is a cranial nerve, "S3" a sacral foramen. The
    two-letter abbreviations a clinician writes undefined (MI, MS, RA, PE, AF)
    are curated (``abbreviations.tsv``) and pass; a short form the text
    defines is linked through its long form before this; names learned from
    an annotated corpus pass; an NER span of two letters is still linked (the
    model's reading of the context is evidence the dictionary lacks).
    Decision 0055."""
    return (
        len(text) == 2
        and label in _CONDITIONS
        and rule.startswith(SYMBOL_RULE + ";")
        and "learned name" not in rule
    )


def _content_words(text: str) -> set[str]:
    """A text's words of four letters or more, singular, stop words left out."""
    return {singular(w) for w in normalise(text).split() if len(w) >= 4 and w not in STOP_WORDS}


def other_numbers(text: str, name: str) -> bool:
    """Does ``name`` carry a number that a ``text`` with numbers lacks? A
    number is a concept's identity: "PGE 2" is no "PGE 1" (alprostadil), "type
    2 diabetes" no "type 1 diabetes", however near the strings; a name may
    leave out the text's locants ("3-methylcholanthrene", "HIV-1 infection").
    (A text without numbers may reach a name with a locant: :func:`adds_words`.)"""
    numbers = set(_NUMBER.findall(text))
    return bool(numbers) and not set(_NUMBER.findall(name)) <= numbers


def one_letter_apart(a: str, b: str) -> bool:
    """Are ``a`` and ``b`` one letter substituted, inserted, deleted, or two
    neighbouring letters swapped apart (optimal string alignment distance 1),
    the letter not a digit and its word in ``a`` a long one?"""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if a[i : i + 1].isdigit() or b[i : i + 1].isdigit():
        return False
    end = a.find(" ", i)
    word = a[a.rfind(" ", 0, i) + 1 : end if end >= 0 else len(a)]  # the slip's word
    if len(word) < MIN_TYPO_WORD:
        return False  # "hcv" is no slip for "hmv": a short word is a code
    if len(a) == len(b):
        if a[i + 1 :] == b[i + 1 :]:
            return True  # one substituted
        return a[i : i + 2] == b[i : i + 2][::-1] and a[i + 2 :] == b[i + 2 :]  # swapped
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1 :] == shorter[i:]  # one inserted or deleted


def adds_words(text: str, name: str) -> bool:
    """Does ``name`` say more than ``text``: every word of the text (singular)
    and another word of content, or one of its words behind a prefix? Then it
    names a narrower or another concept, whatever its 3-gram cosine: a note's
    "bleeding" is no "oral bleeding", "scrotum" no "scrotum tumor", "enlarged
    thyroid gland" no "enlarged parathyroid glands" (the fuzzy step is for
    spellings: "haemorrhages", "tumours"). Locants, single letters and joining
    words add no content ("5 benzylacyclouridine", "disease due to adenovirus"
    are still the text's concept), but a number after a code of up to three
    letters is its identity ("VP" is no "VP-16"). Both are keys as
    :func:`~.lexicon.normalise` writes them."""
    words = {singular(w) for w in text.split()}
    named = {singular(w) for w in name.split()}
    extra = named - words
    if any(_prefixed(w, words) for w in extra):
        return True
    code = len(text.replace(" ", "")) <= MAX_CODE_LENGTH
    # the text's own joining words count for nothing: a span cut after its
    # preposition ("impairment of") is no "mental impairment"
    return words - _JOINING_WORDS <= named and any(
        len(w) > 1 and w not in _JOINING_WORDS and (code or not w.isdigit()) for w in extra
    )


def _prefixed(word: str, words: set[str]) -> bool:
    """Is ``word`` one of ``words`` behind a prefix of two letters or more
    ("parathyroid" of "thyroid", "abnormal" of "normal"), the prefix not itself
    one of the words ("moyamoya" is "moya moya" closed up)?"""
    return any(
        len(w) >= 4
        and len(word) - len(w) >= 2
        and word.endswith(w)
        and word[: -len(w)] not in words
        for w in words
    )


#: A number in a key (:func:`other_numbers`).
_NUMBER = re.compile(r"\d+")
#: Longest text (letters and digits) read as a code whose number is its identity.
MAX_CODE_LENGTH = 3
#: Words that join a name's parts without adding to its meaning (:func:`adds_words`).
_JOINING_WORDS = frozenset(
    {"of", "to", "due", "by", "caused", "the", "in", "with", "and", "or", "for", "on"}
)


@dataclass(frozen=True)
class _Decided:
    """What a text's definition of a short form decided: a link, or no link."""

    link: Link | None


class Linker:
    """Links spaCy entity spans to lexicon entries (:meth:`link`)."""

    def __init__(
        self,
        lexicon: Lexicon,
        threshold: float = 0.8,
        dense: DenseNames | None = None,
        dense_threshold: float = 0.7,
        drug_context: bool = True,
    ) -> None:
        """``dense``: condition names by meaning (:mod:`.dense_names`), tried last
        for a DISEASE or SYMPTOM span, above ``dense_threshold`` cosine.
        ``drug_context=False`` leaves learned drug-induced names unchecked
        (:meth:`_in_context`), as the corpus they were learned from uses them."""
        self.lexicon = lexicon
        self.drug_context = drug_context
        self.threshold = threshold
        self.dense = dense
        self.dense_threshold = dense_threshold
        self._fuzzy: FuzzyLinker | None = None
        self._node_names: dict[str, list[str]] | None = None

    @property
    def fuzzy(self) -> FuzzyLinker:
        """Built on first use: most notes link without it, and fitting it over every
        synonym takes seconds."""
        if self._fuzzy is None:
            self._fuzzy = FuzzyLinker(self.lexicon, self.threshold)
        return self._fuzzy

    def names(self, text: str, ner_label: str | None) -> bool:
        """Does ``text`` as written (a name, synonym or symbol) name a node for
        ``ner_label``?"""
        return self.lexicon.resolve(self.lexicon.candidates(text), ner_label) is not None

    def link(self, ent: Any, abbreviations: dict[tuple[int, int], Any]) -> Link | None:
        """``ent``: a spaCy span (the matcher sets its ``ent_id_`` to
        ``label|node id|rule``); ``abbreviations``: ``(start, end) -> long form``
        spans found by scispaCy's AbbreviationDetector in the same doc."""
        if changes_what_follows(ent) or is_the_season(ent):
            return None
        return self._in_context(ent, self._link(ent, abbreviations))

    def _in_context(self, ent: Any, found: Link | None) -> Link | None:
        """A learned name whose node is a condition named for its cause (a
        drug-induced one) holds only where its sentence or the one before names a
        chemical; elsewhere the span links to what its text names without the
        learned name. BC5CDR's curators annotate "hepatitis" in drug abstracts as
        drug-induced liver injury, which a note's "history of hepatitis" is not
        (decision 0035). Dictionary matches and NER spans alike: the matcher
        resolved the learned name before the chemicals of the sentence were
        known."""
        if not self.drug_context or found is None or "learned name" not in found.rule:
            return found
        key = normalise(ent.text)
        learned = next((c for c in self.lexicon.names.get(key, []) if c.learned), None)
        if learned is None or not DRUG_CONTEXT.search(learned.name) or _names_a_chemical(ent):
            return found  # the learned name was a variant's, or holds here
        plain = self.lexicon.unlearned.get(key)
        res = self.lexicon.resolve(plain, ent.label_) if plain else None
        if res is None:
            return found
        rule = f"NER span; {res.rule}; no chemical near it for '{learned.name}'"
        return Link(res.entry, min(found.confidence, CONF_MODEL), None, rule)

    def _link(self, ent: Any, abbreviations: dict[tuple[int, int], Any]) -> Link | None:
        lex = self.lexicon
        long_form = abbreviations.get((ent.start, ent.end))
        if long_form is not None:  # defined in this text: link the long form
            found = lex.resolve(lex.candidates(long_form.text), ent.label_)
            if found is not None:
                rule = f"abbreviation defined in text; {found.rule}"
                return Link(found.entry, CONF_DEFINED_ABBREVIATION, long_form.text, rule)
            # its other spellings or (a condition's) head before what the letters
            # name elsewhere: "contrast media-induced nephropathy (CIN)" is no
            # cervical intraepithelial neoplasia
            via_long = self._by_spelling_or_head(long_form.text, ent.label_)
            if via_long is not None:
                rule = f"abbreviation defined in text; {via_long.rule}"
                return Link(via_long.entry, via_long.confidence, long_form.text, rule)
            if (defined := self._defined_otherwise(ent, long_form.text)) is not None:
                return defined.link
        if ent.ent_id_:
            label, node_id, *rest = ent.ent_id_.split("|", 2)
            rule = rest[0] if rest else "name"
            entry = Entry(label, node_id, ent.text)
            if rule in (CURATED, "abbr"):  # "abbr": rulers before the matcher wrote this
                return Link(entry, CONF_CURATED_ABBREVIATION, ent.text, CURATED)
            if two_letter_condition_symbol(ent.text, label, rule):
                return None
            return Link(entry, CONF_EXACT, None, rule)
        found = lex.resolve(lex.candidates(ent.text), ent.label_)
        if found is not None:
            return Link(found.entry, CONF_MODEL, None, f"NER span; {found.rule}")
        curated = lex.abbreviations.get(ent.text)
        if curated is not None:  # an NER span the matcher did not claim: "ASA", "Na"
            return Link(curated, CONF_CURATED_ABBREVIATION, ent.text, f"NER span; {CURATED}")
        if long_form is not None:  # the long form's nearest string or meaning, last
            via_long = self._fallback(long_form.text, ent.label_)
            if via_long is not None:
                rule = f"abbreviation defined in text; {via_long.rule}"
                return Link(via_long.entry, via_long.confidence, long_form.text, rule)
        return self.link_text(ent.text, ent.label_)

    def _defined_otherwise(self, ent: Any, long_form: str) -> _Decided | None:
        """A short form the text defines by a long form that names nothing for
        the span's label: the definition, not the letters, says what it is.

        "Cyclophosphamide (CP)": the dictionary matched "CP" as the curated
        abbreviation of chest pain, and a CP of that abstract was a symptom in
        every pair it formed. A long form that names a node of another kind
        links the short form there (the kind follows: CP is a drug). A long
        form that names nothing ("bone mineral density (BMD)", "superoxide
        dismutase (SOD)") leaves a dictionary match of the letters unlinked
        (Becker muscular dystrophy, a superoxide-dismutase deficiency were what
        the letters spelt), after the long form's nearest string or meaning;
        an NER span goes on to the usual steps. A dictionary match never moves
        to a node only NER spans may link (MeSH's chemical headings: "prostate
        specific antigen (PSA)" stays the gene). Decision 0053. None: the
        definition decides nothing."""
        lex = self.lexicon
        other = lex.resolve(lex.candidates(long_form))
        if other is not None and ent.ent_id_ and other.entry.node_id in lex.ner_only:
            return None  # a dictionary match moves only to a node the matcher may link
        if other is not None:
            rule = f"abbreviation defined in text; {other.rule}; a {other.entry.label}"
            return _Decided(Link(other.entry, CONF_DEFINED_ABBREVIATION, long_form, rule))
        if not ent.ent_id_:
            return None
        via = self._fallback(long_form, ent.label_)
        if via is not None:
            rule = f"abbreviation defined in text; {via.rule}"
            return _Decided(Link(via.entry, via.confidence, long_form, rule))
        if self._letters_node_shares_a_word(ent, long_form):
            return None  # a variant of the node's name: "cytochrome P450 3A4 (CYP3A4)"
        return _Decided(None)

    def _letters_node_shares_a_word(self, ent: Any, long_form: str) -> bool:
        """Does the long form share a content word with the name of the node the
        dictionary matched the letters to? Then the definition is another wording
        of that name ("inducible nitric oxide synthase (iNOS)": NOS2, "nitric
        oxide synthase 2"), not another concept ("optical coherence tomography
        (OCT)" is no gene OCT)."""
        _, node_id, *_ = ent.ent_id_.split("|", 2)
        words = _content_words(long_form)
        return any(words & _content_words(name) for name in self._names_of(node_id))

    def _names_of(self, node_id: str) -> list[str]:
        """Every name key of a node (own name, synonyms, a gene's full names),
        indexed on first use: a few texts need it, and the index costs seconds."""
        if self._node_names is None:
            index: dict[str, list[str]] = {}
            for key, entries in self.lexicon.names.items():
                for e in entries:
                    index.setdefault(e.node_id, []).append(key)
            for e in self.lexicon.abbreviations.values():
                index.setdefault(e.node_id, []).append(e.name)
            self._node_names = index
        return self._node_names.get(node_id, [])

    def link_text(self, text: str, ner_label: str | None) -> Link | None:
        """A span no name matches as written: its other spellings, then its head
        without modifiers and the nearest name by character 3-grams
        (:mod:`.name_variants`); the rule says which step linked it.

        The head comes before the nearest string for conditions ("mechanical
        hyperalgesia" is hyperalgesia, whatever name is spelled nearest) and
        after it for chemicals, whose head is often a salt or a class ("lithium
        carbonate" is not carbonate): measured both ways in docs/results.md.
        A condition nothing else links is tried by meaning last (decision 0022)."""
        return self._by_spelling_or_head(text, ner_label) or self._fallback(text, ner_label)

    def _fallback(self, text: str, ner_label: str | None) -> Link | None:
        """:meth:`link_text`'s steps after the spellings and a condition's head:
        the nearest string, then a chemical's head or a condition's meaning."""
        if ner_label == "CHEMICAL":
            return self._nearest(text, ner_label) or self._by_head(text, ner_label)
        return self._nearest(text, ner_label) or self._by_meaning(text, ner_label)

    def _by_spelling_or_head(self, text: str, ner_label: str | None) -> Link | None:
        """:meth:`link_text` without its nearest-string and by-meaning steps (and
        without the head for chemicals, whose head is often a salt)."""
        variants: Iterable[tuple[str, str]] = spellings(text)
        if ner_label == "CHEMICAL":  # "KCl", "Ca(2+)": the names a formula stands for
            formulas = ((name, "formula") for name in formula_names(text))
            parent = without_salt(text)
            salt = [(parent, "without its salt")] if parent else []
            variants = itertools.chain(formulas, salt, variants)
        hit = self._first_named(variants, ner_label)
        if hit is not None:
            found, variant, how = hit
            return Link(
                found.entry, CONF_VARIANT, None, f"NER span; {how} '{variant}'; {found.rule}"
            )
        return None if ner_label == "CHEMICAL" else self._by_head(text, ner_label)

    def _by_meaning(self, text: str, ner_label: str | None) -> Link | None:
        if self.dense is None or ner_label not in ("DISEASE", "SYMPTOM"):
            return None
        match = self.dense.nearest([text])[0]
        if match is None or match.score < self.dense_threshold:
            return None
        if opposite_direction(text, match.key):
            return None  # sentence encoders place antonyms close: "low" beside "high"
        found = self.lexicon.resolve(self.lexicon.names.get(match.key, []), ner_label)
        if found is None:
            return None
        rule = f"NER span; {RULE_MEANING} {match.score:.2f} '{match.key}'; {found.rule}"
        return Link(found.entry, round(CONF_MEANING * match.score, 3), None, rule)

    def _nearest(self, text: str, ner_label: str | None) -> Link | None:
        fuzzy = self.fuzzy.link(text, ner_label)
        if fuzzy is None:
            typo = self.fuzzy.one_edit(text, ner_label)
            if typo is None:
                return None
            rule = f"NER span; one letter from '{typo.entry.name}'; {typo.rule}"
            return Link(typo.entry, CONF_VARIANT, None, rule)
        found, score = fuzzy
        rule = f"NER span; fuzzy {score:.2f}; {found.rule}"
        return Link(found.entry, round(CONF_MODEL * score, 3), None, rule)

    def _by_head(self, text: str, ner_label: str | None) -> Link | None:
        hit = self._first_named(heads(text), ner_label)
        if hit is None:
            return None
        found, _, how = hit
        return Link(found.entry, CONF_HEAD, None, f"NER span; {how}; {found.rule}")

    def _first_named(
        self, variants: Iterable[tuple[str, str]], ner_label: str | None
    ) -> tuple[Resolution, str, str] | None:
        """The first ``(variant, how)`` some node is named by: its resolution."""
        for variant, how in variants:
            found = self.lexicon.resolve(self.lexicon.candidates(variant), ner_label)
            if found is not None:
                return found, variant, how
        return None


def _names_a_chemical(ent: Any) -> bool:
    """Does the span's sentence, or the one before it, hold a chemical ("Isoniazid
    was started in May. Hepatitis followed.")? Without sentence bounds, the doc."""
    doc = ent.doc
    try:
        sent = ent.sent
    except ValueError:  # no sentence boundaries set
        context = doc[:]
    else:
        context = doc[doc[sent.start - 1].sent.start if sent.start else sent.start : sent.end]
    return any(e.label_ == "CHEMICAL" for e in context.ents)
