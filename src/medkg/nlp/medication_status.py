"""Discontinued medications: "he was taken off Plavix", "Coumadin was
discontinued", "switched from Fortaz to ciprofloxacin" name a drug the patient
took and no longer takes.

Why: read as plain drug mentions they were current drug facts, the same as
"she takes lisinopril", so a researcher asking which patients are on a drug
counted the ones taken off it, and a treatment ranking for the patient could
not tell a drug the patient is on from one that was stopped (often for a
reason: "stopped the Macrodantin due to hives"). ConText's ``historical``
class is about findings of the past ("history of MI"); a drug's status is told
by other words, and by where they stand, so it has a component of its own. A
chemical mention is *discontinued* (``ent._.discontinued``) when

- it stands under a heading of stopped drugs (section kind ``discontinued``,
  :mod:`.sections`: "DISCONTINUED MEDICATIONS:", "PREVIOUS MEDICATIONS:");
- a stopping cue comes right before it ("stopped", "discontinued", "taken
  off", "off of", "came off", "switched from", "no longer taking",
  "previously on"), at most :data:`MAX_GAP` words apart ("stopped taking his
  aspirin") and not after a modal or a plan ("will discontinue Ditropan",
  "cannot be taken off Coumadin", "approved to get off of the Plavix": the
  patient is still on it);
- a stopping cue in the past follows it ("Coumadin was discontinued", "his
  aspirin has since been stopped", "Lasix is no longer needed");
- a switch to another drug follows it ("was kept on Fortaz, and was switched
  over to ciprofloxacin");
- it continues a list that one of those reaches ("stopped aspirin and
  Plavix", "aspirin 81 mg and Plavix were discontinued"; a singular verb
  after a list reaches its last drug only: "takes lisinopril and Coumadin was
  stopped").

The scope is the drug list next to the cue and no further: "Fortaz was
discontinued and he was started on ciprofloxacin" leaves ciprofloxacin
current. A discontinued drug is still a fact (the patient took it); the
mention carries the flag, the ingest writes it on the mention's provenance, and
a treatment ranking says which ranked drugs the patient takes or took
(:mod:`medkg.fusion.patient_medications`). Imperatives of a plan ("Discontinue
aspirin.") are not cues: at the time of the note the patient is on the drug.
Decision 0048.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.language import Language
from spacy.tokens import Doc, Span

from medkg.nlp.context import first_after, last_before, phrase_spans
from medkg.nlp.measurements import DOSE_UNITS
from medkg.nlp.sections import under_section

#: Entity labels a medication status applies to: the NER's and the name matcher's chemicals.
MEDICATION_LABELS = frozenset({"CHEMICAL"})
#: Section kind (:mod:`.sections`) whose chemicals are discontinued.
DISCONTINUED_SECTION = "discontinued"
#: Cues whose scope is the drug list right after them.
_CUE_BEFORE = re.compile(
    r"(?<![\w/])(?:stopped|discontinued|quit|taken off|came off|come off|went off|gone off"
    r"|weaned off|tapered off|been off|was off|were off|is off|is now off|are off|off of|off"
    r"|switched (?:him |her |them )?from|changed (?:him |her |them )?from|converted from"
    r"|no longer (?:taking|takes|on|using|uses|receiving|receives|needs|requires)"
    r"|previously (?:on|taking|took|received|receiving|tried|treated with)"
    r"|formerly on|used to take|failed)(?![\w/])",
    re.IGNORECASE,
)
#: Cues after a drug, in the past: "was discontinued", "has since been stopped".
_CUE_AFTER = re.compile(
    r"(?<![\w/])(?:was|were|has|have|had|is|are|got)"
    r"(?: (?:since|then|now|subsequently|eventually|recently|already|later|finally))?"
    r"(?: been)? (?:discontinued|stopped|d/c'd|dc'd|withdrawn|tapered off)"
    r"|(?:is|was|are|were) no longer (?:needed|required|indicated|necessary|used|taken|given)"
    r"(?![\w/])",
    re.IGNORECASE,
)
#: A switch to another drug: the drug before it is the one stopped ("was kept on
#: Fortaz, and was switched over to ciprofloxacin").
_SWITCH_TO = re.compile(
    r"(?<![\w/])(?:switched|changed|converted)(?: (?:him|her|them))?(?: over)? to(?![\w/])",
    re.IGNORECASE,
)
#: Words allowed between the stopped drug and a switch after it.
_SWITCH_GAP = frozenset({
    ",", "and", "then", "was", "were", "is", "has", "had", "been", "he", "she", "they",
    "subsequently", "later", "eventually", "finally", "so", "but",
})  # fmt: skip
#: Words before a cue that make it a plan or a possibility, not a fact: "will
#: discontinue", "cannot be taken off", "allowed to off her Coumadin", "did not
#: stop", "approved to get off of the Plavix".
_NOT_YET = frozenset({
    "will", "would", "to", "should", "shall", "can", "cannot", "could", "may", "might",
    "must", "not", "never", "plan", "plans", "planned", "planning", "going", "want",
    "wants", "wanted", "please", "if", "unless", "until", "need", "needs", "get", "be",
    "being", "consider", "considering",
})  # fmt: skip
#: How many words before a forward cue :data:`_NOT_YET` is looked for in.
NOT_YET_WINDOW = 3
#: Words allowed between a forward cue and the drug: "stopped taking his
#: aspirin", "off of the Coumadin", "discontinued all of her home Lasix".
_GAP_WORDS = frozenset({
    "the", "his", "her", "their", "a", "an", "all", "of", "taking", "using", "use", "home",
    "oral", "po", "iv", "daily", "prophylactic", "therapeutic",
})  # fmt: skip
#: At most this many words between a cue and its drug.
MAX_GAP = 3
#: Words allowed between two drugs of one list (and between a drug and a cue
#: after it, with dose words): "aspirin, Plavix and Coumadin", "Lasix 40 mg and
#: aspirin were stopped".
_LIST_WORDS = frozenset({",", "and", "or", "/", "&", "as", "well", "plus", "both", "also"})
_DOSE_WORDS = DOSE_UNITS | {
    "daily", "nightly", "b.i.d.", "t.i.d.", "q.i.d.", "bid", "tid", "qid", "q.d.", "qd",
    "p.o.", "po", "iv", "therapy", "treatment", "infusion", "drip", "dose", "doses",
}  # fmt: skip
#: A singular verb before a cue after the drug reaches that drug only: "She
#: takes lisinopril and Coumadin was stopped" (but "aspirin and Plavix were").
_SINGULAR = frozenset({"is", "was", "has"})
_NUMBER = re.compile(r"^\d+(?:[.,/]\d+)*$")

if not Span.has_extension("discontinued"):
    Span.set_extension("discontinued", default=False)


@Language.component("medkg_medication_status")
def medication_status_component(doc: Doc) -> Doc:
    """Set ``ent._.discontinued`` on the chemicals a note says the patient no
    longer takes (module docstring). Runs after ``medkg_sections``."""
    by_sentence: dict[int, list[Span]] = {}
    for ent in doc.ents:
        if ent.label_ not in MEDICATION_LABELS:
            continue
        if under_section(ent, DISCONTINUED_SECTION):
            ent._.discontinued = True
        by_sentence.setdefault(ent.sent.start, []).append(ent)
    for drugs in by_sentence.values():
        sent = drugs[0].sent
        for _, cue in phrase_spans(sent, _CUE_BEFORE):
            if not _not_yet(doc, cue.start, sent.start):
                _mark_list(doc, drugs, _reached_after(doc, drugs, cue.end), forward=True)
        for text, cue in phrase_spans(sent, _CUE_AFTER):
            # "... and Coumadin was stopped": a singular verb reaches one drug
            one = text.split()[0].lower() in _SINGULAR
            _mark_list(doc, drugs, _reached_before(doc, drugs, cue.start), False, one)
        for _, cue in phrase_spans(sent, _SWITCH_TO):
            if not _not_yet(doc, cue.start, sent.start):
                _mark_list(doc, drugs, _switched_drug(doc, drugs, cue), forward=False)
    return doc


def _switched_drug(doc: Doc, drugs: list[Span], cue: Span) -> int | None:
    """Index in ``drugs`` of the drug a switch to another drug stops: in "was
    kept on Fortaz, and was switched over to ciprofloxacin" the drug before the
    cue, across :data:`_SWITCH_GAP` words. Only when a drug follows the
    switch: "switched to a soft diet" stops nothing."""
    after = first_after(drugs, cue.end)
    if after is None or after.start - cue.end > MAX_GAP:
        return None
    return _reached_before(
        doc, drugs, cue.start, MAX_GAP + 3, lambda w: w in _SWITCH_GAP or _is_dose(w)
    )


def _not_yet(doc: Doc, cue_start: int, sent_start: int) -> bool:
    """Whether a modal or plan word stands in the few words before the cue."""
    for i in range(cue_start - 1, max(sent_start, cue_start - NOT_YET_WINDOW) - 1, -1):
        word = doc[i].lower_
        if word in _NOT_YET:
            return True
        if doc[i].is_punct:
            return False
    return False


def _reached_after(doc: Doc, drugs: list[Span], i: int) -> int | None:
    """Index in ``drugs`` of the drug the cue ending at token ``i`` reaches: the
    next one, through at most :data:`MAX_GAP` of :data:`_GAP_WORDS`."""
    ent = first_after(drugs, i)
    if ent is None:
        return None
    gap = doc[i : ent.start]
    ok = len(gap) <= MAX_GAP and all(t.lower_ in _GAP_WORDS for t in gap)
    return drugs.index(ent) if ok else None


def _reached_before(
    doc: Doc,
    drugs: list[Span],
    i: int,
    max_gap: int = MAX_GAP + 1,
    allowed: Callable[[str], bool] | None = None,
) -> int | None:
    """Index in ``drugs`` of the drug a cue starting at token ``i`` follows: the
    one before it, through at most ``max_gap`` words ``allowed`` accepts (dose
    words unless given)."""
    ent = last_before(drugs, i)
    if ent is None:
        return None
    allowed = allowed or _is_dose
    gap = doc[ent.end : i]
    ok = len(gap) <= max_gap and all(allowed(t.lower_) for t in gap)
    return drugs.index(ent) if ok else None


def _is_dose(word: str) -> bool:
    return word in _DOSE_WORDS or bool(_NUMBER.match(word))


def _glued(doc: Doc, a: Span, b: Span) -> bool:
    """Whether drug ``b`` continues the list drug ``a`` is in (``a`` before ``b``)."""
    between = doc[a.end : b.start]
    return any(t.lower_ in _LIST_WORDS for t in between) and all(
        t.lower_ in _LIST_WORDS or _is_dose(t.lower_) for t in between
    )


def _mark_list(
    doc: Doc, drugs: list[Span], k: int | None, forward: bool, one: bool = False
) -> None:
    """Mark drug ``k`` and (unless ``one``) the drugs its list goes on with, away
    from the cue."""
    if k is None:
        return
    drugs[k]._.discontinued = True
    if one:
        return
    step = 1 if forward else -1
    j = k
    while 0 <= j + step < len(drugs):
        a, b = (drugs[j], drugs[j + step]) if forward else (drugs[j + step], drugs[j])
        if not _glued(doc, a, b):
            return
        j += step
        drugs[j]._.discontinued = True
