"""Sections of a clinical note: where a heading such as ``FAMILY HISTORY:`` starts
what follows, and what that says about the mentions under it.

Why: assertion context from cue words works inside one sentence, but a note's
headings set the context of whole paragraphs. Under ``FAMILY HISTORY:``,
"Significant for hypertension, hyperlipidemia, diabetes" names the relatives'
conditions with no cue word in the sentence; read sentence by sentence, they
became the patient's facts. Under ``PAST MEDICAL HISTORY:`` a condition is
historical. And the heading itself is a label, not a statement: "ALLERGIES"
named the disease allergy, "RE:" a syndrome's symbol. medspaCy's sectionizer
does the same for the same reason; this one knows the few section kinds that
change a mention's flags and records every heading's name on the mentions
under it, so a researcher can filter facts by section.

Headings are found by their shape, not from a closed list: a phrase in
capitals ending in a colon at the start of a line or after a comma or full stop
(MTSamples writes ``...none.,FAMILY HISTORY: , Significant for...``), a short
capitalised phrase ending in a colon at the start of a line ("Home
medications:"), or one of ``sections.tsv``'s headings in any case there.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cache

from spacy.language import Language
from spacy.tokens import Doc, Span

from medkg.nlp.packaged import packaged_rows

#: Section kinds: ``family`` mentions are the relatives', ``historical`` ones
#: the patient's past (:mod:`.context` flags them); under a ``procedure``
#: heading, the operative narrative, some names mean the operation's own things
#: ("the wound" is the incision: ``not_names.tsv``); under an ``allergies``
#: heading a drug is one the patient must not be given (:mod:`.allergies`);
#: under a ``discontinued`` one a drug the patient no longer takes
#: (:mod:`.medication_status`).
#: Every other heading is kind ``other``. A heading the table does not list
#: gets its kind from its words.
KINDS: dict[str, re.Pattern[str]] = {
    # a relative's own heading ("MOTHER: breast cancer") is family history too
    "family": re.compile(
        r"\bfamily (?:medical )?(?:history|hx)\b|^fhx?$|^(?:mother|father|sisters?|brothers?"
        r"|siblings?|parents|maternal|paternal|grand(?:mother|father|parents)|aunts?|uncles?)\b"
    ),
    "historical": re.compile(
        r"\bpast (?:[a-z/]+ )*?(?:history|hx)\b|^p[ms]hx?$|^past (?:medical|surgical)$"
    ),
    # the operative narrative ("DESCRIPTION OF PROCEDURE", "PROCEDURE IN DETAIL"),
    # not the headings that name the operation, why it was done or what it found
    # "ALLERGIES TO MEDICATIONS", "DRUG ALLERGIES", "ALLERGIES/ADVERSE REACTIONS";
    # not a review of systems' "ALLERGY/IMMUNOLOGY" (no drug list under it)
    "allergies": re.compile(r"^(?!.*\bimmunolog)(?:[a-z]+ )?allerg(?:y|ies)\b"),
    # drugs the patient no longer takes ("DISCONTINUED MEDICATIONS", "PREVIOUS
    # MEDICATIONS", "MEDICATIONS STOPPED"; :mod:`.medication_status`)
    "discontinued": re.compile(
        r"^(?:discontinued|stopped|previous|prior|past|former|old) (?:home )?"
        r"(?:medications?|meds|drugs)\b|^(?:medications?|meds) (?:discontinued|stopped)\b"
    ),
    "procedure": re.compile(
        r"^(?!.*\b(?:indications?|reasons?|title|name|performed|planned|diagnos[ie]s"
        r"|findings|consent)\b).*\b(?:procedures?|operations?|operative|technique|case)\b"
    ),
}

#: A heading in capitals: words of capitals, digits and ``/&()'-``, a colon.
#: It starts the text or a line, or follows a comma, full stop or semicolon.
_CAPS_HEADING = re.compile(
    r"(?:^|(?<=[\n\r,.;]))[ \t]*(?P<name>[A-Z][A-Z0-9/&()' -]{0,60}?[A-Z)])[ \t]*:(?!//)"
)
#: At most this many words in a heading: a longer run of capitals is shouting
#: prose ("PATIENT WAS TOLD TO RETURN IF ..."), not a label.
MAX_HEADING_WORDS = 8
#: A heading in title or sentence case: a capitalised phrase of at most
#: ``MAX_LINE_HEADING_WORDS`` words and a colon, alone at the start of a line
#: ("Home medications:", "Exam:"). What ends a family history in a note
#: written in lower case.
_LINE_HEADING = re.compile(
    r"(?:^|(?<=[\n\r]))[ \t]*(?P<name>[A-Z][A-Za-z/&()' -]{0,50}?[A-Za-z)])[ \t]*:(?!//)"
)
MAX_LINE_HEADING_WORDS = 4
#: Words that make a line's start prose, not a label: "She has a family
#: history: ...", "The plan was: ...".
_PROSE_WORDS = frozenset({
    "i", "he", "she", "we", "they", "it", "you", "has", "have", "had", "is", "are", "was",
    "were", "be", "been", "will", "would", "can", "could", "should", "may", "might", "do",
    "does", "did", "says", "said", "states", "stated", "reports", "noted", "goes", "went",
})  # fmt: skip


@cache
def known_headings() -> dict[str, str]:
    """Heading (lower case) -> kind, from ``sections.tsv``."""
    return {row[0].lower(): row[1] for row in packaged_rows("sections.tsv")}


@cache
def _known_heading_re() -> re.Pattern[str]:
    """A listed heading in any case, a colon, at the start of a line."""
    names = sorted((re.escape(h) for h in known_headings()), key=len, reverse=True)
    return re.compile(
        r"(?:^|(?<=[\n\r]))[ \t]*(?P<name>" + "|".join(names) + r")[ \t]*:",
        re.IGNORECASE,
    )


@dataclass(frozen=True)
class Section:
    """One section: its heading's characters and the text it governs."""

    name: str  # the heading, lower case, spaces collapsed: "family history"
    kind: str  # "family", "historical", "procedure", "allergies", "discontinued" or "other"
    heading_start: int
    heading_end: int  # after the colon
    end: int  # where the next heading starts (or the text ends)


