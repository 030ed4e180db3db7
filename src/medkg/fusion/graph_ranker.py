"""Graph-only rankings: the labelled fallback before (or beside) the fusion models.

Why it exists: applications need an answer with evidence from the first
command, and the learned models need a baseline that explains itself. Each task
scores candidates by weighted counts of short, interpretable metapaths
(Himmelstein et al.'s Rephetio idea, without the learned weights), damped by
hub degree so that a path through a gene bound by hundreds of drugs counts
less than one through a specific target. Every path used is returned as
evidence, with source sentences for facts that came from text.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from medkg.fusion.evidence import EvidenceNode, EvidencePath, RankedItem, path_text
from medkg.fusion.trial_exclusions import only_current_use
from medkg.kg.store.base import GraphStore

METHOD = "graph-only (weighted metapath counts; no trained model)"
EVIDENCE_PER_ITEM = 3


@dataclass(frozen=True)
class Metapath:
    """A Cypher pattern from a candidate (``c``) to an anchor id (``$id``).

    The query returns, in order: the candidate's id and name, then id, name and
    label of every node along the path, then the first edge's source,
    sentences and document ids (for text-derived facts).
    """

    name: str
    weight: float
    cypher: str
    rels: tuple[str, ...]
    forward: tuple[bool, ...]
    hub_column: int | None = None  # index of a middle node whose fan-out damps the weight


TREATMENT_PATHS = [
    Metapath(
        "Drug-TREATS-Disease", 1.0,
        "MATCH (c:Drug)-[r:TREATS]->(d:Disease {id: $id}) "
        "RETURN c.id, c.name, d.id, d.name, 'Disease', r.source, r.sentences, r.document_ids",
        ("TREATS",), (True,),
    ),
    Metapath(
        "Drug-PALLIATES-Disease", 0.5,
        "MATCH (c:Drug)-[r:PALLIATES]->(d:Disease {id: $id}) "
        "RETURN c.id, c.name, d.id, d.name, 'Disease', r.source, r.sentences, r.document_ids",
        ("PALLIATES",), (True,),
    ),
    Metapath(
        "Drug-RESEMBLES-Drug-TREATS-Disease", 0.4,
        "MATCH (c:Drug)-[r:RESEMBLES]-(c2:Drug)-[:TREATS]->(d:Disease {id: $id}) "
        "WHERE c.id <> c2.id RETURN c.id, c.name, c2.id, c2.name, 'Drug', d.id, d.name, "
        "'Disease', r.source, r.sentences, r.document_ids",
        ("RESEMBLES", "TREATS"), (True, True), hub_column=2,
    ),
    Metapath(
        "Drug-TREATS-Disease-RESEMBLES-Disease", 0.3,
        "MATCH (c:Drug)-[r:TREATS]->(d2:Disease)-[:RESEMBLES]-(d:Disease {id: $id}) "
        "WHERE d2.id <> d.id RETURN c.id, c.name, d2.id, d2.name, 'Disease', d.id, d.name, "
        "'Disease', r.source, r.sentences, r.document_ids",
        ("TREATS", "RESEMBLES"), (True, True), hub_column=2,
    ),
    Metapath(
        "Drug-BINDS-Gene-ASSOCIATES-Disease", 0.2,
        "MATCH (c:Drug)-[r:BINDS]->(g:Gene)<-[:ASSOCIATES]-(d:Disease {id: $id}) "
        "RETURN c.id, c.name, g.id, g.name, 'Gene', d.id, d.name, 'Disease', "
        "r.source, r.sentences, r.document_ids",
        ("BINDS", "ASSOCIATES"), (True, False), hub_column=2,
    ),
]  # fmt: skip

DIAGNOSIS_PATHS = [
    Metapath(
        "Disease-PRESENTS-Symptom", 1.0,
        "MATCH (c:Disease)-[r:PRESENTS]->(s:Symptom {id: $id}) "
        "RETURN c.id, c.name, s.id, s.name, 'Symptom', r.source, r.sentences, r.document_ids",
        ("PRESENTS",), (True,),
    ),
    Metapath(
        "Disease-RESEMBLES-Disease", 0.3,
        "MATCH (c:Disease)-[r:RESEMBLES]-(d:Disease {id: $id}) WHERE c.id <> d.id "
        "RETURN c.id, c.name, d.id, d.name, 'Disease', r.source, r.sentences, r.document_ids",
        ("RESEMBLES",), (True,),
    ),
]  # fmt: skip


@dataclass
class _Candidate:
    id: str
    name: str | None
    score: float = 0.0
    paths: list[EvidencePath] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)


def _run_metapaths(
    store: GraphStore,
    label: str,
    anchors: dict[str, float],
    metapaths: list[Metapath],
) -> dict[str, _Candidate]:
    cands: dict[str, _Candidate] = {}
    for anchor, anchor_weight in anchors.items():
        for mp in metapaths:
            rows = store.query(mp.cypher, {"id": anchor}, row_cap=100_000).rows
            n_nodes = len(mp.rels)
            fan_out: dict[str, int] = defaultdict(int)
            if mp.hub_column is not None:
                for row in rows:
                    fan_out[row[mp.hub_column]] += 1
            for row in rows:
                cid, cname = row[0], row[1]
                hops = [EvidenceNode(id=cid, name=cname, label=label)]
                for k in range(n_nodes):
                    nid, nname, nlabel = row[2 + 3 * k : 5 + 3 * k]
                    hops.append(EvidenceNode(id=nid, name=nname, label=nlabel))
                source, sentences, doc_ids = row[2 + 3 * n_nodes : 5 + 3 * n_nodes]
                damp = 1.0 / math.sqrt(fan_out[row[mp.hub_column]]) if mp.hub_column else 1.0
                w = mp.weight * damp * anchor_weight
                cand = cands.setdefault(cid, _Candidate(cid, cname))
                cand.score += w
                cand.anchors.add(anchor)
                cand.paths.append(EvidencePath(
                    nodes=hops, relationships=list(mp.rels), weight=round(w, 4),
                    text=path_text(hops, list(mp.rels), list(mp.forward)), source=source,
                    sentences=list(sentences or []), document_ids=list(doc_ids or []),
                ))  # fmt: skip
    return cands


def _items(cands: dict[str, _Candidate], label: str, limit: int, **flags: Any) -> list[RankedItem]:
    ranked = sorted(cands.values(), key=lambda c: (-c.score, c.name or c.id))[:limit]
    return [
        RankedItem(
            id=c.id, name=c.name, label=label, score=round(c.score, 4),
            evidence=sorted(c.paths, key=lambda p: -p.weight)[:EVIDENCE_PER_ITEM],
            flags={"anchors": sorted(c.anchors), **{k: v(c) for k, v in flags.items()}},
        )
        for c in ranked
    ]  # fmt: skip


#: The relationships every treatment metapath leaves its disease by.
TREATMENT_ANCHOR_RELS = ("TREATS", "PALLIATES", "RESEMBLES", "ASSOCIATES")


def reachable_diseases(store: GraphStore, disease_ids: Iterable[str]) -> set[str]:
    """The diseases among ``disease_ids`` that some treatment metapath can start from.

    Why ask first: most of the ontologies' 24,000 diseases have none of these
    edges, and the metapaths would each find nothing for them. One key lookup
    per disease (a patient has a few), not one ``IN`` list (a scan)."""
    rels = "|".join(TREATMENT_ANCHOR_RELS)
    cypher = f"MATCH (d:Disease {{id: $id}})-[:{rels}]-() RETURN d.id LIMIT 1"
    return {d for d in disease_ids if store.query(cypher, {"id": d}).rows}


def rank_treatments(
    store: GraphStore, disease_ids: dict[str, float], limit: int = 10
) -> list[RankedItem]:
    """Drugs for weighted diseases; ``known`` marks drugs with a direct TREATS edge."""
    cands = _run_metapaths(store, "Drug", disease_ids, TREATMENT_PATHS)
    return _items(
        cands, "Drug", limit, known=lambda c: any(p.relationships == ["TREATS"] for p in c.paths)
    )


def rank_diagnoses(
    store: GraphStore, symptoms: dict[str, float], diseases: dict[str, float], limit: int = 10
) -> list[RankedItem]:
    """Diseases for a patient's symptoms (each weighted by its rarity, IDF) and stated diseases.

    A symptom presented by many diseases ("pain") says less than a specific one;
    the score is the IDF-weighted share of the patient's symptoms a disease explains,
    plus the diseases the patient already has and those that resemble them.
    """
    n_diseases = store.query("MATCH (d:Disease) RETURN count(d)").rows[0][0] or 1
    df = dict.fromkeys(symptoms, 0)
    df.update(store.query(
        "MATCH (d:Disease)-[:PRESENTS]->(s:Symptom) WHERE s.id IN $ids RETURN s.id, count(d)",
        {"ids": list(symptoms)},
    ).rows)  # fmt: skip
    idf = {sid: math.log((1 + n_diseases) / (1 + n)) + 1 for sid, n in df.items()}
    anchors = {sid: w * idf[sid] for sid, w in symptoms.items()}
    total = sum(anchors.values()) or 1.0
    anchors = {k: v / total for k, v in anchors.items()}
    cands = _run_metapaths(store, "Disease", anchors, DIAGNOSIS_PATHS[:1])
    for did, w in diseases.items():  # diseases stated in the note, and similar ones
        node = store.get_node(did)
        c = cands.setdefault(did, _Candidate(did, node.get("name") if node else None))
        c.score += 0.5 * w
        c.anchors.add(did)
    more = _run_metapaths(
        store, "Disease", {k: 0.5 * v for k, v in diseases.items()}, DIAGNOSIS_PATHS[1:]
    )
    for cid, c in more.items():
        base = cands.setdefault(cid, _Candidate(cid, c.name))
        base.score += c.score
        base.paths += c.paths
        base.anchors |= c.anchors
    return _items(
        cands, "Disease", limit, explained=lambda c: sorted(a for a in c.anchors if a in idf)
    )


TRIAL_PATH = Metapath(
    "ClinicalTrial-STUDIES-Disease", 1.0,
    "MATCH (c:ClinicalTrial)-[r:STUDIES]->(d:Disease {id: $id}) "
    "RETURN c.id, c.title, d.id, d.name, 'Disease', r.source, r.sentences, r.document_ids",
    ("STUDIES",), (True,),
)  # fmt: skip
EXCLUSION_PENALTY = 0.1


def rank_trials(
    store: GraphStore,
    disease_ids: dict[str, float],
    patient_ids: set[str],
    limit: int = 10,
    stopped_ids: AbstractSet[str] = frozenset(),
) -> list[RankedItem]:
    """Trials studying the patient's diseases; trials whose exclusion criteria name one of
    the patient's affirmed entities are pushed down and flagged ``excluded_by``, but
    for a drug the patient stopped (``stopped_ids``) whose criteria speak of current
    use only (:mod:`.trial_exclusions`)."""
    cands = _run_metapaths(store, "ClinicalTrial", disease_ids, [TRIAL_PATH])
    excluded: dict[str, list[str]] = {}
    rows = store.query(
        "MATCH (t:ClinicalTrial) WHERE t.id IN $ids RETURN t.id, t.exclusion_ids, t.exclusion",
        {"ids": list(cands)},
    ).rows
    names = _drug_names(store, stopped_ids) if stopped_ids else {}
    for cid, exclusion_ids, items in rows:
        hits = sorted(
            nid for nid in set(exclusion_ids or []) & patient_ids
            if not (nid in names and only_current_use(items or [], names[nid]))
        )  # fmt: skip
        if hits:
            excluded[cid] = hits
            cands[cid].score *= EXCLUSION_PENALTY
    return _items(cands, "ClinicalTrial", limit, excluded_by=lambda c: excluded.get(c.id, []))


def _drug_names(store: GraphStore, ids: AbstractSet[str]) -> dict[str, list[str]]:
    """Drug id -> its name and synonyms."""
    rows = store.query(
        "MATCH (d:Drug) WHERE d.id IN $ids RETURN d.id, d.name, d.synonyms", {"ids": sorted(ids)}
    ).rows
    return {nid: [n for n in (name, *(synonyms or [])) if n] for nid, name, synonyms in rows}
