"""Learned treatment ranker: drugs for a disease from the drugs of *similar* diseases.

Why this model: the question users ask most ("what could treat this disease?")
matters most for diseases with few or no known drugs, and the benchmark holds
out whole diseases for that reason. Measured on that split
(``bench/eval_treatment.py``, docs/decisions/0006), link-prediction encoders
(DistMult, heterogeneous GraphSAGE) barely match drug popularity, while
transferring the treatments of diseases that share genes, anatomy or a
RESEMBLES edge with the query beats it clearly (figures: docs/results.md).

The model: for each *channel* ``c`` (one per Disease edge type in the graph,
plus an optional graph-encoder embedding channel) a cosine similarity between
diseases' neighbour profiles; a softmax over the known-treated diseases with a
learned temperature per channel turns similarities into "which diseases is this
one like"; channel weights mix them, and a learned popularity prior
(``log(1 + drug degree)``) is added::

    score(q, drug) = scale * sum_c w_c * sum_d softmax_d(S_c[q, d] / tau_c) * T[drug, d]
                     + alpha * log(1 + deg(drug))

Training mimics the test condition: each step hides the treatments of a random
fifth of the known-treated diseases and asks for them back (listwise softmax
loss over all drugs). Twelve parameters per channel set: it trains in seconds on
CPU and cannot memorise drug-disease pairs. Every score decomposes into
(similar disease, channel) contributions, which become real graph paths in the
answer's evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from medkg.artifacts import load_checkpoint, save_checkpoint
from medkg.fusion.treatment_mechanisms import Mechanism

TREATS = ("Drug", "TREATS", "Disease")
RESEMBLES = ("Disease", "RESEMBLES", "Disease")


@dataclass(frozen=True)
class Channel:
    """One disease-similarity channel: the edge type whose neighbour profiles it compares."""

    name: str
    edge_type: tuple[str, str, str] | None = None  # None: an embedding channel


def _cosine(profile: torch.Tensor) -> torch.Tensor:
    unit = profile / (profile.norm(dim=1, keepdim=True) + 1e-9)
    return unit @ unit.T


#: Edge types that do not place a disease or drug in the biology the ranker
#: transfers over: ontology structure, ties between duplicates, HPO phenotypes.
SCOPE_EXCLUDED = frozenset({"IS_A", "SAME_AS", "PRESENTS"})


def biology_scope(data, label: str) -> torch.Tensor:  # type: ignore[no-untyped-def]
    """Indices of the ``label`` nodes with an edge of a type outside ``SCOPE_EXCLUDED``.

    Why: similarities are dense disease-by-disease matrices and scores dense
    drug-by-disease ones; over every DOID and MONDO term and every DrugBank drug
    the vocabularies add they would need gigabytes, for diseases with no genes,
    anatomy or drugs to transfer from and drugs with nothing known about them.
    """
    keep = torch.zeros(data[label].num_nodes, dtype=torch.bool)
    for et in data.edge_types:
        if et[1] in SCOPE_EXCLUDED or label not in (et[0], et[2]):
            continue
        ei = data[et].edge_index
        if et[0] == label:
            keep[ei[0]] = True
        if et[2] == label:
            keep[ei[1]] = True
    return keep.nonzero().flatten()


def restrict(data, label: str, keep: torch.Tensor):  # type: ignore[no-untyped-def]
    """A copy of an ``export_hetero`` graph holding only the ``keep`` nodes of
    ``label`` (edges to the others dropped, indices renumbered)."""
    from torch_geometric.data import HeteroData

    new_index = torch.full((data[label].num_nodes,), -1, dtype=torch.long)
    new_index[keep] = torch.arange(len(keep))
    out = HeteroData()
    for t in data.node_types:
        out[t].num_nodes = data[t].num_nodes
        out[t].node_ids = data[t].node_ids
    out[label].num_nodes = len(keep)
    out[label].node_ids = [data[label].node_ids[i] for i in keep.tolist()]
    for et in data.edge_types:
        ei = data[et].edge_index.clone()
        mask = torch.ones(ei.shape[1], dtype=torch.bool)
        for row, end in ((0, et[0]), (1, et[2])):
            if end == label:
                ei[row] = new_index[ei[row]]
                mask &= ei[row] >= 0
        if mask.any():
            out[et].edge_index = ei[:, mask]
    out.data_version = data.data_version
    return out


def treatment_graph(data):  # type: ignore[no-untyped-def]
    """The drugs and diseases the ranker works over: those in the biology
    (:func:`biology_scope`); on Hetionet alone, all that have any edge."""
    for label in ("Disease", "Drug"):
        data = restrict(data, label, biology_scope(data, label))
    return data


def similarity_channels(
    data,  # type: ignore[no-untyped-def]
    embeddings: torch.Tensor | None = None,
) -> tuple[list[Channel], torch.Tensor]:
    """``(channels, S)`` with ``S`` of shape (channels, diseases, diseases).

    One channel per edge type with a Disease end other than TREATS (drug-side
    edges such as PALLIATES count: diseases palliated by the same drugs are
    alike), plus ``embeddings`` (a graph encoder's Disease rows) when given.
    The vocabularies' edges (``SCOPE_EXCLUDED``: shared HPO phenotypes, IS_A
    neighbours, SAME_AS ties) are not channels: measured, they add nothing to
    treatment transfer (docs/results.md), and a SAME_AS tie is no similarity.
    """
    n = data["Disease"].num_nodes
    channels: list[Channel] = []
    sims: list[torch.Tensor] = []
    for et in data.edge_types:
        if et == TREATS or et[1] in SCOPE_EXCLUDED or "Disease" not in (et[0], et[2]):
            continue
        ei = data[et].edge_index
        if ei.numel() == 0:
            continue
        if et[0] == et[2] == "Disease":
            adj = torch.zeros(n, n)
            adj[ei[0], ei[1]] = 1.0
            sims.append(((adj + adj.T) > 0).float())
        else:
            d_row, other = (0, et[2]) if et[0] == "Disease" else (1, et[0])
            profile = torch.zeros(n, data[other].num_nodes)
            profile[ei[d_row], ei[1 - d_row]] = 1.0
            sims.append(_cosine(profile))
        channels.append(Channel("-".join(et), et))
    if embeddings is not None:
        sims.append(_cosine(embeddings.float()))
        channels.append(Channel("graph-encoder embedding"))
    if not sims:
        raise ValueError("the graph has no Disease edges to compare diseases by")
    return channels, torch.stack(sims)


class TreatmentRanker(nn.Module):
    def __init__(self, n_channels: int, n_mechanisms: int = 0) -> None:
        super().__init__()
        self.weight_logits = nn.Parameter(torch.zeros(n_channels))
        self.log_tau = nn.Parameter(torch.full((n_channels,), -2.0))
        self.scale = nn.Parameter(torch.tensor(5.0))
        self.alpha = nn.Parameter(torch.tensor(0.0))
        #: Weights of the mechanism features (:mod:`.treatment_mechanisms`) and the
        #: scale of their term, chosen on the training diseases (0: not used).
        self.mechanism = nn.Parameter(torch.zeros(n_mechanisms))
        self.register_buffer("mechanism_scale", torch.tensor(0.0))

    def neighbour_weights(
        self, sims: torch.Tensor, queries: torch.Tensor, treated: torch.Tensor
    ) -> torch.Tensor:
        """(channels, queries, diseases): how much each treated disease speaks for a query
        (itself and untreated diseases excluded), channel weight included."""
        s = sims[:, queries, :] / self.log_tau.exp()[:, None, None]
        mask = ~treated[None, None, :].expand_as(s).clone()
        mask[:, torch.arange(len(queries)), queries] = True
        p = F.softmax(s.masked_fill(mask, -1e9), dim=-1)
        p = p * (~mask).any(-1, keepdim=True)  # no treated neighbour at all: no transfer
        return F.softmax(self.weight_logits, 0)[:, None, None] * p

    def forward(
        self,
        sims: torch.Tensor,
        queries: torch.Tensor,
        treats: torch.Tensor,
        mechanisms: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """(queries, drugs) scores; ``treats`` is the (drugs, diseases) 0/1 matrix,
        ``mechanisms`` the (features, drugs, diseases) mechanism features."""
        out = self.scores(self.neighbour_weights(sims, queries, treats.sum(0) > 0), treats)
        if mechanisms is not None and self.mechanism.numel():
            out = out + self.mechanism_term(mechanisms[:, :, queries])
        return out

    def mechanism_term(self, features: torch.Tensor) -> torch.Tensor:
        """(queries, drugs) from (features, drugs, queries) mechanism features."""
        return self.mechanism_scale * self.mechanism_contributions(features).sum(0)

    def mechanism_contributions(self, features: torch.Tensor) -> torch.Tensor:
        """(features, queries, drugs): each mechanism's weighted feature, unscaled."""
        return torch.einsum("f,fkq->fqk", self.mechanism, features)

    def scores(self, weights: torch.Tensor, treats: torch.Tensor) -> torch.Tensor:
        """(queries, drugs) scores from :meth:`neighbour_weights`' output."""
        transfer = torch.einsum("cqd,kd->qk", weights, treats)
        return self.scale * transfer + self.alpha * torch.log1p(treats.sum(1))[None, :]


