"""The fusion model on real Symptom2Disease text embeddings (tiny slice)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from medkg.encoders.text import TextEncoder
from medkg.fusion.diagnosis import (
    DiagnosisData,
    fixed_split,
    load_symptom2disease,
    mean_context,
    predict_scores,
    topk_accuracy,
    train_fusion_classifier,
)
from medkg.fusion.model import FusionConfig, FusionModel
from tests.conftest import SHARED

CSV = SHARED / "symptom2disease/Symptom2Disease.csv"
pytestmark = pytest.mark.skipif(not CSV.exists(), reason="no Symptom2Disease")


def test_fixed_split_is_stratified_and_stable() -> None:
    ex = load_symptom2disease(CSV)
    train, test = fixed_split(ex)
    assert (len(train), len(test)) == (960, 240) and not set(train) & set(test)
    assert fixed_split(ex) == (train, test)
    per_label = {e.label for e in (ex[i] for i in test)}
    assert len(per_label) == 24


def test_training_on_real_text_learns_and_round_trips(tmp_path: Path) -> None:
    ex = load_symptom2disease(CSV)
    labels = sorted({e.label for e in ex})[:6]
    picked = [e for e in ex if e.label in labels]
    picked = [e for lab in labels for e in [x for x in picked if x.label == lab][:8]]
    enc = TextEncoder()
    y = torch.tensor([labels.index(e.label) for e in picked])
    graph, gmask = mean_context([[]] * len(picked), lambda _: None, 8)
    cg, cmask = mean_context([["x"]] * len(labels), lambda _: torch.ones(8), 8)
    d = DiagnosisData(
        enc.encode([e.text for e in picked]), graph, gmask, y, enc.encode(labels), cg, cmask, labels
    )
    train = [i for i in range(len(picked)) if i % 4]
    test = [i for i in range(len(picked)) if not i % 4]
    model = train_fusion_classifier(d, train, steps=150)
    train_acc = topk_accuracy(predict_scores(model, d, train), y[train], 1)
    assert train_acc > 0.9
    assert topk_accuracy(predict_scores(model, d, test), y[test], 1) > 1 / len(labels)
    model.save(tmp_path / "fusion.pt", task="diagnosis", labels=labels)
    loaded, meta = FusionModel.load(tmp_path / "fusion.pt")
    assert meta["labels"] == labels
    assert torch.allclose(predict_scores(loaded, d, test), predict_scores(model, d, test))


def test_missing_modalities_are_flagged_not_zero() -> None:
    cfg = FusionConfig(text_dim=4, graph_dim=3, image_dim=5, hidden=8, out=6)
    model = FusionModel(cfg).eval()
    text = torch.randn(2, 4)
    p1 = model.encode_patients(text, torch.zeros(2, 3), torch.zeros(2))
    p2 = model.encode_patients(text, torch.zeros(2, 3), torch.ones(2))
    assert p1.shape == (2, 6) and not torch.allclose(p1, p2)  # the mask is an input
    c = model.encode_candidates(torch.randn(3, 4), torch.randn(3, 3), torch.ones(3))
    assert model(p1, c).shape == (2, 3)


def _synthetic(informative: str) -> tuple[DiagnosisData, list]:
    """Six labels, 20 patients each; only the ``informative`` channel carries the label."""
    from medkg.fusion.diagnosis import Example

    g = torch.Generator().manual_seed(0)
    labels = [f"d{i}" for i in range(6)]
    y = torch.arange(6).repeat_interleave(20)
    signal = torch.nn.functional.one_hot(y, 8).float() * 3
    text = torch.randn(len(y), 16, generator=g)
    graph = torch.randn(len(y), 8, generator=g)
    if informative == "graph":
        graph = graph * 0.1 + signal
    else:
        text[:, :8] = text[:, :8] * 0.1 + signal
    d = DiagnosisData(
        text, graph, torch.ones(len(y)), y, torch.randn(6, 16, generator=g),
        torch.zeros(6, 8), torch.zeros(6), labels,
    )  # fmt: skip
    return d, [Example(f"patient {i}", labels[int(c)]) for i, c in enumerate(y)]


@pytest.mark.parametrize("informative", ["graph", "text"])
def test_training_keeps_the_graph_only_when_validation_says_it_helps(informative: str) -> None:
    from medkg.fusion.training import _graph_helps

    d, examples = _synthetic(informative)
    use_graph, note = _graph_helps(d, examples, list(range(len(examples))), 150, "cpu")
    assert use_graph == (informative == "graph")
    assert "validation top-1" in note
