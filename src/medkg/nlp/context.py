"""Assertion context for entity mentions: negated, hypothetical, historical, family.

A ConText-style component (Chapman et al.): trigger phrases open a scope that runs
forward (``denies chest pain``) or backward (``chest pain was ruled out``) inside
the sentence until a terminator (``but``, ``however``...). Why not negspacy alone:
it only covers negation, and the product must also keep hypothetical and family
mentions out of patient facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span

from medkg.nlp.sections import Section  # registers Span._.section

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
        "return if", "watch for", "monitor for", "risk of", "at risk for", "risk for",
        "concern for", "possibility of", "possibility to",
        "rule out", "r/o", "to exclude", "possible", "suspected", "evaluate for",
        # a check for something, not its finding: "a sponge stick was used to
        # assess any bleeding", "checked for hemostasis", "examining for cancer"
        "assess any", "assess for", "check for", "checked for", "checking for",
        "inspected for", "looked for", "looking for", "examining for",
        # a diagnosis in question: "Headaches, question of temporal arteritis"
        "question of", "questionable",
        # consent paragraphs list what could happen: "the risks and potential
        # complications ... include bleeding, infection, pulmonary embolism"
        # ("risk factors include diabetes" are the patient's: "risks" only; and
        # "complications included a wound infection" happened)
        "risks", "potential complications", "possible complications",
        # and a plan's talk of what could happen, named bare: "We have discussed
        # bleeding, infection, ... MI, stroke, and death" (the patient's own
        # condition comes with a determiner: a pseudo-trigger below)
        "discussed", "discuss",
        # what care avoids or a step prevents has not happened: "care was taken
        # to avoid injury to the nerves", "to prevent cerebrospinal fluid leak"
        "avoid", "avoiding", "prevent", "preventing", "prophylaxis against",
        "prophylaxis for",
        # a drug's as-needed indication: "Vicodin p.r.n. pain" (only the finding
        # right after it: :data:`_NEXT_ONLY`)
        "p.r.n.", "p.r.n", "prn", "as needed for", "as needed",
        # a differential: "complex renal cyst versus renal cell carcinoma or other
        # tumor" (and the one finding before it: :data:`_PREVIOUS_ONLY`)
        "versus", "vs.", "vs",
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
        # "pain free", "pain-free" (the finding right before it only: :data:`_ADJACENT`)
        "free",
    ],
    "hypothetical": ["to be ruled out", "is suspected", "was suspected", "was considered",
                     "is considered", "versus", "vs.", "vs"],
    "historical": ["in the past", "years ago", "as a child"],
    "family": [
        "in his mother", "in her mother", "in his father", "in her father", "runs in the family",
    ],
}  # fmt: skip

#: Triggers whose scope is the one entity right after them, and only a finding
#: (not a chemical): "Tylenol p.r.n. headache" is an indication, not the
#: patient's headache; "Tylenol as needed, lisinopril daily" leaves lisinopril.
_NEXT_ONLY = frozenset({"p.r.n.", "p.r.n", "prn", "as needed for", "as needed"})
#: Backward triggers whose scope is the one entity right before them: the first
#: term of a differential ("insidious fistula versus tract"), not the whole
#: sentence before it ("He has diabetes and a renal cyst versus carcinoma").
_PREVIOUS_ONLY = frozenset({"versus", "vs.", "vs"})

#: Backward triggers whose scope is the entity right before them, nothing or a
#: hyphen between: "back to normal and pain free now", "pain-free since the
#: surgery" ("otherwise symptom free" after "knee pain" negates no pain).
_ADJACENT = frozenset({"free"})
#: Triggers that reach a chemical only when it is the first entity after them:
#: "1% lidocaine without epinephrine using a tuberculin syringe and 0.5 cc of
#: lidocaine" gave no epinephrine, and lidocaine all the same, while "without
#: fever, chills or night sweats" negates the whole list of findings.
_CHEMICAL_NEXT_ONLY = frozenset({"without"})
#: Triggers that introduce a list: their scope runs on over the list's
#: semicolons ("risks to include bleeding; infection; injury to bowel").
_LIST_TRIGGERS = frozenset({"risks", "potential complications", "possible complications"})
#: Terminators a list trigger's scope runs over besides semicolons: "the risks
#: were discussed, which include bleeding, infection".
_LIST_GOES_ON = frozenset({"which"})
#: Phrases that look like cues and are none (ConText's pseudo-triggers): their
#: words neither open nor close a scope ("risks to include but not be limited
#: to bleeding" lists risks; its "but" ends nothing and its "not" negates
#: nothing; "mother states" reports, it is no family history; "not helped
#: with Detrol" took Detrol; "without difficulty" negates nothing).
_PSEUDO = re.compile(
    r"(?<![\w/])(?:but (?:(?:are|is|be|was|were) )?(?:not )?(?:be )?limited to"
    # a relative who tells or notices something about the patient: "the mother
    # states that he developed a fever" is the child's fever
    r"|(?:mother|father|parents?|mom|dad) (?:states|stated|says|said|reports|reported"
    r"|relates|related|notes|noted|noticed|thinks|feels|felt|brought)"
    # a conversation with a parent: "I talked to the mother and told her that the
    # cellulitis is resolving", "spoke with his father by phone" (the child's)
    r"|(?:talked|talking|spoke|speaking|met|meeting|discussed|explained|called|"
    r"reassured|counseled|counselled)(?: [a-z]+){0,3}? (?:to|with) (?:the |his |her |their )?"
    r"(?:patient's )?(?:mother|father|parents?|mom|dad)"
    r"|(?:told|informed|reassured) (?:the |his |her |their )?(?:mother|father|parents?|mom|dad)"
    # an operative note's ease: "reducing the hernia without difficulty" or
    # "without difficulty reducing the hernia" negates no hernia
    r"|without (?:any )?(?:difficulty|difficulties|incident)"
    # a treatment that did not work was taken: "urge incontinence, not helped
    # with Detrol", "pain not relieved by morphine"
    r"|not (?:been )?(?:helped|relieved|controlled|improved) (?:by|with|on)"
    # an intolerance is affirmed, and the drug is an allergen (allergies.py):
    # "could not tolerate penicillin due to allergy" reports the allergy
    r"|(?:could|can|cannot|did|does|would|will) (?:not |really not |not really )?tolerate"
    r"|unable to tolerate"
    # a drug kept or no longer taken is no negated drug: "did not stop his
    # aspirin" takes it, "no longer taking metformin" took it (discontinued,
    # medication_status.py)
    r"|(?:not|never) (?:stop(?:ped)?|discontinued?|c[oa]me off|go off|went off|been off)"
    r"|no longer (?:taking|takes|on|using|uses|receiving|receives|needs|requires)"
    r"|(?:did not|does not|not|failed to) (?:respond(?:ing)?|responsive) to"
    # a discussion of the patient's own condition or of its results: "discussed
    # his diabetes", "discussed the diagnosis of hydrocele", "discussed with him"
    r"|discuss(?:ed)? (?:(?:this|these|that|those|the|his|her|their|its|my|our|your|it|them|with"
    r"|results?|findings?|diagnos[ie]s)(?![\w/])|(?:the )?patient's))(?![\w/])",
    re.IGNORECASE,
)

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
    # a new event: "history of erectile dysfunction, last visit started on
    # Cialis" (Cialis is current), "denies chest pain, started on aspirin"
    "started",
    "restarted",
    "initiated",
    # a time from which something holds: "has not had any urinary tract infection
    # since he has been on Proscar" (on Proscar), "no pain since starting aspirin"
    "since",
}


@dataclass(frozen=True)
class _Trigger:
    flag: str
    start: int  # token index
    end: int
    forward: bool
    #: the scope runs over semicolons (:data:`_LIST_TRIGGERS`)
    over_lists: bool = False
    #: the scope is the nearest entity only: the next one, a finding, for a
    #: forward trigger (:data:`_NEXT_ONLY`), the previous one for a backward
    #: trigger (:data:`_PREVIOUS_ONLY`)
    next_only: bool = False
    #: a chemical in the scope must be the next entity (:data:`_CHEMICAL_NEXT_ONLY`)
    chemical_next_only: bool = False
    #: the scope is the entity right before the trigger (:data:`_ADJACENT`)
    adjacent: bool = False


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


def phrase_spans(
    sent: Span, pattern: re.Pattern[str], text: str | None = None
) -> Iterator[tuple[str, Span]]:
    """Each match of ``pattern`` in the sentence, with the tokens it covers.
    ``text``: the sentence's text where the caller has it; ``Span.text`` joins
    the sentence token by token on every call, and a sentence is searched
    for each cue table in turn."""
    for m in pattern.finditer(sent.text if text is None else text):
        span = sent.doc.char_span(
            sent.start_char + m.start(), sent.start_char + m.end(), alignment_mode="expand"
        )
        if span is not None:
            yield m.group(0), span


def _pseudo_tokens(sent: Span, ents: Sequence[Span], text: str) -> set[int]:
    """Token indices inside the sentence's pseudo-triggers (:data:`_PSEUDO`),
    but for one that overlaps an entity of ``ents`` (the sentence's; not
    ``sent.ents``, which walks all the doc's entities for every sentence):
    "without difficulty breathing" is no "without difficulty", its "without"
    negates the entity."""
    spans = [span for _, span in phrase_spans(sent, _PSEUDO, text)]
    if not spans:
        return set()
    entity = {i for ent in ents for i in range(ent.start, ent.end)}
    return {
        i
        for span in spans
        if entity.isdisjoint(range(span.start, span.end))
        for i in range(span.start, span.end)
    }


def _triggers(sent: Span, pseudo: set[int], sent_text: str) -> list[_Trigger]:
    found = []
    for flag, forward, pattern in _PATTERNS:
        for text, span in phrase_spans(sent, pattern, sent_text):
            if not pseudo.intersection(range(span.start, span.end)):
                key = text.lower()
                found.append(
                    _Trigger(flag, span.start, span.end, forward, key in _LIST_TRIGGERS,
                             key in (_NEXT_ONLY if forward else _PREVIOUS_ONLY),
                             forward and key in _CHEMICAL_NEXT_ONLY,
                             not forward and key in _ADJACENT)
                )  # fmt: skip
    return found


#: Two-word terminators: a cause ("could not tolerate penicillin due to
#: allergy": the allergy is not negated) and a new clause with its own verb
#: ("would not stand upright, and had significant discomfort").
_TERMINATOR_PAIRS = {
    "due": frozenset({"to"}),
    "because": frozenset({"of"}),
    "and": frozenset({
        "had", "has", "have", "was", "is", "were", "are", "developed", "reports", "reported",
        "complains", "complained", "presents", "presented", "now", "then", "subsequently",
    }),
}  # fmt: skip


def terminator_between(
    doc: Doc, a: int, b: int, pseudo: AbstractSet[int] = frozenset(), over_lists: bool = False
) -> bool:
    """Whether a cue's scope ends between tokens ``a`` and ``b``: a terminator
    word ("but", "however"...), a semicolon (unless the cue runs over lists), a
    cause ("due to") or a new clause ("and had"). :mod:`.allergies` reads an
    allergy cue's scope the same way."""
    ends = _TERMINATORS - _LIST_GOES_ON if over_lists else _TERMINATORS
    for i in range(a, b):
        if i in pseudo:
            continue
        word = doc[i].lower_
        if word in ends or (doc[i].text == ";" and not over_lists):
            return True
        if word in _TERMINATOR_PAIRS and i + 1 < b and doc[i + 1].lower_ in _TERMINATOR_PAIRS[word]:
            return True
    return False


#: Section kinds (:mod:`.sections`) that set a flag on every mention under them.
SECTION_FLAGS = {"family": "family", "historical": "historical"}


@Language.component("medkg_context")
def context_component(doc: Doc) -> Doc:
    """Set ``ent._.negated`` / ``hypothetical`` / ``historical`` / ``family``.

    The cues work inside a sentence; a note's section heading (``FAMILY
    HISTORY:``, set by ``medkg_sections`` when that component runs first)
    flags every mention under it as well."""
    for ent in doc.ents:
        section: Section | None = ent._.section
        if section is not None and section.kind in SECTION_FLAGS:
            setattr(ent._, SECTION_FLAGS[section.kind], True)
    by_sentence: dict[int, list] = {}  # type: ignore[type-arg]
    for ent in doc.ents:  # one pass, not one per sentence: notes may have thousands
        by_sentence.setdefault(ent.sent.start, []).append(ent)
    listing: _Trigger | None = None  # a cue whose numbered list runs on
    previous: Span | None = None
    doc_text = doc.text  # once: a sentence's own .text is built token by token
    for sent in doc.sents:
        sent_text = doc_text[sent.start_char : sent.end_char]
        ents = by_sentence.get(sent.start, [])
        if listing is not None and previous is not None and _continues_list(previous, sent):
            for ent in ents:
                setattr(ent._, listing.flag, True)
        else:
            listing = None
        previous = sent
        opens_list = bool(_INTRODUCES_LIST.search(sent_text))
        if not ents and not opens_list:
            continue
        # A trigger inside any entity is part of that entity's name, not a cue:
        # "Absent radius", "Migraine without aura", "Partial absence of cerebellar
        # vermis" name findings the patient has, and must not negate the other
        # findings of a list ("short stature, absent thumb and microcephaly").
        pseudo = _pseudo_tokens(sent, ents, sent_text)
        triggers = [
            t for t in _triggers(sent, pseudo, sent_text)
            if not any(t.start < e.end and e.start < t.end for e in ents)
        ]  # fmt: skip
        for ent in ents:
            for t in triggers:
                if t.adjacent:
                    between = doc[ent.end : t.start] if ent.end <= t.start else None
                    if between is not None and all(tok.text == "-" for tok in between):
                        setattr(ent._, t.flag, True)
                    continue
                if t.next_only:
                    if (
                        t.forward and ent.label_ != "CHEMICAL" and ent is first_after(ents, t.end)
                    ) or (not t.forward and ent is last_before(ents, t.start)):
                        setattr(ent._, t.flag, True)
                    continue
                if (
                    t.chemical_next_only
                    and ent.label_ == "CHEMICAL"
                    and ent is not first_after(ents, t.end)
                ):
                    continue
                before = t.forward and t.end <= ent.start
                after = not t.forward and ent.end <= t.start
                if (
                    before and not terminator_between(doc, t.end, ent.start, pseudo, t.over_lists)
                ) or (after and not terminator_between(doc, ent.end, t.start, pseudo)):
                    setattr(ent._, t.flag, True)
        if opens_list:
            listing = next(
                (
                    t for t in sorted(triggers, key=lambda t: -t.end)
                    if t.forward
                    and not terminator_between(doc, t.end, sent.end, pseudo, t.over_lists)
                ),
                listing,
            )  # fmt: skip
    return doc


def first_after(ents: Sequence[Span], i: int) -> Span | None:
    """The first of the sentence's entities that starts at or after token ``i``
    (the scope of a next-only cue here, a stopping cue's drug in
    :mod:`.medication_status`)."""
    return min((e for e in ents if e.start >= i), key=lambda e: e.start, default=None)


def last_before(ents: Sequence[Span], i: int) -> Span | None:
    """The last of the sentence's entities that ends at or before token ``i``."""
    return max((e for e in ents if e.end <= i), key=lambda e: e.end, default=None)


#: A sentence that ends by opening a list: "... include, but are not limited
#: to:,1." (the sentencizer cuts after each item's number).
_INTRODUCES_LIST = re.compile(r":[\s,]*(?:\d{1,2}[.)][\s,]*)?$")
_ITEM_STARTS = re.compile(r"^[\s,;]*\d{1,2}[.)](?:\s|$)")
_NUMBER_ENDS = re.compile(r"(?:^|[\s,:;])\d{1,2}[.)][\s,]*$")


def _continues_list(previous: Span, sent: Span) -> bool:
    """Whether ``sent`` is the next item of a numbered list: it starts with the
    item's number, or the sentence before ended with it ("Infection.,2.").

    Why: a cue that opens a list ("Potential complications include:,1.
    Infection.,2. Bleeding.") governs every item, and each item is a sentence
    of its own. The list ends at the first sentence that is no item, and so at
    the next section heading."""
    return bool(_ITEM_STARTS.match(sent.text) or _NUMBER_ENDS.search(previous.text))
