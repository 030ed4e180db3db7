"""Answers from the trained rankers, with evidence as real graph paths.

The treatment ranker's score for a drug is a sum of (similar disease,
similarity channel) contributions, so its evidence is exact: for the largest
contributions, the path ``(drug)-[TREATS]->(similar disease)`` joined to the
query disease through what the channel compares - a shared gene, anatomy or
palliating drug, or a direct RESEMBLES edge. Its mechanism term adds one
contribution per drug-gene-disease metapath; where one of those is positive,
such a path (``(drug)-[BINDS]->(gene)<-[ASSOCIATES]-(disease)``, with the
number of such paths) competes with the transfer paths by contribution for the
evidence slots left after the known treatments. Those hops are looked up in
the store, so every path shown exists in the graph.
"""

from __future__ import annotations

import torch

from medkg.fusion.evidence import EvidenceNode, EvidencePath, RankedItem, path_text
from medkg.fusion.treatment_model import TreatmentCheckpoint
from medkg.kg.store.base import GraphStore

EVIDENCE_PER_ITEM = 3
KNOWN_BONUS = 1.0  # known treatments first: model probabilities are < 1


def _node(store: GraphStore, nid: str, label: str) -> EvidenceNode:
    node = store.get_node(nid)
    return EvidenceNode(id=nid, name=node.get("name") if node else None, label=label)


def _treats_edge(store: GraphStore, drug: str, disease: str) -> tuple[str | None, list, list]:
    rows = store.query(
        "MATCH (c:Drug {id: $c})-[r:TREATS]->(d:Disease {id: $d}) "
        "RETURN r.source, r.sentences, r.document_ids LIMIT 1",
        {"c": drug, "d": disease},
    ).rows
    return (rows[0][0], list(rows[0][1] or []), list(rows[0][2] or [])) if rows else (None, [], [])


def _bridge(
    store: GraphStore, edge_type: tuple[str, str, str] | None, a: str, b: str
) -> tuple[list[EvidenceNode], list[str], list[bool], int] | None:
    """The hops from disease ``a`` to disease ``b`` that a channel compares, and how
    many such shared neighbours there are (None: no such path in the store now)."""
    if edge_type is None:
        return None
    start, rel, end = edge_type
    if start == end == "Disease":
        ok = store.query(
            f"MATCH (x:Disease {{id: $a}})-[:{rel}]-(y:Disease {{id: $b}}) RETURN x.id LIMIT 1",
            {"a": a, "b": b},
        ).rows
        return ([_node(store, b, "Disease")], [rel], [True], 1) if ok else None
    other = end if start == "Disease" else start
    pattern = (
        f"(x:Disease {{id: $a}})-[:{rel}]->(m:{other})<-[:{rel}]-(y:Disease {{id: $b}})"
        if start == "Disease"
        else f"(x:Disease {{id: $a}})<-[:{rel}]-(m:{other})-[:{rel}]->(y:Disease {{id: $b}})"
    )
    rows = store.query(f"MATCH {pattern} RETURN m.id, m.name LIMIT 1000", {"a": a, "b": b}).rows
    if not rows:
        return None
    fwd = start == "Disease"
    mid = EvidenceNode(id=rows[0][0], name=rows[0][1], label=other)
    return [mid, _node(store, b, "Disease")], [rel, rel], [fwd, not fwd], len(rows)