def under_section(ent: Span, kind: str) -> bool:
    """Whether the entity stands under a heading of that kind (``ent._.section``
    is set by ``medkg_sections``)."""
    section = ent._.section
    return section is not None and section.kind == kind


def section_kind(name: str) -> str:
    """``family``, ``historical``, ``procedure``, ``allergies``, ``discontinued`` or
    ``other`` for a heading (lower case)."""
    if name in known_headings():
        return known_headings()[name]
    for kind, pattern in KINDS.items():
        if pattern.search(name):
            return kind
    return "other"


def find_sections(text: str) -> list[Section]:
    """The note's sections in order; text before the first heading is in none."""
    found: dict[int, tuple[int, int, str]] = {}
    patterns = (
        (_CAPS_HEADING, MAX_HEADING_WORDS),
        (_known_heading_re(), MAX_HEADING_WORDS),
        (_LINE_HEADING, MAX_LINE_HEADING_WORDS),
    )
    for pattern, max_words in patterns:
        for m in pattern.finditer(text):
            name = " ".join(m.group("name").split())
            words = name.lower().split()
            if len(words) > max_words or _PROSE_WORDS.intersection(words):
                continue
            found.setdefault(m.start("name"), (m.start("name"), m.end(), name.lower()))
    heads = sorted(found.values())
    ends = [h[0] for h in heads[1:]] + [len(text)] if heads else []
    return [
        Section(name, section_kind(name), start, end, section_end)
        for (start, end, name), section_end in zip(heads, ends, strict=True)
    ]


def section_at(
    sections: list[Section], char: int, starts: list[int] | None = None
) -> Section | None:
    """The section whose text holds ``char`` (None before the first heading or
    inside a heading itself). ``starts``: the sections' ``heading_start``s, for
    a caller that looks up many characters of one note."""
    if starts is None:
        starts = [s.heading_start for s in sections]
    i = bisect.bisect_right(starts, char) - 1
    if i < 0 or char < sections[i].heading_end:
        return None
    return sections[i]


if not Doc.has_extension("sections"):
    Doc.set_extension("sections", default=None)
if not Span.has_extension("section"):
    Span.set_extension("section", default=None)


@Language.component("medkg_sections")
def sections_component(doc: Doc) -> Doc:
    """Set ``doc._.sections`` and each entity's ``ent._.section`` (its
    :class:`Section`, None outside any), and drop the
    entities inside a listed heading ("ALLERGIES:" labels a section, it asserts
    nothing). An entity inside an unlisted heading stays: in a problem list
    "DIABETES: well controlled" is the patient's diabetes."""
    sections = find_sections(doc.text)
    doc._.sections = sections
    if not sections:
        return doc
    starts = [s.heading_start for s in sections]
    known = known_headings()
    kept = []
    for ent in doc.ents:
        i = bisect.bisect_left(starts, ent.end_char) - 1  # last heading starting before its end
        if i >= 0 and ent.start_char < sections[i].heading_end and sections[i].name in known:
            continue
        ent._.section = section_at(sections, ent.start_char, starts)
        kept.append(ent)
    if len(kept) != len(doc.ents):
        doc.ents = kept
    return doc
