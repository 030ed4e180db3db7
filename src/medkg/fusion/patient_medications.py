"""Which ranked drugs the patient already takes, or took and stopped.

Why: a treatment ranking for a patient whose note says "metformin 500 mg
b.i.d." that lists metformin among the candidates without a word reads as
advice to start it; one whose note says "stopped the Macrodantin due to hives"
reads as advice to restart what was stopped, maybe for a reason. The ranking
itself does not change (whether to continue, add or retry a drug is the
prescriber's call, and the graph's evidence for it still holds); each such drug
carries ``flags.patient_medication``: ``status`` ``current`` (an affirmed drug
mention, or a drug id the caller gave) or ``past`` (the note says it was
stopped, :mod:`medkg.nlp.medication_status`), and the patient's sentences that
say so. Rejected: moving past drugs down like allergies (a drug stopped before
surgery is no contraindication); reading a reason for stopping (notes state it
too rarely and too freely for rules); ConText's ``historical`` as past (its
cues are a condition's: "history of erectile dysfunction, last visit started
on Cialis" flags Cialis, which the patient takes, and a past medical
history's "hypertension, on lisinopril" names a current drug).
Decision 0048.
"""

from __future__ import annotations

from medkg.fusion.evidence import RankedItem
from medkg.fusion.patient import PatientContext

#: The flag a ranked drug carries when the patient's input names it.
FLAG = "patient_medication"


def medication_status(ctx: PatientContext) -> dict[str, dict[str, object]]:
    """Drug id -> ``{"status": "current" | "past", "sentences": [...]}`` for the
    drugs the patient takes or took; a drug named both ways is current."""
    status: dict[str, str] = {}
    sentences: dict[str, list[str]] = {}
    for e in ctx.entities:
        if e.label != "Drug" or not e.affirmed:
            continue
        past = e.discontinued and status.get(e.id) != "current"
        status[e.id] = "past" if past else "current"
        said = sentences.setdefault(e.id, [])
        if e.sentence and e.sentence not in said:
            said.append(e.sentence)
    return {d: {"status": status[d], "sentences": sentences[d]} for d in status}


def stopped_drug_ids(ctx: PatientContext) -> set[str]:
    """The drugs the patient stopped and does not take again."""
    return {d for d, v in medication_status(ctx).items() if v["status"] == "past"}


def flag_patient_medications(items: list[RankedItem], ctx: PatientContext | None) -> list[str]:
    """Flag (``flags.patient_medication``) the ranked drugs the patient takes or
    took, in place; the answer's note when any was."""
    if ctx is None:
        return []
    known = medication_status(ctx)
    flagged = [i for i in items if i.id in known]
    for item in flagged:
        item.flags[FLAG] = known[item.id]
    if not flagged:
        return []
    return [
        "drugs the patient already takes (status current) or took and stopped (status "
        "past) are flagged patient_medication"
    ]
