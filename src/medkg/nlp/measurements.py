"""Measured substances: "creatinine 1.1" reports a lab result, not a drug.

Why: a note's laboratory paragraph names chemicals that the graph holds as
drugs (creatinine, potassium, glucose, hemoglobin are DrugBank entries). Read
as drug mentions, "potassium 4.0, calcium 9.7" put potassium and calcium in
the patient's medications, which is what a clinician reading the facts
would call wrong first. A mention is *measured* (``ent._.measured``) when

- a measurement word follows it ("digoxin level", "oxygen saturation",
  "vancomycin trough"), or a specimen or test word comes before it ("serum
  creatinine", "urine glucose", "glycosylated hemoglobin"): for any
  chemical, since a drug's blood level is a measurement too; unless what
  follows says it is given ("cold blood potassium cardioplegia"). Such a
  word covers a whole list of chemicals ("serum cortisol, ACTH, potassium,
  aldosterone level"), and a given word after a list makes the whole list
  given ("serum potassium and magnesium replacement");
- it names a substance of ``analytes.tsv`` and a result follows: a number,
  maybe after "of", "is", "was" or ":", that no dose unit follows ("potassium
  4.0" is a result, "potassium 20 mEq" a dose), or a result word ("her
  potassium was elevated");
- it names an ``always`` substance of that table (creatinine, hemoglobin):
  nobody is given those, so every mention is a result or a test's name.

Gene mentions are read the same way: a note names a gene's protein as a
laboratory test ("PSA 4.5", "elevated PSA", "CRP was normal", "BRCA1
testing"), and "PSA" as a fact put the gene KLK3 among what the patient
has. A gene a note states about the patient ("she carries a BRCA1
mutation") has no measurement cue and stays a fact.

A measured mention keeps its link and span but is no fact of the patient
(:class:`~medkg.nlp.documents.Mention.is_positive_fact`), like a negated one.
Rejected: dropping analytes from the drug vocabulary (potassium chloride and
calcium carbonate are given, and their doses must stay facts), and a whole
laboratory section as the cue (an admission note lists medications and labs
under one heading). Decision 0044 has the counts on MTSamples.
"""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span

from medkg.nlp.packaged import packaged_rows

#: Entity labels a measurement applies to: the NER's and the name matcher's
#: chemicals, and the matcher's genes (a gene's protein is a laboratory test).
MEASURED_LABELS = frozenset({"CHEMICAL", "GENE"})
#: Words after a chemical that make it the thing measured, whatever the chemical.
MEASURE_AFTER = frozenset({
    "level", "levels", "trough", "troughs", "peak", "saturation", "saturations", "sat",
    "sats", "panel", "clearance", "test", "tests", "testing", "studies", "screen",
})  # fmt: skip
#: Words before a chemical that name a specimen or a test of it.
MEASURE_BEFORE = frozenset({
    "serum", "plasma", "urine", "urinary", "blood", "glycosylated", "glycated", "fasting",
    "ionized", "capillary", "fingerstick", "random",
})  # fmt: skip
#: Words after a chemical that make it given, whatever comes before it ("cold
#: blood potassium cardioplegia", "potassium replacement").
GIVEN_AFTER = frozenset({
    "cardioplegia", "solution", "infusion", "drip", "bolus", "supplement", "supplements",
    "supplementation", "replacement", "replacements", "repletion", "bath", "tablets",
})  # fmt: skip
#: Words between an analyte and its result ("glucose of 132", "calcium is 8.2").
RESULT_LINKS = frozenset({"of", "is", "was", "were", "at", "=", ":", "-", "value", "a1c"})
#: Words that report a result without its number ("potassium was elevated at 7").
RESULT_WORDS = frozenset({
    "elevated", "high", "low", "normal", "abnormal", "decreased", "increased", "raised",
    "unremarkable", "normalized", "borderline", "negative", "positive", "undetectable",
    "detectable",
})  # fmt: skip
#: A result: a number, with decimals or thousands, maybe a percentage's digits.
_NUMBER = re.compile(r"^[<>]?\d+(?:[.,]\d+)*$")
#: Units of a dose (what is given); a number followed by one is no result.
DOSE_UNITS = frozenset({
    "mg", "mcg", "ug", "µg", "g", "gm", "gram", "grams", "meq", "units", "unit", "iu",
    "ml", "cc", "tablet", "tablets", "tab", "tabs", "capsule", "capsules", "puff", "puffs",
    "drop", "drops", "patch", "l", "liter", "liters", "lpm", "amp", "amps", "%",
})  # fmt: skip
#: A slash after the unit makes it a concentration ("mEq/L", "mg/dL"): a result.
_PER = frozenset({"/", "per"})

