"""Drugs a ranking must not put first: the patient's reported allergies (treatments,
and trials that test such a drug).

Why: a patient description that says "ALLERGIES: penicillin" and a ranking
that recommends penicillin is the first thing a clinician would call unsafe.
The extractor marks such drugs (:mod:`medkg.nlp.allergies`); here a ranked
drug is *in conflict* when it is one of them, when it lies inside an allergen's
MeSH class (the drug's ``mesh_trees`` run on from the allergen's: "allergic to
penicillin" names the class Penicillins, and amoxicillin is in it; the
vocabulary import sets the property), or when a pharmacologic class
(Hetionet's ``PharmacologicClass-INCLUDES->Drug``, FDA established classes such
as "Penicillin-class Antibacterial") includes both it and an allergen: cross-
reactivity within a class is what a prescriber checks next. A drug in conflict
is flagged with the reason and ranked below every drug without one; where
that puts it past the answer's limit, the answer's notes name it: hiding it
silently would also hide that the graph knows it treats the disease.
Rejected: dropping conflicts without a word (the reader should see what was
held back and why); a class match through the ATC tree (not in the graph);
MeSH siblings of a single drug's allergen (a drug's MeSH parent is often a
broad chemical family, "Proline" for an ACE inhibitor). The pharmacologic-class
rule needs Hetionet's class edges, which the shipped subset lacks
(``../shared/data/README.md``); the MeSH rule works on the vocabulary graph.
"""

from __future__ import annotations

from medkg.fusion.evidence import RankedItem
from medkg.kg.store.base import GraphStore


def allergy_conflicts(
    store: GraphStore, drug_ids: list[str], allergy_ids: set[str]
) -> dict[str, list[str]]:
    """Drug id -> why it conflicts with the allergies: the allergen itself, the
    class it shares with one ("same pharmacologic class as ..."), or an
    allergen's MeSH class it lies in ("in the MeSH class of Penicillins ...")."""
    if not allergy_ids or not drug_ids:
        return {}
    names = dict(
        store.query(
            "MATCH (d:Drug) WHERE d.id IN $ids RETURN d.id, d.name", {"ids": sorted(allergy_ids)}
        ).rows
    )
    out: dict[str, list[str]] = {}
    for did in drug_ids:
        if did in allergy_ids:
            out[did] = [f"the patient reports an allergy to {names.get(did) or did}"]
    rows = store.query(
        "MATCH (a:Drug)<-[:INCLUDES]-(c:PharmacologicClass)-[:INCLUDES]->(d:Drug) "
        "WHERE a.id IN $allergies AND d.id IN $drugs AND a.id <> d.id "
        "RETURN d.id, c.name, a.id ORDER BY d.id, c.name, a.id",
        {"allergies": sorted(allergy_ids), "drugs": list(drug_ids)},
    ).rows
    for did, cls, aid in rows:
        if did in allergy_ids:
            continue
        out.setdefault(did, []).append(
            f"same pharmacologic class ({cls}) as {names.get(aid) or aid}, "
            "which the patient reports an allergy to"
        )
    for did, aid in _inside_mesh_classes(store, drug_ids, allergy_ids):
        out.setdefault(did, []).append(
            f"in the MeSH class of {names.get(aid) or aid}, which the patient reports an "
            "allergy to"
        )
    return out


def _inside_mesh_classes(
    store: GraphStore, drug_ids: list[str], allergy_ids: set[str]
) -> list[tuple[str, str]]:
    """(drug, allergen) pairs where one of the drug's MeSH tree numbers is one
    of the allergen's or runs on from it (a drug that carries the class's own
    MeSH id, Benzylpenicillin for Penicillins, is the same concept)."""
    trees = dict(
        store.query(
            "MATCH (d:Drug) WHERE d.id IN $ids AND d.mesh_trees IS NOT NULL "
            "RETURN d.id, d.mesh_trees",
            {"ids": sorted(set(drug_ids) | allergy_ids)},
        ).rows
    )
    pairs = []
    for did in drug_ids:
        if did in allergy_ids:
            continue
        own = trees.get(did) or []
        for aid in sorted(allergy_ids):
            classes = trees.get(aid) or []
            if any(t == c or t.startswith(c + ".") for t in own for c in classes):
                pairs.append((did, aid))
    return pairs


def flag_allergies(
    store: GraphStore, items: list[RankedItem], allergy_ids: set[str], limit: int
) -> tuple[list[RankedItem], list[str]]:
    """The items with every conflicting drug flagged (``flags["allergy_conflict"]``)
    and moved below the others, order otherwise kept; cut to ``limit``. Also the
    answer's notes: that conflicts are flagged, and which ones fell past the limit."""
    conflicts = allergy_conflicts(store, [i.id for i in items], allergy_ids)
    if not conflicts:
        return items[:limit], []
    for item in items:
        if item.id in conflicts:
            item.flags["allergy_conflict"] = conflicts[item.id]
    ordered = _below_the_others(items, set(conflicts))
    shown, held = ordered[:limit], [i for i in ordered[limit:] if i.id in conflicts]
    notes = []
    if any(i.id in conflicts for i in shown):
        notes.append(
            "drugs that conflict with the patient's reported allergies are flagged "
            "allergy_conflict and ranked below the others"
        )
    if held:
        notes.append(
            "ranked below this list for the patient's reported allergies: "
            + "; ".join(f"{i.name or i.id} ({conflicts[i.id][0]})" for i in held)
        )
    return shown, notes


def flag_trial_allergies(
    store: GraphStore, items: list[RankedItem], allergy_ids: set[str]
) -> tuple[list[RankedItem], list[str]]:
    """Trials that test a drug in conflict with the patient's allergies (their
    ``TESTS`` edges; :func:`allergy_conflicts`) flagged ``allergy_conflict``
    ("tests Amoxicillin: in the MeSH class of Penicillins, ...") and moved below
    the others, order otherwise kept; and a note when any was."""
    if not allergy_ids or not items:
        return items, []
    tested: dict[str, list[tuple[str, str]]] = {}
    for tid, did, name in store.query(
        "MATCH (t:ClinicalTrial)-[:TESTS]->(d:Drug) WHERE t.id IN $ids "
        "RETURN t.id, d.id, d.name ORDER BY t.id, d.id",
        {"ids": [i.id for i in items]},
    ).rows:
        tested.setdefault(tid, []).append((did, name or did))
    drugs = sorted({d for pairs in tested.values() for d, _ in pairs})
    conflicts = allergy_conflicts(store, drugs, allergy_ids)
    flagged: set[str] = set()
    for item in items:
        reasons = [
            f"tests {name}: {why}"
            for did, name in tested.get(item.id, [])
            for why in conflicts.get(did, [])
        ]
        if reasons:
            item.flags["allergy_conflict"] = reasons
            flagged.add(item.id)
    if not flagged:
        return items, []
    ordered = _below_the_others(items, flagged)
    note = (
        "trials that test a drug the patient reports an allergy to are flagged "
        "allergy_conflict and ranked below the others"
    )
    return ordered, [note]


def _below_the_others(items: list[RankedItem], flagged: set[str]) -> list[RankedItem]:
    """The items with the flagged ones moved after all others, each group in order."""
    return [i for i in items if i.id not in flagged] + [i for i in items if i.id in flagged]