def _mechanism_paths(
    store: GraphStore,
    ckpt: TreatmentCheckpoint,
    k: int,
    drug_node: EvidenceNode,
    queries: list[str],
) -> list[EvidencePath]:
    """Paths for the drug's positive mechanism contributions, largest first."""
    paths = []
    for q in queries:
        for mech, part in ckpt.mechanism_contributions(k, q):
            if part <= 0 or len(paths) >= EVIDENCE_PER_ITEM:
                break
            far = ", h.id, h.name" if mech.via_interaction else ""
            rows = store.query(
                f"MATCH {mech.cypher} RETURN DISTINCT g.id, g.name{far} LIMIT 1000",
                {"c": drug_node.id, "d": q},
            ).rows
            if not rows:
                continue
            hops = [drug_node, EvidenceNode(id=rows[0][0], name=rows[0][1], label="Gene")]
            if mech.via_interaction:
                hops.append(EvidenceNode(id=rows[0][2], name=rows[0][3], label="Gene"))
            hops.append(_node(store, q, "Disease"))
            rels = mech.relationships
            fwd = [True] * (len(rels) - 1) + [False]
            many = f" ({len(rows)} such paths)" if len(rows) > 1 else ""
            paths.append(EvidencePath(
                nodes=hops, relationships=rels, weight=round(part, 4),
                text=path_text(hops, rels, fwd) + many + f" [{mech.name}]",
            ))  # fmt: skip
    return paths


def treatment_items(
    store: GraphStore,
    ckpt: TreatmentCheckpoint,
    diseases: dict[str, float],
    limit: int,
) -> list[RankedItem]:
    probs, neighbours = ckpt.rank(diseases)
    col = ckpt.disease_index
    queries = [d for d in diseases if d in col]
    known = ckpt.treats[:, [col[d] for d in queries]].sum(1) > 0
    final = probs + KNOWN_BONUS * known.float()
    top = torch.topk(final, min(limit, final.numel())).indices.tolist()
    items = []
    for k in top:
        drug = ckpt.drug_ids[k]
        drug_node = _node(store, drug, "Drug")
        paths: list[EvidencePath] = []
        for q in queries:
            if ckpt.treats[k, col[q]] > 0:
                src, sents, docs = _treats_edge(store, drug, q)
                hops = [drug_node, _node(store, q, "Disease")]
                paths.append(EvidencePath(
                    nodes=hops, relationships=["TREATS"], text=path_text(hops, ["TREATS"], [True]),
                    weight=KNOWN_BONUS, source=src, sentences=sents, document_ids=docs,
                ))  # fmt: skip
        n_known = len(paths)
        contrib = neighbours * ckpt.treats[k][None, :] * ckpt.model.scale.detach()
        flat = contrib.flatten()
        order = torch.argsort(flat, descending=True)[: 4 * EVIDENCE_PER_ITEM].tolist()
        for idx in order:
            if flat[idx] <= 0 or len(paths) >= EVIDENCE_PER_ITEM:
                break
            c, d = divmod(idx, contrib.size(1))
            similar = ckpt.disease_ids[d]
            channel = ckpt.channels[c]
            for q in queries:
                bridge = _bridge(store, channel.edge_type, similar, q)
                if bridge is None and channel.edge_type is not None:
                    continue
                src, sents, docs = _treats_edge(store, drug, similar)
                hops = [drug_node, _node(store, similar, "Disease")]
                rels, fwd = ["TREATS"], [True]
                text_extra = f" (similar in {channel.name})"
                if bridge:
                    more, brels, bfwd, shared = bridge
                    hops += more
                    rels += brels
                    fwd += bfwd
                    text_extra = f" ({shared} shared)" if shared > 1 else ""
                paths.append(EvidencePath(
                    nodes=hops, relationships=rels, weight=round(float(flat[idx]), 4),
                    text=path_text(hops, rels, fwd) + text_extra, source=src,
                    sentences=sents, document_ids=docs,
                ))  # fmt: skip
                break
        # the largest contributions of either kind, after the known treatments
        inferred = paths[n_known:] + _mechanism_paths(store, ckpt, k, drug_node, queries)
        inferred.sort(key=lambda p: -p.weight)
        paths = paths[:n_known] + inferred
        items.append(RankedItem(
            id=drug, name=drug_node.name, label="Drug", score=round(float(final[k]), 4),
            evidence=paths[:EVIDENCE_PER_ITEM],
            flags={"known": bool(known[k]), "probability": round(float(probs[k]), 4)},
        ))  # fmt: skip
    return items
