"""Relations between mentions of one sentence: trigger rules plus a CID classifier.

Rules (what a clinician writes): for each pair of positive mentions in a
sentence whose graph labels fit a relationship type, the text between them is
matched against trigger patterns, e.g. "metformin **for** type 2 diabetes"
(TREATS), "**amiodarone-induced** hypothyroidism" (CAUSES), "cough **due to**
pneumonia" (PRESENTS), "**mutations in** BRCA1 ... breast cancer" (ASSOCIATES).
No dependency parser can be installed here (scispaCy's parsers are on a host
this machine cannot reach, and no treebank is shipped), so patterns read the
token sequence; with a pretrained parser configured they still apply.

Classifier: chemical-induced-disease (CAUSES) is also scored by a trained
classifier when there is one (the transformer of :mod:`.transformer_cid`, else
the logistic regression of :mod:`.cid`); its name is the relation's method.
A pair that a TREATS rule matches is never also called CAUSES.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medkg.nlp.relations.cid import NEGATION, PairScorer

DRUG = frozenset({"Drug"})
PROBLEM = frozenset({"Disease", "SideEffect", "Symptom"})
DISEASE = frozenset({"Disease"})
FINDING = frozenset({"Symptom"})
GENE = frozenset({"Gene"})

MAX_GAP_CHARS = 80
#: Rules whose relation the extractor keeps only where the graph knows the pair
#: (:mod:`.known_findings`): a bare "with" joins co-diagnoses as often as a
#: disease and its finding.
GRAPH_CHECKED = frozenset({"disease-with-finding"})


@dataclass(frozen=True)
class Rule:
    """A trigger between two mentions: ``first`` precedes ``second`` in the text."""

    rel_type: str
    first: frozenset[str]
    second: frozenset[str]
    between: re.Pattern[str]
    head_is_first: bool
    confidence: float
    name: str


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


RULES: list[Rule] = [
    Rule(
        "TREATS",
        DRUG,
        PROBLEM,
        _rx(
            r"^\W*(?:\w+\W+){0,3}?(for|to treat|to control|treat(?:s|ed|ing)?|in the (?:treatment|"
            r"management) of|therapy (?:for|of)|against)\b(?!.*\b(?:induced|caus|due)\b)"
        ),
        True,
        0.8,
        "drug-for-problem",
    ),
    Rule(
        "TREATS",
        PROBLEM,
        DRUG,
        _rx(
            # "Known HTN, on lisinopril"; not a list's next item: "minimal
            # hematuria, and on Bactrim DS" (discharged on it, not for it)
            r"^\W*(?:\w+\W+){0,3}?((?:treated|managed|controlled|improved|responded|maintained|"
            r"well controlled)\s+(?:with|by|on|to)|(?<!and )on|started on|requiring)\W*$"
        ),
        False,
        0.75,
        "problem-treated-with-drug",
    ),
    Rule(
        "CAUSES",
        DRUG,
        PROBLEM,
        _rx(
            r"^\W*(?:\w+\W+){0,2}?(-?\s*induced|-?\s*related|-?\s*associated|caus(?:e|es|ed|ing)|"
            r"induc(?:e|es|ed|ing)|le(?:d|ads) to|result(?:s|ed)? in|precipitat\w+)\b"
        ),
        True,
        0.8,
        "drug-causes-problem",
    ),
    Rule(
        "CAUSES",
        PROBLEM,
        DRUG,
        _rx(
            r"\b(due to|secondary to|caused by|induced by|attributed to|after (?:starting|taking|"
            r"receiving)|following (?:administration of)?|from)\W*(?:\w+\W+){0,2}?$"
        ),
        False,
        0.75,
        "problem-due-to-drug",
    ),
    Rule(
        "PRESENTS",
        DISEASE,
        FINDING,
        _rx(
            # not after a comma: "history of diabetes, coronary artery disease,
            # presented with urinary retention" is what the patient presented with
            r"(?<!,)(?<!, )\b(present(?:s|ed|ing)? with|characteri[sz]ed by|"
            r"manifest(?:s|ed|ing)? (?:as|with)|complicated by|"
            r"symptoms? (?:of|such as|including))\b"
        ),
        True,
        0.7,
        "disease-presents-with-finding",
    ),
    Rule(
        "PRESENTS",
        DISEASE,
        FINDING,
        # "pneumonia with fever": kept only where the graph knows the pair
        # (:data:`GRAPH_CHECKED`, relations/known_findings.py)
        _rx(r"^\W*with\W+(?:\w+\W+){0,2}?$"),
        True,
        0.7,
        "disease-with-finding",
    ),
    Rule(
        "PRESENTS",
        FINDING,
        DISEASE,
        _rx(
            # not a history's "of": "neurogenic bladder and history of stroke"
            r"\b(due to|secondary to|from|consistent with|suggestive of|caused by|attributed to|"
            r"(?<!history )(?<!hx )of)\W*(?:\w+\W+){0,2}?$"
        ),
        False,
        0.7,
        "finding-due-to-disease",
    ),
    Rule(
        "ASSOCIATES",
        GENE,
        DISEASE,
        _rx(
            r"\b(mutations?|variants?|polymorphisms?|deletions?|associated|association|linked|"
            r"carriers?|positive)\b"
        ),
        False,
        0.7,
        "gene-variant-disease",
    ),
    Rule(
        "ASSOCIATES",
        DISEASE,
        GENE,
        _rx(
            r"\b(mutations?|variants?|polymorphisms?|deletions?|associated|association|linked|"
            r"caused by|carriers?|in)\b"
        ),
        True,
        0.7,
        "disease-gene",
    ),
]


@dataclass(frozen=True)
class Relation:
    rel_type: str
    head: int  # index into the document's mention list
    tail: int
    confidence: float
    method: str  # rule name, "cid-classifier" or "cid-transformer"


# -- sentence-level extraction ---------------------------------------------------------
@dataclass(frozen=True)
class SpanRef:
    """What relation finding needs of a mention: label, offsets within the sentence."""

    index: int
    label: str
    start: int
    end: int
    confidence: float
    #: A second label the mention may play: a disease tied to a symptom by
    #: SAME_AS ("diarrhea") is also a finding that a disease presents with.
    also: str | None = None

    def fits(self, labels: frozenset[str]) -> bool:
        return self.label in labels or self.also in labels


def find_relations(
    sentence: str,
    mentions: list[SpanRef],
    classifier: PairScorer | None = None,
    cid_threshold: float = 0.5,
) -> list[Relation]:
    """All relations among one sentence's positive mentions (offsets sentence-relative)."""
    found: dict[tuple[str, int, int], Relation] = {}
    treats: set[tuple[int, int]] = set()
    ordered = sorted(mentions, key=lambda m: m.start)
    for i, first in enumerate(ordered):
        # The nearest end among mentions that start after ``first``: a later
        # mention past it has another mention in between (pairs stay linear).
        inner_end = None
        for second in ordered[i + 1 :]:
            if second.start - first.end > MAX_GAP_CHARS:
                break  # sorted by start: every later mention is further away
            if first.end > second.start:
                continue
            between = inner_end is not None and inner_end <= second.start
            if second.start >= first.end:
                inner_end = second.end if inner_end is None else min(inner_end, second.end)
            if between:
                continue  # another mention in between: the trigger belongs to it
            gap = sentence[first.end : second.start]
            if NEGATION.search(gap):
                continue
            for rule in RULES:
                if (
                    first.fits(rule.first)
                    and second.fits(rule.second)
                    and rule.between.search(gap)
                ):
                    head, tail = (first, second) if rule.head_is_first else (second, first)
                    conf = round(rule.confidence * min(first.confidence, second.confidence), 3)
                    key = (rule.rel_type, head.index, tail.index)
                    if key not in found or found[key].confidence < conf:
                        found[key] = Relation(
                            rule.rel_type, head.index, tail.index, conf, rule.name
                        )
                    if rule.rel_type == "TREATS":
                        treats.add((head.index, tail.index))
    for key in [k for k in found if k[0] == "CAUSES" and (k[1], k[2]) in treats]:
        del found[key]
    if classifier is not None:
        pairs = [
            (chem, dis)
            for chem in (m for m in ordered if m.label in DRUG)
            for dis in (m for m in ordered if m.label in PROBLEM)
            if (chem.index, dis.index) not in treats
        ]
        # one call per sentence: a transformer scores all its pairs in one batch
        probs = classifier.probabilities(
            [(sentence, (c.start, c.end), (d.start, d.end)) for c, d in pairs]
        ) if pairs else []  # fmt: skip
        for (chem, dis), p in zip(pairs, probs, strict=True):
            key = ("CAUSES", chem.index, dis.index)
            conf = round(p * min(chem.confidence, dis.confidence), 3)
            if p >= cid_threshold and (key not in found or found[key].confidence < conf):
                method = getattr(classifier, "method", "cid-classifier")
                found[key] = Relation("CAUSES", chem.index, dis.index, conf, method)
    return sorted(found.values(), key=lambda r: (r.head, r.tail, r.rel_type))
