"""The dictionary matcher: finds the graph's names and symbols in text.

Why not spaCy's EntityRuler: with the vocabularies the graph holds about
230,000 names and 45,000 symbols, and the ruler's phrase matcher tokenises
every pattern at build time (over two minutes on 2 cores, before the first
note). Names are already normalised keys in a dict (:class:`~.lexicon.Lexicon`),
so matching is a lookup of each word n-gram: build time nothing, matching
linear in the note's length.

Matching is leftmost-longest within a sentence, names (case-insensitive) before
symbols (exact case). Each match is resolved to one node (:meth:`Lexicon.resolve`)
and carries ``label|node id|rule`` in its entity id, which the linker reads.
"""

from __future__ import annotations

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc, Span

from medkg.nlp.lexicon import (
    CURATED,
    NER_LABEL,
    SYMBOL_RULE,
    Entry,
    Lexicon,
    Resolution,
    normalise,
)
from medkg.nlp.name_variants import HYPHEN_QUALIFIERS, ORGAN_WORD_SWAP
from medkg.nlp.ner.tags import NOT_MENTIONS

FACTORY = "medkg_lexicon_matcher"
#: Longest symbol in tokens: the tokenizer cuts at hyphens, so "HLA-B27" is
#: three and "IL-1-beta" five.
MAX_SYMBOL_TOKENS = 7


@Language.factory(FACTORY, assigns=["doc.ents"])
def make_lexicon_matcher(nlp: Language, name: str) -> LexiconMatcher:
    return LexiconMatcher(name)


