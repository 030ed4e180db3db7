"""HeteroData export from the real embedded store, the hetero GNN, and ranking metrics."""

from __future__ import annotations

import pytest
import torch

from medkg.encoders.graph_export import export_hetero
from medkg.encoders.graph_train import (
    TREATS,
    embeddings,
    positive_ranks,
    ranking_metrics,
    score_treatments,
    split_treats_by_disease,
    train_link_prediction,
)
from medkg.kg.store.embedded import EmbeddedStore
from tests.conftest import needs_cuda


@pytest.fixture(scope="module")
def data(slice_store: EmbeddedStore):  # type: ignore[no-untyped-def]
    return export_hetero(slice_store)


def test_export_matches_the_store(data, slice_store: EmbeddedStore) -> None:  # type: ignore[no-untyped-def]
    stats = slice_store.stats()
    for label, n in stats["nodes"].items():
        if n and label not in ("Document", "Patient"):
            assert data[label].num_nodes == n
    assert data[TREATS].edge_index.size(1) == stats["relationships"]["TREATS"] == 755
    i = data["Drug"].node_ids.index("DB00331")
    j = data["Disease"].node_ids.index("DOID:9352")
    ei = data[TREATS].edge_index
    assert ((ei[0] == i) & (ei[1] == j)).any()  # metformin treats type 2 diabetes
    assert export_hetero(slice_store).data_version == data.data_version
    held_out = export_hetero(slice_store, exclude_edges={("DB00331", "DOID:9352")})
    assert held_out[TREATS].edge_index.size(1) == 754


def test_split_is_by_disease(data) -> None:  # type: ignore[no-untyped-def]
    split = split_treats_by_disease(data, 0.2, seed=0)
    assert set(split.test[1].tolist()) == set(split.test_diseases)
    assert not set(split.train[1].tolist()) & set(split.test_diseases)
    assert split.train.size(1) + split.test.size(1) == 755


@pytest.mark.parametrize(("layers", "conv"), [(0, "sage"), (2, "sage"), (2, "rgcn"), (2, "hgt")])
def test_training_lowers_the_loss_and_scores_every_drug(data, layers: int, conv: str) -> None:  # type: ignore[no-untyped-def]
    split = split_treats_by_disease(data)
    edges = {et: data[et].edge_index for et in data.edge_types}
    edges[TREATS] = split.train
    res = train_link_prediction(
        data,
        edges,
        dim=16,
        layers=layers,
        epochs=25,
        per_type=2000,
        device="cpu",
        seed=0,
        conv=conv,
    )
    assert res.losses[-1] < res.losses[0]
    z = embeddings(res.model, edges)
    assert z["Drug"].shape == (data["Drug"].num_nodes, 16)
    scores = score_treatments(res.model, z, split.test_diseases[:3])
    assert scores.shape == (3, data["Drug"].num_nodes) and torch.isfinite(scores).all()


@pytest.mark.parametrize("conv", ["sage", "rgcn", "hgt"])
def test_bf16_mixed_precision_trains_every_layer(data, conv: str) -> None:  # type: ignore[no-untyped-def]
    """The autocast branch a GPU takes by default, run here on CPU: every layer must
    train under bf16 and give fp32 embeddings close to the fp32 run's loss curve."""
    edges = {et: data[et].edge_index for et in data.edge_types}
    kw = {"dim": 16, "layers": 2, "epochs": 12, "per_type": 2000, "device": "cpu", "conv": conv}
    bf16 = train_link_prediction(data, edges, precision="bf16", **kw)
    fp32 = train_link_prediction(data, edges, precision="fp32", **kw)
    assert (bf16.precision, fp32.precision) == ("bf16", "fp32")
    assert bf16.losses[-1] < 0.6 * bf16.losses[0]
    assert abs(bf16.losses[-1] - fp32.losses[-1]) < 0.05 * fp32.losses[-1]
    z = embeddings(bf16.model, edges)
    assert z["Drug"].dtype == torch.float32 and torch.isfinite(z["Drug"]).all()


@needs_cuda
def test_gpu_training_path(data) -> None:  # type: ignore[no-untyped-def]
    edges = {et: data[et].edge_index for et in data.edge_types}
    res = train_link_prediction(data, edges, dim=16, layers=2, epochs=10, device="cuda")
    assert res.device.startswith("cuda") and res.precision in ("bf16", "fp16")
    assert res.losses[-1] < res.losses[0]
    z = embeddings(res.model, edges)
    assert z["Drug"].device.type == "cuda" and torch.isfinite(z["Drug"]).all()


def test_embeddings_are_detached_for_types_without_messages(data) -> None:  # type: ignore[no-untyped-def]
    """A node type outside every edge (isolated symptoms in the shipped Hetionet) must
    not come back as the live embedding Parameter: fusion training on it would fail."""
    edges = {et: data[et].edge_index for et in data.edge_types if "Anatomy" not in (et[0], et[2])}
    res = train_link_prediction(data, edges, dim=8, layers=1, epochs=1, device="cpu")
    z = embeddings(res.model, edges)
    assert "Anatomy" in z and not any(v.requires_grad for v in z.values())


def test_ranking_metrics_by_hand() -> None:
    scores = torch.tensor([[0.9, 0.8, 0.1, 0.0], [0.2, 0.9, 0.8, 0.1]])
    positive = torch.tensor([[True, False, False, False], [False, False, True, False]])
    m = ranking_metrics(scores, positive)
    assert m.positives == 2
    assert m.mrr == pytest.approx((1 / 1 + 1 / 2) / 2)
    assert m.hits_at_10 == 1.0
    assert 0.5 < m.auroc <= 1.0


def test_positive_ranks_ignore_other_positives_and_halve_ties() -> None:
    scores = torch.tensor([[0.9, 0.8, 0.8, 0.7, 0.1]])
    positive = torch.tensor([[True, False, True, True, False]])
    ranks = positive_ranks(scores, positive)
    # each positive against the negatives only (0.8 and 0.1): 0.9 first, the
    # 0.8 positive tied with the 0.8 negative (half a place, rounded down), 0.7
    # behind one
    assert ranks.tolist() == [[0, 0, 1], [0, 2, 1], [0, 3, 2]]
    assert positive_ranks(scores, torch.zeros_like(positive)).shape == (0, 3)
