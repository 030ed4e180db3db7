"""Sentence boundaries the rest of the pipeline can afford.

Why cap a sentence's length: relation rules, the CID classifier and the
negation scopes work on pairs of mentions within a sentence, so their cost
grows with the square of a sentence's mentions. Text without sentence breaks
("fever fever fever ..." for 100,000 characters, a pasted table, a list with no
full stops) is one "sentence" to the sentencizer; measured before this cap,
20,000 characters of it took 5.5 s to extract and 100,000 over two minutes.
Real clinical sentences are far shorter than the cap, so they are untouched.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

#: Longer "sentences" are cut (the fine-tuned NER reads at most 128 words at once too).
MAX_SENTENCE_TOKENS = 128
_SOFT_BREAKS = {",", ";", ":", "|", "-", "\u2022"}


class SentenceCap:
    """Cut sentences longer than ``max_tokens``, after a comma or semicolon where
    one falls in the second half of the window, else at the limit."""

    def __init__(self, max_tokens: int = MAX_SENTENCE_TOKENS) -> None:
        self.max_tokens = max_tokens

    def __call__(self, doc: Doc) -> Doc:
        if doc.has_annotation("DEP"):  # a parser's sentences cannot be re-cut
            return doc
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


@Language.factory("medkg_sentence_cap", default_config={"max_tokens": MAX_SENTENCE_TOKENS})
def make_sentence_cap(nlp: Language, name: str, max_tokens: int) -> SentenceCap:
    return SentenceCap(max_tokens)