if not Span.has_extension("measured"):
    Span.set_extension("measured", default=False)


@lru_cache(maxsize=1)
def analytes() -> dict[str, str]:
    """``analytes.tsv``: name (lower case) -> ``value`` or ``always``."""
    return {row[0].lower(): row[1] for row in packaged_rows("analytes.tsv")}


def is_measured(ent: Span) -> bool:
    """Whether the chemical or gene ``ent`` is a measured substance (module docstring)."""
    if word_after(ent) in GIVEN_AFTER:
        return False
    if _cue_after(ent) or _cue_before(ent):
        return True
    kind = analytes().get(ent.text.lower())
    if kind == "always":
        return True
    return kind == "value" and _result_follows(ent.doc, ent.end, ent.sent.end)


def word_after(ent: Span) -> str:
    """The next word of the entity's sentence, lower case ("" at its end)."""
    return ent.doc[ent.end].lower_ if ent.end < ent.sent.end else ""


def _cue_after(ent: Span) -> bool:
    return word_after(ent) in MEASURE_AFTER


def _cue_before(ent: Span) -> bool:
    return ent.start > ent.sent.start and ent.doc[ent.start - 1].lower_ in MEASURE_BEFORE


def _result_follows(doc: Doc, i: int, end: int) -> bool:
    """A number (no dose unit after it) or a result word, after at most two
    linking words or adverbs ("was dramatically elevated") after token ``i``."""
    for _ in range(3):
        if i >= end:
            return False
        word = doc[i].lower_
        if word in RESULT_WORDS:
            return True
        if _NUMBER.match(word):
            unit = doc[i + 1].lower_ if i + 1 < end else ""
            per = doc[i + 2].lower_ if i + 2 < end else ""
            return unit not in DOSE_UNITS or per in _PER
        if word not in RESULT_LINKS and not (word.endswith("ly") and doc[i].is_alpha):
            return False
        i += 1
    return False


#: Tokens that may stand between the items of a list of chemicals.
_LIST_GLUE = frozenset({",", "and", "or", "/", ";"})


def _lists(doc: Doc) -> list[list[Span]]:
    """Runs of chemical or gene entities of one sentence with only list glue
    between them ("sodium, potassium, creatinine and CRP")."""
    runs: list[list[Span]] = []
    for ent in doc.ents:
        if ent.label_ not in MEASURED_LABELS:
            continue
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and last.sent.start == ent.sent.start
            and all(t.lower_ in _LIST_GLUE for t in doc[last.end : ent.start])
        ):
            runs[-1].append(ent)
        else:
            runs.append([ent])
    return runs


@Language.component("medkg_measurements")
def measurements_component(doc: Doc) -> Doc:
    """Set ``ent._.measured`` on the chemicals and genes a note reports as measured. A
    specimen word before a list, or a measurement word after it, covers the
    whole list: "serum cortisol, ACTH, potassium, aldosterone level"; a given
    word after a list covers it first: "serum potassium and magnesium
    replacement" replaces both."""
    for ent in doc.ents:
        if ent.label_ in MEASURED_LABELS:
            ent._.measured = is_measured(ent)
    for run in _lists(doc):
        if len(run) < 2:
            continue
        if word_after(run[-1]) in GIVEN_AFTER:
            for ent in run:
                ent._.measured = False
        elif _cue_before(run[0]) or _cue_after(run[-1]):
            for ent in run:
                ent._.measured = True
    return doc
