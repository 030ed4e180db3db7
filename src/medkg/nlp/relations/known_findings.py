"""A bare "with" between a disease and a finding says PRESENTS only where the
graph knows the disease shows that finding.

Why: "pneumonia with fever" is a presentation, but notes join co-diagnoses
and findings of other causes the same way: "Overactive bladder with
microscopic hematuria", "hydrocephalus with intraventricular hemorrhage" (the
haemorrhage causes the hydrocephalus), "Chronic tonsillitis with ... adenoid
hypertrophy". Read on 318 MTSamples reports, most PRESENTS from the bare
"with" were such pairs, while the explicit triggers ("presented with",
"characterized by", "complicated by", "due to") were right. The words cannot
tell the two apart; the graph's curated phenotype annotations (HPO's
disease-phenotype edges, Hetionet's PRESENTS) can: the pair is kept when the
disease, or its direct ``IS_A`` parent, presents the finding, one of the
finding's parents (the note is more specific: "microscopic hematuria" for
hematuria) or one of its children (the note is more general). Only imported
edges count (those without an ``extractor``), as for known treatments
(:mod:`.known_treatments`): what the extractor read in earlier notes is no
knowledge, and extraction must not depend on what was ingested before.
The explicit triggers keep their relations whatever the graph says:
extraction would otherwise only repeat the graph.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from medkg.kg.store.base import GraphStore
from medkg.nlp.relations.known_treatments import imported_targets


def curated_findings(store: GraphStore) -> dict[str, frozenset[str]]:
    """Disease node id -> the finding (Symptom) ids imported PRESENTS edges give it."""
    return imported_targets(store, ("PRESENTS",), "Disease", "Symptom")


def finding_known(
    findings: Mapping[str, Collection[str]],
    parents: Mapping[str, Sequence[str]],
    disease: str,
    finding: str,
) -> bool:
    """Whether the graph says ``disease`` (or its direct parent) presents
    ``finding``, one of the finding's parents or one of its children."""
    around = {finding, *parents.get(finding, ())}
    for node in (disease, *parents.get(disease, ())):
        shown = findings.get(node)
        if not shown:
            continue
        if not around.isdisjoint(shown) or any(finding in parents.get(s, ()) for s in shown):
            return True
    return False
