"""Link-prediction training for the graph encoder and the held-out treatment split.

Split (issue 4): Compound-treats-Disease edges are divided **by disease** - a
test disease has none of its treatments in the graph the model trains and
passes messages on - so the score measures prediction for diseases without
known drugs, not memorised neighbours. Every other edge type trains too
(sampled per epoch), which is what lets a test disease borrow evidence from its
genes, anatomy and similar diseases.

``layers=0`` gives the DistMult knowledge-graph-embedding baseline with the
same decoder, sampler and budget, so the comparison isolates message passing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F

from medkg import artifacts
from medkg.encoders.device import resolve_device, synchronize
from medkg.encoders.graph import HeteroGraphEncoder
from medkg.encoders.precision import MixedPrecision

TREATS = ("Drug", "TREATS", "Disease")


@dataclass
class TreatsSplit:
    train: torch.Tensor  # (2, n) drug index, disease index
    test: torch.Tensor
    test_diseases: list[int]


def split_treats_by_disease(data, test_fraction: float = 0.2, seed: int = 0) -> TreatsSplit:  # type: ignore[no-untyped-def]
    ei = data[TREATS].edge_index
    diseases = sorted(set(ei[1].tolist()))
    random.Random(seed).shuffle(diseases)
    test_d = set(diseases[: max(1, int(len(diseases) * test_fraction))])
    mask = torch.tensor([int(d) in test_d for d in ei[1]])
    return TreatsSplit(ei[:, ~mask], ei[:, mask], sorted(test_d))


@dataclass
class GraphTrainResult:
    model: HeteroGraphEncoder
    losses: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    device: str = "cpu"
    precision: str = "fp32"
    #: What rebuilds the model: ``dim``, ``layers``, ``conv``.
    config: dict[str, Any] = field(default_factory=dict)


def train_link_prediction(
    data,  # type: ignore[no-untyped-def]
    train_edges: dict[tuple[str, str, str], torch.Tensor],
    dim: int = 64,
    layers: int = 2,
    epochs: int = 30,
    lr: float = 0.01,
    per_type: int = 20_000,
    focus: tuple[str, str, str] = TREATS,
    focus_weight: float = 5.0,
    device: str = "auto",
    seed: int = 0,
    on_epoch: Callable[[int, float], None] | None = None,
    conv: str = "sage",
    precision: str = "auto",
) -> GraphTrainResult:
    """Train on ``train_edges`` (also the message-passing graph); each positive gets one
    corrupted tail and one corrupted head (uniform within the node type)."""
    torch.manual_seed(seed)
    dev = resolve_device(device)
    mp = MixedPrecision.resolve(precision, dev)
    num_nodes = {t: data[t].num_nodes for t in data.node_types}
    model = HeteroGraphEncoder(num_nodes, list(train_edges), dim=dim, layers=layers, conv=conv).to(
        dev
    )
    edges = {et: ei.to(dev) for et, ei in train_edges.items()}
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    result = GraphTrainResult(
        model, device=str(dev), precision=mp.name,
        config={"dim": dim, "layers": layers, "conv": conv},
    )  # fmt: skip
    for epoch in range(epochs):
        model.train()
        t0 = time.perf_counter()
        with mp.autocast():
            z = model(edges) if layers else {t: e.weight for t, e in model.emb.items()}
        z = {t: v.float() for t, v in z.items()}
        loss = torch.zeros((), device=dev)
        for et, ei in edges.items():
            n = ei.size(1)
            take = torch.randperm(n, generator=gen)[: min(n, per_type)].to(dev)
            h, t = ei[0, take], ei[1, take]
            neg_t = torch.randint(num_nodes[et[2]], (len(take),), generator=gen).to(dev)
            neg_h = torch.randint(num_nodes[et[0]], (len(take),), generator=gen).to(dev)
            pos = model.score_edges(z, et, h, t)
            neg = torch.cat(
                [
                    model.score_edges(z, et, h, neg_t),
                    model.score_edges(z, et, neg_h, t),
                ]
            )
            part = F.binary_cross_entropy_with_logits(
                torch.cat([pos, neg]),
                torch.cat([torch.ones_like(pos), torch.zeros_like(neg)]),
                weight=torch.cat([torch.full_like(pos, 2.0), torch.ones_like(neg)]),
            )
            loss = loss + part * (focus_weight if et == focus else 1.0)
        mp.step(loss, opt)
        synchronize(dev)
        result.epoch_seconds.append(time.perf_counter() - t0)
        result.losses.append(float(loss.detach()))
        if on_epoch:
            on_epoch(epoch, result.losses[-1])
    model.eval()
    return result


@torch.no_grad()
def embeddings(model: HeteroGraphEncoder, edges: dict) -> dict[str, torch.Tensor]:  # type: ignore[type-arg]
    """Detached node embeddings per type. Detached explicitly: a type that receives no
    messages comes back as its embedding ``Parameter`` itself, which no_grad does not
    detach, and anything built from it later (fusion inputs) would carry its graph."""
    dev = next(model.parameters()).device
    z = (
        model({et: ei.to(dev) for et, ei in edges.items()})
        if model.convs
        else {t: e.weight for t, e in model.emb.items()}
    )
    return {t: v.detach() for t, v in z.items()}


@torch.no_grad()
def save_graph_encoder(result: GraphTrainResult, data: Any, edges: dict, path: Path) -> None:  # type: ignore[type-arg]
    """Write the trained encoder with the node embeddings it gives for ``data``
    (the graph it was trained on, by ``data.data_version``), in the format of
    :func:`medkg.artifacts.save_graph_encoder`."""
    z = embeddings(result.model, edges)
    artifacts.save_graph_encoder(
        path,
        config=result.config,
        data_version=data.data_version,
        state=result.model.state_dict(),
        embeddings=z,
        node_ids={t: data[t].node_ids for t in data.node_types},
        device=result.device,
        precision=result.precision,
    )


def score_treatments(
    model: HeteroGraphEncoder, z: dict[str, torch.Tensor], diseases: list[int]
) -> torch.Tensor:
    """(len(diseases), drugs) TREATS scores."""
    bias = model.head_bias[model._key(TREATS)]
    return model.score(z["Drug"][None, :, :], "TREATS", z["Disease"][diseases][:, None, :]) + bias


@dataclass
class RankMetrics:
    auroc: float
    auprc: float
    mrr: float
    hits_at_10: float
    positives: int


def positive_ranks(scores: torch.Tensor, positive: torch.Tensor) -> torch.Tensor:
    """(n, 3) rows ``(query, candidate, rank)``, one per positive, each ranked against
    its query's negatives only (the filtered setting; ties count half).

    Why separate from :func:`ranking_metrics`: a benchmark that asks *which*
    positives a model finds (drugs with other known uses against drugs with none)
    needs the ranks themselves, computed the same way as the pooled MRR.
    """
    s, p = scores.detach().float().cpu(), positive.bool().cpu()
    rows = []
    for q in range(s.size(0)):
        neg = s[q][~p[q]]
        for c in p[q].nonzero().flatten().tolist():
            v = s[q, c]
            rows.append((q, c, 1 + int((neg > v).sum()) + int((neg == v).sum()) // 2))
    return torch.tensor(rows, dtype=torch.long).reshape(-1, 3)


def ranking_metrics(scores: torch.Tensor, positive: torch.Tensor) -> RankMetrics:
    """``scores`` and boolean ``positive`` are (queries, candidates). MRR and Hits@10 rank
    each positive against the query's negatives only (the filtered setting)."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    s, p = scores.detach().float().cpu(), positive.bool().cpu()
    auroc = float(roc_auc_score(p.flatten().numpy(), s.flatten().numpy()))
    auprc = float(average_precision_score(p.flatten().numpy(), s.flatten().numpy()))
    ranks = positive_ranks(s, p)[:, 2].float()
    n = max(len(ranks), 1)
    mrr = float((1.0 / ranks).sum()) / n
    hits = float((ranks <= 10).sum()) / n
    return RankMetrics(auroc, auprc, mrr, hits, len(ranks))
