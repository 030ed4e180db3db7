"""Mechanism features for the treatment ranker: how a drug reaches a disease's
genes, scored for every (drug, disease) pair.

What: one feature per metapath ``Drug -[r1]-> Gene <-[r2]- Disease`` (r1: the
drug binds, up- or down-regulates the gene; r2: the gene is associated with,
up- or down-regulated in the disease) and ``Drug -BINDS-> Gene -INTERACTS-
Gene <-ASSOCIATES- Disease``, each a degree-weighted path count (DWPC, damping
0.4, as Project Rephetio computed its features: a path through a hub gene or a
promiscuous drug counts less), log-scaled per feature.

Why: similar-disease transfer (:mod:`.treatment_model`) says nothing about
the drugs that treat none of a query's similar diseases, so most drugs tie at
the popularity prior; a drug that binds the disease's own genes should rank
above one that does not. Measured on the disease-held-out folds
(docs/results.md, decision 0026), added as a small learned term they lift
AUROC from 0.77 to about 0.87 and leave MRR where it was; given the weight the
listwise loss alone would choose, they lower MRR, so the term's scale is
chosen on the training diseases by MRR first (:func:`choose_scale`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

#: Degree damping of the path counts (Rephetio's DWPC exponent).
DAMPING = 0.4
#: Candidate scales of the mechanism term, tried on the training diseases.
SCALES = (0.0, 0.03, 0.1, 0.3, 1.0)
#: A scale may cost this much inner-validation MRR for a better AUROC.
MRR_TOLERANCE = 0.005


@dataclass(frozen=True)
class Mechanism:
    """``Drug -[drug_rel]-> Gene (-INTERACTS- Gene) <-[disease_rel]- Disease``."""

    drug_rel: str
    disease_rel: str
    via_interaction: bool = False

    @property
    def name(self) -> str:
        mid = "GiG" if self.via_interaction else "G"
        return f"C{self.drug_rel[0].lower()}{mid}{self.disease_rel[0].lower()}D"

    @property
    def cypher(self) -> str:
        """The path as a Cypher pattern from ``(c:Drug)`` to ``(d:Disease)``; ``g`` is
        the gene the drug acts on."""
        far = "-[:INTERACTS]-(h:Gene)" if self.via_interaction else ""
        return (
            f"(c:Drug {{id: $c}})-[:{self.drug_rel}]->(g:Gene){far}"
            f"<-[:{self.disease_rel}]-(d:Disease {{id: $d}})"
        )

    @property
    def relationships(self) -> list[str]:
        mid = ["INTERACTS"] if self.via_interaction else []
        return [self.drug_rel, *mid, self.disease_rel]


DRUG_GENE = ("BINDS", "UPREGULATES", "DOWNREGULATES")
DISEASE_GENE = ("ASSOCIATES", "UPREGULATES", "DOWNREGULATES")
MECHANISMS: tuple[Mechanism, ...] = (
    *(Mechanism(a, b) for a in DRUG_GENE for b in DISEASE_GENE),
    Mechanism("BINDS", "ASSOCIATES", via_interaction=True),
)


def _adjacency(data, et: tuple[str, str, str], rows: int, cols: int) -> torch.Tensor | None:  # type: ignore[no-untyped-def]
    if et not in data.edge_types or data[et].edge_index.numel() == 0:
        return None
    ei = data[et].edge_index
    m = torch.zeros(rows, cols)
    m[ei[0], ei[1]] = 1.0
    return m


def _damped(m: torch.Tensor) -> torch.Tensor:
    rows = m.sum(1, keepdim=True).clamp(min=1) ** -DAMPING
    cols = m.sum(0, keepdim=True).clamp(min=1) ** -DAMPING
    return m * rows * cols


def _damped_interactions(data, n_genes: int) -> torch.Tensor | None:  # type: ignore[no-untyped-def]
    """Gene-INTERACTS-Gene, both directions, degree-damped, as a sparse matrix
    (a dense one would be n_genes squared: 1.7 GB on Hetionet)."""
    et = ("Gene", "INTERACTS", "Gene")
    if et not in data.edge_types or data[et].edge_index.numel() == 0:
        return None
    ei = data[et].edge_index
    both = torch.unique(torch.cat([ei, ei.flip(0)], 1), dim=1)
    both = both[:, both[0] != both[1]]
    degree = torch.bincount(both[0], minlength=n_genes).clamp(min=1).float()
    values = degree[both[0]] ** -DAMPING * degree[both[1]] ** -DAMPING
    shape = (n_genes, n_genes)
    return torch.sparse_coo_tensor(both, values, shape, check_invariants=True).coalesce()


def mechanism_features(data) -> tuple[list[Mechanism], torch.Tensor]:  # type: ignore[no-untyped-def]
    """The mechanisms the graph has paths for and their ``(features, drugs,
    diseases)`` scores: DWPC, divided by the feature's standard deviation, log1p."""
    if "Gene" not in data.node_types:
        return [], torch.zeros(0, data["Drug"].num_nodes, data["Disease"].num_nodes)
    n_c, n_d, n_g = data["Drug"].num_nodes, data["Disease"].num_nodes, data["Gene"].num_nodes
    interact = _damped_interactions(data, n_g)
    drugs = {r: _adjacency(data, ("Drug", r, "Gene"), n_c, n_g) for r in DRUG_GENE}
    diseases = {r: _adjacency(data, ("Disease", r, "Gene"), n_d, n_g) for r in DISEASE_GENE}
    drugs = {r: None if m is None else _damped(m) for r, m in drugs.items()}
    diseases = {r: None if m is None else _damped(m).T for r, m in diseases.items()}
    kept, feats = [], []
    for mech in MECHANISMS:
        drug, right = drugs[mech.drug_rel], diseases[mech.disease_rel]  # right: (genes, diseases)
        if drug is None or right is None or (mech.via_interaction and interact is None):
            continue
        if mech.via_interaction:
            right = torch.sparse.mm(interact, right)
        dwpc = drug @ right
        std = float(dwpc.std())
        if std > 0:  # a metapath with no instance in this graph is no feature
            kept.append(mech)
            feats.append(torch.log1p(dwpc / std))
    if not feats:
        return [], torch.zeros(0, n_c, n_d)
    return kept, torch.stack(feats)


def choose_scale(
    base_scores: list[torch.Tensor],
    mechanism_scores: list[torch.Tensor],
    positives: list[torch.Tensor],
) -> tuple[float, dict[float, tuple[float, float]]]:
    """The scale of the mechanism term with the best MRR over the inner
    validation draws (within :data:`MRR_TOLERANCE`, the better AUROC), and each
    candidate's (MRR, AUROC). Inputs are per draw: (queries, drugs) tensors."""
    from medkg.encoders.graph_train import ranking_metrics

    base, mech, pos = torch.cat(base_scores), torch.cat(mechanism_scores), torch.cat(positives)
    measured = {}
    for scale in SCALES:
        m = ranking_metrics(base + scale * mech, pos)
        measured[scale] = (round(m.mrr, 4), round(m.auroc, 4))
    best_mrr = max(mrr for mrr, _ in measured.values())
    close = [s for s, (mrr, _) in measured.items() if mrr >= best_mrr - MRR_TOLERANCE]
    return max(close, key=lambda s: (measured[s][1], -s)), measured
