"""Sentence boundaries the rest of the pipeline can afford.

Why cap a sentence's length: relation rules, the CID classifier and the
negation scopes work on pairs of mentions within a sentence, so their cost
grows with the square of a sentence's mentions. Text without sentence breaks
("fever fever fever ..." for 100,000 characters, a pasted table, a list with no
full stops) is one "sentence" to the sentencizer; measured before this cap,
20,000 characters of it took 5.5 s to extract and 100,000 over two minutes.
Real clinical sentences are far shorter than the cap, so they are untouched.

And one boundary the sentencizer gets wrong is undone: the full stop of "etc."
(or "e.g.", "i.e.", "vs.") before a word in lower case or a list's
semicolon ends no sentence. "Risks include bleeding; injury to bowel, etc.;
small-bowel obstruction; abdominal hernia" is one list, and the cue that
opened it governs all of it. So does a prescription's Latin ("p.o.", "b.i.d.",
"q.4h.", "p.r.n."): "Vicodin 1 p.o. q.4h. p.r.n. pain" was four sentences, and
the as-needed cue never reached its pain.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

#: Longer "sentences" are cut (the fine-tuned NER reads at most 128 words at once too).
MAX_SENTENCE_TOKENS = 128
_SOFT_BREAKS = {",", ";", ":", "|", "-", "\u2022"}
#: Abbreviations whose full stop ends no sentence before a lower-case word.
_NO_END_BEFORE_LOWER = frozenset({"etc", "e.g", "i.e", "vs", "approx", "incl", "cf"})
#: A prescription's abbreviations (route, frequency, as needed), which notes
#: write with full stops: "p.o", "b.i.d", "q.4h", "q.4-6h", "p.r.n", "q.h.s".
_DOSING = re.compile(
    r"(?:p\.o|p\.r|b\.i\.d|t\.i\.d|q\.i\.d|q\.o\.d|q\.d|q\.a\.m|q\.p\.m|q\.?h\.s|h\.s|a\.c|p\.c"
    r"|p\.r\.n|s\.l|i\.v|i\.m|s\.c|q\.? ?\d+(?:-\d+)?\.? ?h(?:rs?|ours?)?)",
    re.IGNORECASE,
)


def _no_end_word(word: str) -> bool:
    """Whether an abbreviation (without its last full stop) ends no sentence
    before a lower-case word."""
    return word.lower() in _NO_END_BEFORE_LOWER or _DOSING.fullmatch(word) is not None


class SentenceCap:
    """Cut sentences longer than ``max_tokens``, after a comma or semicolon where
    one falls in the second half of the window, else at the limit."""

    def __init__(self, max_tokens: int = MAX_SENTENCE_TOKENS) -> None:
        self.max_tokens = max_tokens

    def __call__(self, doc: Doc) -> Doc:
        if doc.has_annotation("DEP"):  # a parser's sentences cannot be re-cut
            return doc
        for sent in list(doc.sents)[1:]:
            if _after_abbreviation(doc, sent.start):
                doc[sent.start].is_sent_start = False
        for sent in list(doc.sents):
            start = sent.start
            while sent.end - start > self.max_tokens:
                limit = start + self.max_tokens
                cut = limit
                for i in range(limit - 1, start + self.max_tokens // 2, -1):
                    if doc[i].text in _SOFT_BREAKS:
                        cut = i + 1
                        break
                doc[cut].is_sent_start = True
                start = cut
        return doc


def _after_abbreviation(doc: Doc, start: int) -> bool:
    """Whether the sentence starting at token ``start`` only follows an
    abbreviation's full stop ("etc." then "; small-bowel obstruction")."""
    first = doc[start]
    if not (first.text[:1].islower() or first.text in {";", ","}):
        return False
    i = start - 1
    while i > 0 and doc[i].text in {";", ","}:
        i -= 1
    if doc[i].text == "." and i > 0:  # "etc" "." as two tokens
        return _no_end_word(doc[i - 1].text)
    return doc[i].text.endswith(".") and _no_end_word(doc[i].text[:-1])  # "e.g."


@Language.factory("medkg_sentence_cap", default_config={"max_tokens": MAX_SENTENCE_TOKENS})
def make_sentence_cap(nlp: Language, name: str, max_tokens: int) -> SentenceCap:
    return SentenceCap(max_tokens)