class LexiconMatcher:
    """spaCy component; ``lexicon`` is set by :func:`medkg.nlp.pipeline.build_nlp`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lexicon: Lexicon | None = None
        #: A statistical NER runs after this matcher (set by ``build_nlp``): a
        #: name that goes on into a longer name only the NER may link is left
        #: to it ("calcium" in "calcium channel blockers", "puromycin" in
        #: "puromycin aminonucleoside", both MeSH headings), since the NER
        #: cannot tag over a match.
        self.defer_to_ner = False

    def __call__(self, doc: Doc) -> Doc:
        if self.lexicon is None:
            raise ValueError(f"{self.name}: no lexicon set")
        words: list[str] = []
        spaces: list[str] = []
        for t in doc:  # one pass: each Token is an object spaCy makes on access
            words.append(t.text)
            spaces.append(t.whitespace_)
        keys = [normalise(w) for w in words]
        bounds = [(s.start, s.end) for s in doc.sents] if doc.has_annotation("SENT_START") else [
            (0, len(doc))
        ]  # fmt: skip
        found: list[Span] = []
        nothing: list[Span] = []
        for start, end in bounds:
            taken = self._names(doc, words, keys, start, end, found, nothing)
            self._symbols(doc, words, spaces, start, end, taken, found)
        doc.set_ents(sorted(found, key=lambda s: s.start))
        if nothing:
            doc.spans[NOT_MENTIONS] = nothing
        return doc

    def _span(self, doc: Doc, i: int, j: int, res: Resolution) -> Span:
        e = res.entry
        return Span(
            doc, i, j, label=NER_LABEL[e.label], span_id=f"{e.label}|{e.node_id}|{res.rule}"
        )

    def _names(
        self, doc: Doc, texts: list[str], keys: list[str], start: int, end: int,
        found: list[Span], nothing: list[Span],
    ) -> set[int]:  # fmt: skip
        """Names leftmost-longest; a candidate grows word by word while some name
        (or not-mention phrase) goes on from it (:meth:`Lexicon.name_prefixes`),
        so most words cost one lookup instead of ``max_words`` joins."""
        lex = self.lexicon
        assert lex is not None
        prefixes = lex.name_prefixes()
        taken: set[int] = set()
        i = start
        while i < end:
            if not keys[i]:
                i += 1
                continue
            best: tuple[int, list[Entry], str] | None = None
            ner_end = 0  # end of the longest name here that only the NER may link
            nothing_end = 0  # end of the longest phrase here that names nothing
            words: list[str] = []
            organ_at = -1  # the first modifier that is an organ's noun or adjective
            for j in range(i, end):
                if j > i and texts[j] == ":":
                    # a label and what follows it are no one name: "ALLERGIES:
                    # Latex" is no "allergies latex" (HPO's few names with a
                    # colon, "EMG: myotonic discharges", are labelled findings)
                    break
                if keys[j]:
                    if organ_at < 0 and words and words[-1] in ORGAN_WORD_SWAP:
                        organ_at = len(words) - 1
                    words.append(keys[j])
                    if len(words) > lex.max_words:
                        break
                    key = plain = " ".join(words)
                    how, swapped = "", ""
                    if key in lex.not_mentions:
                        nothing_end = j + 1
                    if organ_at >= 0:
                        # "benign prostate hypertrophy": notes use the organ's
                        # noun where the vocabularies write its adjective
                        other = ORGAN_WORD_SWAP[words[organ_at]]
                        swapped = " ".join([*words[:organ_at], other, *words[organ_at + 1 :]])
                        if key not in lex.names:
                            key, how = swapped, f"; organ word '{other}'"
                    if key in lex.names:
                        if matchable := lex.matchable(lex.names[key]):
                            best = (j + 1, matchable, how)
                        else:
                            ner_end = j + 1
                    if plain not in prefixes and swapped not in prefixes:
                        break  # no longer name starts with these words
            if nothing_end and nothing_end >= (best[0] if best else i + 1):
                # "body mass index": no "mass" inside it, and no symbol either;
                # a listed phrase that is a name as well names nothing ("urine output")
                taken.update(range(i, nothing_end))
                nothing.append(Span(doc, i, nothing_end))
                i = nothing_end
                continue
            if best is None:
                i += 1
                continue
            if self.defer_to_ner and ner_end > best[0]:
                i = ner_end
                continue
            res = lex.resolve(best[1])
            assert res is not None
            if best[2]:
                res = Resolution(res.entry, res.rule + best[2])
            found.append(self._span(doc, i, best[0], res))
            taken.update(range(i, best[0]))
            i = best[0]
        return taken

    def _symbols(
        self, doc: Doc, words: list[str], spaces: list[str],
        start: int, end: int, taken: set[int], found: list[Span],
    ) -> None:  # fmt: skip
        """Symbols in exact case over the tokens no name took, longest first.

        ``words``/``spaces``: each token's text and trailing whitespace, so a
        candidate's text (what ``doc[i:j].text`` gives) is joined from lists:
        making a Span per candidate was the extraction's largest Python cost
        once the encoder ran on int8 (docs/decisions/0024).
        """
        lex = self.lexicon
        assert lex is not None
        prefixes = lex.symbol_prefixes()
        i = start
        while i < end:
            if i in taken or words[i] not in prefixes:
                i += 1
                continue
            # the longest candidate that still starts some symbol's text
            last, text = i + 1, words[i]
            while last < min(end, i + MAX_SYMBOL_TOKENS):
                text += spaces[last - 1] + words[last]
                if text not in prefixes:
                    break
                last += 1
            hit = None
            for j in range(last, i, -1):
                if any(k in taken for k in range(i + 1, j)):
                    continue
                if _inside_hyphenated_word(words, spaces, i, j, start, end):
                    continue
                text = "".join(words[k] + spaces[k] for k in range(i, j - 1)) + words[j - 1]
                if text in lex.abbreviations:
                    hit = (j, Resolution(lex.abbreviations[text], CURATED))
                    break
                symbol = lex.symbols.get(text)
                if symbol and _a_header_word(text, words, i, j, start, end):
                    continue
                res = lex.resolve(lex.matchable(symbol)) if symbol else None
                if res is not None:
                    hit = (j, Resolution(res.entry, f"{SYMBOL_RULE}; {res.rule}"))
                    break
            if hit is None:
                i += 1
                continue
            found.append(self._span(doc, i, hit[0], hit[1]))
            i = hit[0]


def _inside_hyphenated_word(
    words: list[str], spaces: list[str], i: int, j: int, start: int, end: int
) -> bool:
    """Whether tokens ``i:j`` are only part of a hyphenated word: the tokenizer
    cuts "N10-propargyl-5,8-dideazafolic acid" at its hyphens, and "N10" alone
    is a gene symbol the chemical's name does not mean. A symbol must be the
    whole word ("IL-6", "HLA-B"), or end where a qualifier is stuck on
    ("IL-6-induced")."""
    before = (
        i - 2 >= start and words[i - 1] == "-" and not spaces[i - 2] and not spaces[i - 1]
    )
    after = (
        j + 1 < end and words[j] == "-" and not spaces[j - 1] and not spaces[j]
        and words[j + 1].lower() not in HYPHEN_QUALIFIERS
    )  # fmt: skip
    return before or after


def _a_header_word(text: str, words: list[str], i: int, j: int, start: int, end: int) -> bool:
    """Is the symbol an English stop word written in a run of capitals, as notes
    write headers ("INDICATIONS FOR PROCEDURE", "ALL OTHER SYSTEMS NEGATIVE")?
    Such "FOR" is no WWOX alias, such "ALL" no leukaemia; "diagnosed with ALL"
    still is (decision 0040)."""
    if text.lower() not in STOP_WORDS:
        return False
    near = [words[k] for k in (i - 1, j) if start <= k < end and words[k].isalpha()]
    return any(w.isupper() and len(w) > 1 for w in near)
