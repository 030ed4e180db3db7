"""The learned treatment ranker on a real Hetionet slice: training, held-out quality,
checkpoints, and answers whose evidence paths exist in the store."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch
from fastapi.testclient import TestClient

from medkg.api import create_app
from medkg.artifacts import ModelFiles
from medkg.encoders.graph_export import export_hetero
from medkg.encoders.graph_train import ranking_metrics
from medkg.fusion.recommend import recommend_treatments
from medkg.fusion.trained import TrainedModels
from medkg.fusion.training import train_treatments
from medkg.fusion.treatment_mechanisms import mechanism_features
from medkg.fusion.treatment_model import (
    TREATS,
    TreatmentCheckpoint,
    similarity_channels,
    train_treatment_ranker,
    treats_matrix,
)
from medkg.kg.store.embedded import EmbeddedStore
from medkg.settings import Settings
from tests.conftest import SHARED


@pytest.fixture(scope="module")
def data(slice_store: EmbeddedStore):  # type: ignore[no-untyped-def]
    return export_hetero(slice_store)


def test_channels_are_cosine_similarities(data) -> None:  # type: ignore[no-untyped-def]
    channels, sims = similarity_channels(data)
    names = {c.name for c in channels}
    assert "Disease-ASSOCIATES-Gene" in names and "Disease-RESEMBLES-Disease" in names
    assert all(c.edge_type != TREATS for c in channels)  # the target never leaks in
    assert sims.shape == (len(channels), data["Disease"].num_nodes, data["Disease"].num_nodes)
    assert torch.allclose(sims, sims.transpose(1, 2), atol=1e-6)
    assert float(sims.max()) <= 1.0 + 1e-5 and float(sims.min()) >= -1e-6


def _held_out(data):  # type: ignore[no-untyped-def]
    """A quarter of the treated diseases held out (seed 0): the training treats,
    the held-out disease indices, the visible treats matrix and the held-out
    diseases' (queries, drugs) treatments."""
    full = data[TREATS].edge_index
    n_drugs, n_dis = data["Drug"].num_nodes, data["Disease"].num_nodes
    treated = sorted(set(full[1].tolist()))
    random.Random(0).shuffle(treated)
    test = sorted(treated[: len(treated) // 4])
    held = torch.isin(full[1], torch.tensor(test))
    known = treats_matrix(full[:, ~held], n_drugs, n_dis)
    pos = treats_matrix(full[:, held], n_drugs, n_dis)[:, test].T.bool()
    return full[:, ~held], torch.tensor(test), known, pos


def test_learns_and_beats_popularity_on_held_out_diseases(data) -> None:  # type: ignore[no-untyped-def]
    _, sims = similarity_channels(data)
    train, q, known, pos = _held_out(data)
    res = train_treatment_ranker(sims, train, data["Drug"].num_nodes, steps=150)
    assert sum(res.losses[-20:]) < sum(res.losses[:20])
    with torch.no_grad():
        model = ranking_metrics(res.model(sims, q, known), pos)
    degree = ranking_metrics(known.sum(1).expand(len(q), -1), pos)
    assert model.mrr > degree.mrr and model.auprc > degree.auprc


def test_mechanism_features_count_drug_gene_disease_paths(data) -> None:  # type: ignore[no-untyped-def]
    """A (drug, disease) pair scores on Drug-BINDS->Gene<-ASSOCIATES-Disease exactly
    when such a gene exists."""
    mechanisms, feats = mechanism_features(data)
    names = [m.name for m in mechanisms]
    assert "CbGaD" in names and "CdGuD" in names
    # a metapath with no instance in this graph is no feature (on this 300-edge
    # slice, BINDS-INTERACTS-ASSOCIATES has none)
    assert all(float(f.max()) > 0 for f in feats)
    assert feats.shape == (len(names), data["Drug"].num_nodes, data["Disease"].num_nodes)
    binds = data["Drug", "BINDS", "Gene"].edge_index
    assoc = data["Disease", "ASSOCIATES", "Gene"].edge_index
    drug_genes: dict[int, set[int]] = {}
    for c, g in binds.T.tolist():
        drug_genes.setdefault(c, set()).add(g)
    disease_genes: dict[int, set[int]] = {}
    for d, g in assoc.T.tolist():
        disease_genes.setdefault(d, set()).add(g)
    cbgad = feats[names.index("CbGaD")]
    shared = {
        (c, d) for c, gs in drug_genes.items() for d, hs in disease_genes.items() if gs & hs
    }
    assert shared and {tuple(x) for x in (cbgad > 0).nonzero().tolist()} == shared
    assert float(feats.min()) >= 0.0


@pytest.fixture(scope="module")
def full_data():  # type: ignore[no-untyped-def]
    """The whole shipped Hetionet as a graph of indices, read from its files (3 s;
    the 300-edge slice has too few drug-gene-disease paths to measure on)."""
    from torch_geometric.data import HeteroData

    from medkg.kg.importers.hetionet import HetionetSource

    hetionet = SHARED / "hetionet"
    if not (hetionet / "hetionet-v1.0-nodes.tsv").exists():
        pytest.skip("Hetionet not found")
    src = HetionetSource.from_dir(hetionet).read()
    out = HeteroData()
    index = {label: {nid: i for i, nid in enumerate(nodes)} for label, nodes in src.nodes.items()}
    for label, ids in index.items():
        out[label].num_nodes = len(ids)
    for (rel, a, b), pairs in src.edges.items():
        ei = [(index[a][x], index[b][y]) for x, y in pairs if x in index[a] and y in index[b]]
        out[a, rel, b].edge_index = torch.tensor(ei, dtype=torch.long).T
    return out


def test_mechanism_term_ranks_the_drugs_transfer_leaves_tied(full_data) -> None:  # type: ignore[no-untyped-def]
    """On held-out diseases the mechanism term lifts AUROC over transfer alone, and
    its scale, chosen on the training diseases, keeps MRR (whole Hetionet; the
    benchmark's five folds are in docs/results.md)."""
    data = full_data
    _, sims = similarity_channels(data)
    _, feats = mechanism_features(data)
    train, q, known, pos = _held_out(data)
    n_drugs = data["Drug"].num_nodes
    plain = train_treatment_ranker(sims, train, n_drugs, steps=150)
    mech = train_treatment_ranker(sims, train, n_drugs, steps=150, mechanisms=feats)
    assert float(mech.model.mechanism_scale) > 0 and len(mech.mechanism_scales) > 1
    with torch.no_grad():
        before = ranking_metrics(plain.model(sims, q, known), pos)
        after = ranking_metrics(mech.model(sims, q, known, feats), pos)
    assert after.auroc > before.auroc + 0.02, (before, after)
    assert after.mrr > before.mrr - 0.03, (before, after)


def test_training_needs_treatments(data) -> None:  # type: ignore[no-untyped-def]
    _, sims = similarity_channels(data)
    with pytest.raises(ValueError, match="at least two diseases"):
        train_treatment_ranker(sims, torch.tensor([[0], [1]]), 5)


def _path_exists(store: EmbeddedStore, nodes: list, rels: list[str]) -> bool:
    for a, rel, b in zip(nodes, rels, nodes[1:], strict=False):
        rows = store.query(
            f"MATCH (x {{id: $a}})-[:{rel}]-(y {{id: $b}}) RETURN x.id LIMIT 1",
            {"a": a.id, "b": b.id},
        ).rows
        if not rows:
            return False
    return True


@pytest.fixture(scope="module")
def trained(slice_store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Models trained on the slice, written to their own data dir (the slice stays clean)."""
    s = Settings(data_dir=tmp_path_factory.mktemp("tx-models"), shared_data_dir=SHARED)
    path, meta = train_treatments(slice_store, s, steps=100)
    assert path == ModelFiles.of(s).treatments and meta["treated_diseases"] > 50
    return s


def test_checkpoint_round_trip(trained: Settings) -> None:
    ckpt = TreatmentCheckpoint.load(ModelFiles.of(trained).treatments)
    p1, n1 = ckpt.rank({"DOID:9352": 1.0})
    copy = ModelFiles.of(trained).fusion / "copy.pt"
    ckpt.save(copy)
    p2, n2 = TreatmentCheckpoint.load(copy).rank({"DOID:9352": 1.0})
    assert torch.equal(p1, p2) and torch.equal(n1, n2)
    assert abs(float(p1.sum()) - 1.0) < 1e-4
    assert ckpt.mechanisms and ckpt.features is not None
    assert ckpt.features.shape == (len(ckpt.mechanisms), len(ckpt.drug_ids), len(ckpt.disease_ids))
    # a checkpoint from before the mechanism term (no weights, no features) still loads
    state = torch.load(copy, weights_only=False)
    state["state"] = {k: v for k, v in state["state"].items() if not k.startswith("mechanism")}
    del state["mechanisms"], state["features"]
    torch.save(state, copy)
    old = TreatmentCheckpoint.load(copy)
    assert not old.mechanisms and old.rank({"DOID:9352": 1.0})[0].shape == p1.shape


def test_known_treatments_first_with_real_evidence(
    slice_store: EmbeddedStore, trained: Settings
) -> None:
    r = recommend_treatments(slice_store, "DOID:9352", None, 10, TrainedModels(trained))
    assert r.method.startswith("treatment ranker")
    names = [i.name for i in r.items]
    assert "Metformin" in names
    assert r.items[0].flags["known"] and r.items[0].evidence[0].relationships == ["TREATS"]
    for item in r.items:
        for path in item.evidence:
            assert _path_exists(slice_store, path.nodes, path.relationships), path.text


def test_disease_without_known_drugs_gets_transferred_predictions(
    slice_store: EmbeddedStore, trained: Settings
) -> None:
    ckpt = TrainedModels(trained).treatments()
    untreated = [d for i, d in enumerate(ckpt.disease_ids) if ckpt.treats[:, i].sum() == 0]
    # the one with the most similar treated diseases through shared genes
    col = {d: i for i, d in enumerate(ckpt.disease_ids)}
    gene = [c.name for c in ckpt.channels].index("Disease-ASSOCIATES-Gene")
    treated = ckpt.treats.sum(0) > 0
    best = max(untreated, key=lambda d: float(ckpt.sims[gene, col[d]][treated].max()))
    r = recommend_treatments(slice_store, best, None, 5, TrainedModels(trained))
    assert r.items and not any(i.flags["known"] for i in r.items)
    with_paths = [i for i in r.items if i.evidence]
    assert with_paths, "predictions must come with the similar diseases behind them"
    for item in with_paths:
        path = item.evidence[0]
        # a similar disease's treatment, or the drug acting on the disease's genes
        assert path.relationships[0] in ("TREATS", "BINDS", "UPREGULATES", "DOWNREGULATES")
        assert path.nodes[-1].id == best
        assert _path_exists(slice_store, path.nodes, path.relationships), path.text


def test_disease_unknown_to_the_ranker_is_ranked_graph_only_and_says_so(
    slice_store: EmbeddedStore, trained: Settings
) -> None:
    models = TrainedModels(trained)
    del models.treatments().disease_index["DOID:9352"]  # as if added after training
    r = recommend_treatments(slice_store, "DOID:9352", None, 5, models)
    assert r.method.startswith("graph-only")
    assert "Metformin" in [i.name for i in r.items]
    assert any("does not know these diseases" in n for n in r.notes)


def test_broken_checkpoint_falls_back_to_graph_only(
    slice_store: EmbeddedStore, tmp_path: Path
) -> None:
    s = Settings(data_dir=tmp_path, shared_data_dir=SHARED)
    ModelFiles.of(s).fusion.mkdir(parents=True)
    ModelFiles.of(s).treatments.write_bytes(b"not a checkpoint")
    r = recommend_treatments(slice_store, "DOID:9352", None, 5, TrainedModels(s))
    assert r.method.startswith("graph-only")
    assert any("medkg train fusion" in n for n in r.notes)


def test_api_serves_the_trained_ranker(slice_store: EmbeddedStore, trained: Settings) -> None:
    with TestClient(create_app(trained, store=slice_store)) as client:
        r = client.post("/v1/recommend/treatments", json={"disease_id": "DOID:9352", "limit": 3})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["method"].startswith("treatment ranker")
        assert body["items"][0]["evidence"] and body["items"][0]["flags"]["known"]


def test_training_on_the_vocabulary_graph_keeps_to_diseases_with_biology(
    vocab_store: EmbeddedStore, tmp_path: Path
) -> None:
    """24,000 ontology diseases without genes, anatomy or drugs stay out of the
    ranker's dense similarity matrices (gigabytes per channel otherwise)."""
    s = Settings(data_dir=tmp_path, shared_data_dir=SHARED, backend="embedded")
    path, _ = train_treatments(vocab_store, s, steps=20)
    ckpt = TreatmentCheckpoint.load(path)
    assert vocab_store.stats()["nodes"]["Disease"] > 20_000
    assert 100 <= len(ckpt.disease_ids) < 1_000 and "DOID:9352" in ckpt.disease_index
    assert ckpt.sims.shape[1] == len(ckpt.disease_ids)