def treats_matrix(edge_index: torch.Tensor, n_drugs: int, n_diseases: int) -> torch.Tensor:
    t = torch.zeros(n_drugs, n_diseases)
    if edge_index.numel():
        t[edge_index[0], edge_index[1]] = 1.0
    return t


@dataclass
class TreatmentTrainResult:
    model: TreatmentRanker
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    #: Inner-validation (MRR, AUROC) per candidate scale of the mechanism term.
    mechanism_scales: dict[float, tuple[float, float]] = field(default_factory=dict)


def _hidden_split(
    train_treats: torch.Tensor, treated: list[int], n_hide: int, gen: torch.Generator, n: tuple
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One training draw: the hidden diseases, the visible treats matrix and the
    hidden diseases' (queries, drugs) targets."""
    n_drugs, n_diseases = n
    perm = torch.randperm(len(treated), generator=gen)[:n_hide]
    hidden = torch.tensor([treated[i] for i in perm.tolist()])
    is_hidden = torch.isin(train_treats[1], hidden)
    visible = treats_matrix(train_treats[:, ~is_hidden], n_drugs, n_diseases)
    target = treats_matrix(train_treats[:, is_hidden], n_drugs, n_diseases)[:, hidden].T
    return hidden, visible, target


def train_treatment_ranker(
    sims: torch.Tensor,
    train_treats: torch.Tensor,
    n_drugs: int,
    steps: int = 200,
    lr: float = 0.05,
    hide_fraction: float = 0.2,
    seed: int = 0,
    on_step: Callable[[int, float], None] | None = None,
    mechanisms: torch.Tensor | None = None,
    validation_draws: int = 20,
) -> TreatmentTrainResult:
    """Fit on ``train_treats`` ((2, n) drug, disease indices) by hiding diseases' treatments.

    With ``mechanisms`` ((features, drugs, diseases), :mod:`.treatment_mechanisms`):
    after the transfer model, the features' weights are fitted the same way
    with the transfer model fixed (``steps // 2``), then the scale of their
    term is chosen on ``validation_draws`` fresh draws of hidden training
    diseases (:func:`~.treatment_mechanisms.choose_scale`)."""
    import time

    torch.manual_seed(seed)
    n_diseases = sims.size(1)
    treated = sorted(set(train_treats[1].tolist()))
    if len(treated) < 2:
        raise ValueError("need treatments for at least two diseases to train")
    n_mech = 0 if mechanisms is None else mechanisms.size(0)
    model = TreatmentRanker(sims.size(0), n_mech)
    base = [p for name, p in model.named_parameters() if name != "mechanism"]
    opt = torch.optim.Adam(base, lr=lr)
    gen = torch.Generator().manual_seed(seed)
    result = TreatmentTrainResult(model)
    n_hide = max(1, int(len(treated) * hide_fraction))
    shape = (n_drugs, n_diseases)
    t0 = time.perf_counter()

    def fit(optimiser: torch.optim.Optimizer, n_steps: int, features: torch.Tensor | None) -> None:
        for _ in range(n_steps):
            hidden, visible, target = _hidden_split(train_treats, treated, n_hide, gen, shape)
            scores = model(sims, hidden, visible, features)
            loss = -(F.log_softmax(scores, -1) * target).sum() / target.sum()
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            result.losses.append(float(loss.detach()))
            if on_step:
                on_step(len(result.losses) - 1, result.losses[-1])

    fit(opt, steps, None)  # the transfer model alone: the mechanism term is not on yet
    if mechanisms is not None and n_mech:
        from medkg.fusion.treatment_mechanisms import choose_scale

        for p in base:
            p.requires_grad_(False)
        model.mechanism_scale.fill_(1.0)
        fit(torch.optim.Adam([model.mechanism], lr=lr), max(1, steps // 2), mechanisms)
        for p in base:
            p.requires_grad_(True)
        draws: tuple[list, list, list] = ([], [], [])
        with torch.no_grad():
            for _ in range(validation_draws):
                hidden, visible, target = _hidden_split(train_treats, treated, n_hide, gen, shape)
                draws[0].append(model(sims, hidden, visible))  # without the term
                draws[1].append(model.mechanism_contributions(mechanisms[:, :, hidden]).sum(0))
                draws[2].append(target.bool())
        scale, result.mechanism_scales = choose_scale(*draws)
        model.mechanism_scale.fill_(scale)
    result.seconds = time.perf_counter() - t0
    model.eval()
    return result


@dataclass
class TreatmentCheckpoint:
    """A trained ranker with the graph snapshot it ranks over (ids map rows back to nodes)."""

    model: TreatmentRanker
    channels: list[Channel]
    sims: torch.Tensor
    treats: torch.Tensor  # (drugs, diseases) known treatments at training time
    drug_ids: list[str]
    disease_ids: list[str]
    data_version: str
    meta: dict = field(default_factory=dict)
    #: The mechanism features' metapaths and their (features, drugs, diseases)
    #: scores (:mod:`.treatment_mechanisms`); empty for checkpoints without them.
    mechanisms: list[Mechanism] = field(default_factory=list)
    features: torch.Tensor | None = None

    @cached_property
    def disease_index(self) -> dict[str, int]:
        """Disease id -> column of ``sims`` and ``treats``."""
        return {d: i for i, d in enumerate(self.disease_ids)}

    def save(self, path: Path) -> None:
        save_checkpoint(
            path,
            {
                "kind": "treatment-ranker",
                "state": self.model.state_dict(),
                "channels": [(c.name, c.edge_type) for c in self.channels],
                "sims": self.sims,
                "treats": self.treats.to_sparse(),
                "drug_ids": self.drug_ids,
                "disease_ids": self.disease_ids,
                "data_version": self.data_version,
                "meta": self.meta,
                "mechanisms": [
                    (m.drug_rel, m.disease_rel, m.via_interaction) for m in self.mechanisms
                ],
                "features": None if self.features is None else self.features.to_sparse(),
            },
        )

    @classmethod
    def load(cls, path: Path) -> TreatmentCheckpoint:
        ckpt = load_checkpoint(path)
        if ckpt.get("kind") != "treatment-ranker":
            raise ValueError(f"{path} is not a treatment-ranker checkpoint")
        channels = [Channel(n, tuple(e) if e else None) for n, e in ckpt["channels"]]  # type: ignore[arg-type]
        mechanisms = [Mechanism(a, b, bool(v)) for a, b, v in ckpt.get("mechanisms", [])]
        model = TreatmentRanker(len(channels), len(mechanisms))
        # checkpoints from before the mechanism term lack its two entries
        model.load_state_dict(ckpt["state"], strict=bool(mechanisms))
        features = ckpt.get("features")
        return cls(
            model.eval(), channels, ckpt["sims"], ckpt["treats"].to_dense(),
            ckpt["drug_ids"], ckpt["disease_ids"], ckpt["data_version"], ckpt.get("meta", {}),
            mechanisms, None if features is None else features.to_dense(),
        )  # fmt: skip

    @torch.no_grad()
    def rank(self, disease_weights: dict[str, float]) -> tuple[torch.Tensor, torch.Tensor]:
        """Drug probabilities for weighted diseases (known ids only) and the
        (channels, diseases) neighbour weights behind them, weight-summed over queries."""
        col = self.disease_index
        known = [(col[d], w) for d, w in disease_weights.items() if d in col]
        if not known:
            raise KeyError("none of the diseases is in the checkpoint")
        q = torch.tensor([i for i, _ in known])
        w = torch.tensor([x for _, x in known], dtype=torch.float32)
        w = w / w.sum()
        neighbours = self.model.neighbour_weights(self.sims, q, self.treats.sum(0) > 0)
        scores = self.model.scores(neighbours, self.treats)
        if self.features is not None and self.mechanisms:
            scores = scores + self.model.mechanism_term(self.features[:, :, q])
        probs = F.softmax(scores, -1)
        return (w[:, None] * probs).sum(0), (w[None, :, None] * neighbours).sum(1)

    @torch.no_grad()
    def mechanism_contributions(self, drug: int, disease: str) -> list[tuple[Mechanism, float]]:
        """Each mechanism's share of ``drug``'s score for ``disease`` (scaled, in
        score units), largest first; empty without mechanism features."""
        if self.features is None or not self.mechanisms or disease not in self.disease_index:
            return []
        feats = self.features[:, drug, self.disease_index[disease]]
        parts = self.model.mechanism_scale * self.model.mechanism * feats
        return sorted(zip(self.mechanisms, parts.tolist(), strict=True), key=lambda x: -x[1])
