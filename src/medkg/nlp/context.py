"""Assertion context for entity mentions: negated, hypothetical, historical, family.

A ConText-style component (Chapman et al.): trigger phrases open a scope that runs
forward (``denies chest pain``) or backward (``chest pain was ruled out``) inside
the sentence until a terminator (``but``, ``however``...). Why not negspacy alone:
it only covers negation, and the product must also keep hypothetical and family
mentions out of patient facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span

FLAGS = ("negated", "hypothetical", "historical", "family")

_FORWARD: dict[str, list[str]] = {
    "negated": [
        "no", "not", "denies", "denied", "deny", "denying", "without", "negative for",
        "no evidence of", "no signs of", "no history of", "free of", "absence of",
        "never had", "rules out", "ruled out for", "resolved", "no complaints of", "nor",
        "fails to reveal", "not demonstrate", "no sign of", "unremarkable for",
    ],
    "hypothetical": [
        "if", "in case of", "should he develop", "should she develop", "should the patient",
        "return if", "watch for", "monitor for", "risk of", "at risk for", "concern for",
        "rule out", "r/o", "to exclude", "possible", "suspected", "evaluate for",
        # consent paragraphs list what could happen: "the risks and potential
        # complications ... include bleeding, infection, pulmonary embolism"
        # ("risk factors include diabetes" are the patient's: "risks" only; and
        # "complications included a wound infection" happened)
        "risks", "potential complications", "possible complications",
    ],
    "historical": [
        "history of", "h/o", "hx of", "past medical history", "previous", "prior",
        "status post", "s/p",
    ],
    "family": [
        "family history of", "family history", "mother", "father", "sister", "brother",
        "maternal", "paternal", "grandmother", "grandfather", "aunt", "uncle", "fhx",
    ],
}  # fmt: skip

_BACKWARD: dict[str, list[str]] = {
    "negated": [
        "was ruled out", "is ruled out", "were ruled out", "unlikely", "was negative",
        "not seen", "absent", "ruled out", "has been ruled out", "excluded", "was excluded",
    ],
    "hypothetical": ["to be ruled out", "is suspected", "was suspected", "was considered",
                     "is considered"],
    "historical": ["in the past", "years ago", "as a child"],
    "family": [
        "in his mother", "in her mother", "in his father", "in her father", "runs in the family",
    ],
}  # fmt: skip

_TERMINATORS = {
    "but",
    "however",
    "although",
    "though",
    "except",
    "aside",
    "which",
    "secondary",
    "apart",
}


@dataclass(frozen=True)
class _Trigger:
    flag: str
    start: int  # token index
    end: int
    forward: bool


def _phrase_re(phrases: list[str]) -> re.Pattern[str]:
    alts = sorted((re.escape(p) for p in phrases), key=len, reverse=True)
    return re.compile(r"(?<![\w/])(?:" + "|".join(alts) + r")(?![\w/])", re.IGNORECASE)


_PATTERNS = [
    (flag, forward, _phrase_re(phrases))
    for forward, table in ((True, _FORWARD), (False, _BACKWARD))
    for flag, phrases in table.items()
]

for _flag in FLAGS:
    if not Span.has_extension(_flag):
        Span.set_extension(_flag, default=False)


def _triggers(sent: Span) -> list[_Trigger]:
    found = []
    text, offset = sent.text, sent.start_char
    for flag, forward, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            span = sent.doc.char_span(offset + m.start(), offset + m.end(), alignment_mode="expand")
            if span is not None:
                found.append(_Trigger(flag, span.start, span.end, forward))
    return found


def _terminator_between(doc: Doc, a: int, b: int) -> bool:
    return any(doc[i].lower_ in _TERMINATORS or doc[i].text == ";" for i in range(a, b))


@Language.component("medkg_context")
def context_component(doc: Doc) -> Doc:
    """Set ``ent._.negated`` / ``hypothetical`` / ``historical`` / ``family``."""
    by_sentence: dict[int, list] = {}  # type: ignore[type-arg]
    for ent in doc.ents:  # one pass, not one per sentence: notes may have thousands
        by_sentence.setdefault(ent.sent.start, []).append(ent)
    for sent in doc.sents:
        ents = by_sentence.get(sent.start)
        if not ents:
            continue
        # A trigger inside any entity is part of that entity's name, not a cue:
        # "Absent radius", "Migraine without aura", "Partial absence of cerebellar
        # vermis" name findings the patient has, and must not negate the other
        # findings of a list ("short stature, absent thumb and microcephaly").
        triggers = [
            t for t in _triggers(sent)
            if not any(t.start < e.end and e.start < t.end for e in ents)
        ]  # fmt: skip
        for ent in ents:
            for t in triggers:
                before = t.forward and t.end <= ent.start
                after = not t.forward and ent.end <= t.start
                if (before and not _terminator_between(doc, t.end, ent.start)) or (
                    after and not _terminator_between(doc, ent.end, t.start)
                ):
                    setattr(ent._, t.flag, True)
    return doc
