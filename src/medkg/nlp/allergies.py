"""Allergies: "ALLERGIES: Cipro" and "allergic to penicillin" name what the
patient must not be given, not what the patient takes.

Why: read as plain drug mentions, a note's allergy list put the drugs the
patient reacts to among the patient's drugs ("ALLERGIES: Compazine and
Allegra" became two affirmed drug facts), and a treatment ranking could then
recommend the very drug the patient is allergic to. A chemical mention is an
*allergen* (``ent._.allergen``) when

- it stands under an allergies heading (section kind ``allergies``,
  :mod:`.sections`: "ALLERGIES:", "DRUG ALLERGIES:", "ALLERGIES TO
  MEDICATIONS:");
- an allergy cue comes before it in its sentence and no terminator of the
  assertion context ends the cue's scope in between ("allergic to penicillin
  and sulfa", "an allergy to codeine", "intolerant of statins", "could not
  tolerate penicillin");
- an allergy word follows it ("penicillin allergy", "codeine intolerance").

An allergen is no fact of what the patient has or takes
(:attr:`~medkg.nlp.documents.Mention.is_positive_fact`); where it is affirmed
(not negated, hypothetical or a relative's) it is a reported allergy: the
ingest writes it as ``Document-REPORTS_ALLERGY->Drug`` with the same
provenance as a fact, and a treatment ranking flags and moves down a drug the
patient reports an allergy to. Negation still wins: "no known allergy to
penicillin" reports none. Rejected: a disease fact "drug allergy" per drug
(the graph's allergy diseases name no drug), and treating every mention of an
allergy section's sentence as an allergen (the reaction, "Bactrim which causes
a rash", is a finding of its own). Decision 0047.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span

from medkg.nlp.context import phrase_spans, terminator_between
from medkg.nlp.measurements import word_after
from medkg.nlp.sections import under_section

#: Entity labels an allergy applies to: the NER's and the name matcher's chemicals.
ALLERGEN_LABELS = frozenset({"CHEMICAL"})
#: Section kind (:mod:`.sections`) whose chemicals are allergens.
ALLERGY_SECTION = "allergies"
#: Cues whose scope runs forward to the chemicals after them.
_CUE_BEFORE = re.compile(
    r"(?<![\w/])(?:allergic (?:reactions? )?to|allerg(?:y|ies) to|anaphylaxis to"
    r"|intoleran(?:t|ce) (?:of|to)|hypersensitivity to"
    r"|(?:could|can|did|does|would|will) (?:not|really not|not really) tolerate"
    r"|cannot tolerate|unable to tolerate)(?![\w/])",
    re.IGNORECASE,
)
#: Words right after a chemical that make it the allergen ("penicillin allergy").
ALLERGY_AFTER = frozenset({
    "allergy", "allergies", "allergic", "intolerance", "hypersensitivity", "anaphylaxis",
})  # fmt: skip

if not Span.has_extension("allergen"):
    Span.set_extension("allergen", default=False)


@Language.component("medkg_allergies")
def allergies_component(doc: Doc) -> Doc:
    """Set ``ent._.allergen`` on the chemicals a note names as the patient's
    allergies (module docstring). Runs after ``medkg_sections``."""
    cues: dict[int, list[int]] = {}  # sentence start -> cue ends, computed once
    for ent in doc.ents:
        if ent.label_ not in ALLERGEN_LABELS:
            continue
        if under_section(ent, ALLERGY_SECTION):
            ent._.allergen = True
            continue
        if word_after(ent) in ALLERGY_AFTER:
            ent._.allergen = True
            continue
        sent = ent.sent
        if sent.start not in cues:
            cues[sent.start] = [span.end for _, span in phrase_spans(sent, _CUE_BEFORE)]
        ent._.allergen = any(
            end <= ent.start and not terminator_between(doc, end, ent.start)
            for end in cues[sent.start]
        )
    return doc
