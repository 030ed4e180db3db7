"""The jointly trained three-task fusion model on real inputs: Symptom2Disease
descriptions and Hetionet's treatments (slice), encoded by the packaged MiniLM."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from medkg.encoders.graph_export import export_hetero
from medkg.encoders.text import TextEncoder
from medkg.fusion.diagnosis import load_symptom2disease
from medkg.fusion.model import FusionConfig
from medkg.fusion.multitask import (
    DiagnosisTask,
    MultiTaskConfig,
    MultiTaskFusion,
    Side,
    TreatmentTask,
    listwise_loss,
    predict,
    train_multitask,
)
from medkg.fusion.treatment_model import TREATS, treats_matrix
from medkg.kg.store.embedded import EmbeddedStore
from tests.conftest import SHARED, half_precision_cases

CSV = SHARED / "symptom2disease/Symptom2Disease.csv"
pytestmark = pytest.mark.skipif(not CSV.exists(), reason="no Symptom2Disease")
GRAPH_DIM = 8


def _side(enc: TextEncoder, texts: list[str], lexical: bool = False) -> Side:
    """Text only (no graph context): the graph part is marked absent, not zero."""
    n = len(texts)
    lex = torch.zeros(n, 4) if lexical else None
    return Side(enc.encode(texts), torch.zeros(n, GRAPH_DIM), torch.zeros(n), lex)


@pytest.fixture(scope="module")
def tasks(slice_store: EmbeddedStore):  # type: ignore[no-untyped-def]
    enc = TextEncoder()
    ex = load_symptom2disease(CSV)
    labels = sorted({e.label for e in ex})[:6]
    picked = [e for lab in labels for e in [x for x in ex if x.label == lab][:8]]
    dx = DiagnosisTask(
        _side(enc, [e.text for e in picked], lexical=True),
        torch.tensor([labels.index(e.label) for e in picked]),
        _side(enc, labels),
    )
    data = export_hetero(slice_store)
    full = data[TREATS].edge_index
    n_drugs, n_dis = data["Drug"].num_nodes, data["Disease"].num_nodes
    drug_names = dict(slice_store.query("MATCH (n:Drug) RETURN n.id, n.name").rows)
    dis_names = dict(slice_store.query("MATCH (n:Disease) RETURN n.id, n.name").rows)
    drugs = _side(enc, [str(drug_names.get(i, i)) for i in data["Drug"].node_ids])
    diseases = _side(enc, [str(dis_names.get(i, i)) for i in data["Disease"].node_ids], True)
    treated = sorted(set(full[1].tolist()))
    random.Random(0).shuffle(treated)
    train_dis = sorted(treated[10:])
    known = treats_matrix(full, n_drugs, n_dis)
    tx = TreatmentTask(diseases.take(torch.tensor(train_dis)), known[:, train_dis].T.bool(), drugs)
    fusion = FusionConfig(text_dim=dx.patients.text.size(1), graph_dim=GRAPH_DIM, lexical_dim=4)
    return MultiTaskConfig(fusion, len(labels), n_drugs), dx, tx


def test_joint_training_lowers_both_losses_and_fits_both_tasks(tasks) -> None:  # type: ignore[no-untyped-def]
    cfg, dx, tx = tasks
    model, log = train_multitask(cfg, dx, tx, steps=120)
    for task in ("diagnosis", "treatment"):
        first = sum(step[task] for step in log[:10])
        last = sum(step[task] for step in log[-10:])
        assert last < 0.5 * first, task
    dx_scores = predict(model, dx.patients, dx.labels, "diagnosis")
    assert float((dx_scores.argmax(1) == dx.y).float().mean()) > 0.9
    tx_scores = predict(model, tx.queries, tx.drugs, "treatment")
    # One known treatment of each training disease ranks in the top tenth of all drugs.
    first = tx.positives.float().argmax(1, keepdim=True)
    ranks = (tx_scores > tx_scores.gather(1, first)).sum(1)
    assert float(ranks.float().median()) < len(tx.drugs) / 10


def test_trials_are_scored_without_per_trial_parameters(tasks) -> None:  # type: ignore[no-untyped-def]
    cfg, dx, tx = tasks
    model, _ = train_multitask(cfg, dx, tx, steps=20)
    enc = TextEncoder()
    trials = _side(
        enc,
        [
            "Metformin in adults with type 2 diabetes mellitus",
            "Inhaled corticosteroids for persistent asthma in children",
            "Topical treatment of plaque psoriasis",
        ],
    )
    patients = dx.patients.take(torch.arange(4))
    all_three = predict(model, patients, trials, "trials")
    assert all_three.shape == (4, 3)
    # A trial's score does not depend on which other trials are ranked with it:
    # a new trial needs no retraining and changes no other score.
    two = predict(model, patients, trials.take(torch.tensor([0, 2])), "trials")
    assert torch.allclose(two, all_three[:, [0, 2]], atol=1e-5)


def test_one_task_alone_is_the_same_architecture_and_deterministic(tasks) -> None:  # type: ignore[no-untyped-def]
    cfg, dx, _ = tasks
    a, log = train_multitask(cfg, dx, None, steps=15, seed=3)
    b, _ = train_multitask(cfg, dx, None, steps=15, seed=3)
    assert set(log[0]) == {"diagnosis"}
    assert torch.equal(
        predict(a, dx.patients, dx.labels, "diagnosis"),
        predict(b, dx.patients, dx.labels, "diagnosis"),
    )
    assert torch.count_nonzero(a.drug_bias) == 0  # never trained on treatment
    with pytest.raises(ValueError, match="at least one task"):
        train_multitask(cfg, None, None)


def test_checkpoint_round_trip_keeps_every_task(tasks, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg, dx, tx = tasks
    model, _ = train_multitask(cfg, dx, tx, steps=10)
    model.save(tmp_path / "joint.pt", labels=["x"], data_version="v1")
    loaded, meta = MultiTaskFusion.load(tmp_path / "joint.pt")
    assert meta == {"labels": ["x"], "data_version": "v1"}
    assert loaded.config == cfg
    for patients, cands, task in (
        (dx.patients, dx.labels, "diagnosis"),
        (tx.queries, tx.drugs, "treatment"),
        (dx.patients, tx.queries, "trials"),
    ):
        assert torch.allclose(
            predict(loaded, patients, cands, task), predict(model, patients, cands, task)
        )


def test_listwise_loss_by_hand() -> None:
    scores = torch.tensor([[2.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    positives = torch.tensor([[True, False, True], [False, False, False]])
    logp = torch.log_softmax(scores[0], 0)
    expected = -(logp[0] + logp[2]) / 2  # the query without positives is left out
    assert torch.allclose(listwise_loss(scores, positives), expected)


@half_precision_cases
def test_joint_model_trains_with_mixed_precision(tasks, device: str, precision: str) -> None:  # type: ignore[no-untyped-def]
    cfg, dx, tx = tasks
    model, log = train_multitask(cfg, dx, tx, steps=30, device=device, precision=precision)
    assert next(model.parameters()).device.type == device
    assert log[-1]["diagnosis"] < log[0]["diagnosis"]
    assert log[-1]["treatment"] < log[0]["treatment"]
    scores = predict(model, dx.patients, dx.labels, "diagnosis")
    assert scores.dtype == torch.float32 and torch.isfinite(scores).all()
