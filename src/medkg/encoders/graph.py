"""Heterogeneous graph encoder (torch-geometric) trained by link prediction.

Architecture: a learnable embedding per node (no node features exist for most
Hetionet types), then ``layers`` rounds of heterogeneous GraphSAGE message
passing (``HeteroConv`` with one ``SAGEConv`` per edge type and per reverse
edge type, mean aggregation, residual, layer norm). A DistMult decoder scores
a (head, relation, tail) triple as ``sum(z_h * w_r * z_t)``. Heterogeneous
GraphSAGE was chosen because it is the cheapest per step on CPU (one weight
pair per edge type, no attention); ``layers=0`` is the DistMult baseline that
isolates what message passing adds. On the disease-held-out treatment folds
neither beats drug popularity, so treatments are served by the similar-disease
transfer ranker (docs/decisions/0006); this encoder supplies node embeddings
(diagnosis fusion, an optional transfer channel). ``conv`` switches the layer
to R-GCN or HGT for comparison (``bench/eval_treatment.py --convs``); HGT is
an order of magnitude slower per full-graph step on CPU (docs/results.md), so
GraphSAGE stays the default until a GPU comparison says otherwise.
"""

from __future__ import annotations

import torch
from torch import nn


def _rev(edge_type: tuple[str, str, str]) -> tuple[str, str, str]:
    return (edge_type[2], f"rev_{edge_type[1]}", edge_type[0])


CONVS = ("sage", "rgcn", "hgt")


def _conv(kind: str, dim: int, node_types: list[str], edge_types: list) -> nn.Module:  # type: ignore[type-arg]
    """One message-passing layer over all edge types.

    ``sage``: GraphSAGE per edge type, mean over types. ``rgcn``: a weight per
    relation, mean over neighbours, summed over relations (R-GCN's update,
    written with HeteroConv). ``hgt``: the Heterogeneous Graph Transformer.
    """
    from torch_geometric.nn import GraphConv, HeteroConv, HGTConv, SAGEConv

    if kind == "sage":
        return HeteroConv({et: SAGEConv((dim, dim), dim) for et in edge_types}, aggr="mean")
    if kind == "rgcn":
        return HeteroConv(
            {et: GraphConv((dim, dim), dim, aggr="mean") for et in edge_types}, aggr="sum"
        )
    if kind == "hgt":
        return HGTConv(dim, dim, (node_types, edge_types), heads=2)
    raise ValueError(f"unknown conv {kind!r}: choose one of {', '.join(CONVS)}")


class HeteroGraphEncoder(nn.Module):
    def __init__(
        self,
        num_nodes: dict[str, int],
        edge_types: list[tuple[str, str, str]],
        dim: int = 64,
        layers: int = 2,
        dropout: float = 0.1,
        conv: str = "sage",
    ) -> None:
        super().__init__()
        self.dim = dim
        self.conv_kind = conv
        self.node_types = sorted(num_nodes)
        self.edge_types = list(edge_types)
        self.emb = nn.ModuleDict({t: nn.Embedding(n, dim) for t, n in num_nodes.items()})
        for e in self.emb.values():
            nn.init.normal_(e.weight, std=0.1)
        all_types = self.edge_types + [_rev(e) for e in self.edge_types]
        self.convs = nn.ModuleList([_conv(conv, dim, sorted(num_nodes), all_types)
                                    for _ in range(layers)])  # fmt: skip
        self.norms = nn.ModuleList(
            [nn.ModuleDict({t: nn.LayerNorm(dim) for t in num_nodes}) for _ in range(layers)]
        )
        self.dropout = nn.Dropout(dropout)
        self.rel = nn.ParameterDict(
            {et[1]: nn.Parameter(torch.ones(dim)) for et in self.edge_types}
        )
        # A learned bias per head node and edge type: how often a drug treats anything is
        # most of the signal for a disease with no known drugs (the degree baseline).
        self.head_bias = nn.ParameterDict({
            self._key(et): nn.Parameter(torch.zeros(num_nodes[et[0]])) for et in self.edge_types
        })  # fmt: skip

    @staticmethod
    def with_reverse(edge_index: dict) -> dict:  # type: ignore[type-arg]
        out = dict(edge_index)
        for et, ei in edge_index.items():
            out[_rev(et)] = ei.flip(0)
        return out

    def forward(self, edge_index: dict) -> dict[str, torch.Tensor]:  # type: ignore[type-arg]
        """Node embeddings per type, given ``{edge type: edge_index}`` (forward edges)."""
        x = {t: e.weight for t, e in self.emb.items()}
        ei = self.with_reverse(edge_index)
        for conv, norms in zip(self.convs, self.norms, strict=True):
            h = conv(x, ei)
            x = {
                t: norms[t](x[t] + self.dropout(torch.relu(h[t])))
                if h.get(t) is not None else x[t]
                for t in x
            }  # fmt: skip
        return x

    @staticmethod
    def _key(edge_type: tuple[str, str, str]) -> str:
        return "__".join(edge_type)

    def score(self, z_head: torch.Tensor, rel: str, z_tail: torch.Tensor) -> torch.Tensor:
        return (z_head * self.rel[rel] * z_tail).sum(-1)

    def score_edges(
        self,
        z: dict[str, torch.Tensor],
        edge_type: tuple[str, str, str],
        head: torch.Tensor,
        tail: torch.Tensor,
    ) -> torch.Tensor:
        """Scores of (head index, tail index) pairs of one edge type, biases included."""
        h, rel, t = edge_type
        return self.score(z[h][head], rel, z[t][tail]) + self.head_bias[self._key(edge_type)][head]
