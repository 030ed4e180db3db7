"""Training the diagnosis fusion model end to end (real extractor, real text encoder) on a
small real Symptom2Disease subset, and serving it through ``diagnose``."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch

from medkg.artifacts import ModelFiles
from medkg.fusion.diagnosis import DiagnosisCheckpoint, load_symptom2disease
from medkg.fusion.patient import build_patient_context
from medkg.fusion.recommend import diagnose
from medkg.fusion.trained import TrainedModels
from medkg.fusion.training import train_diagnosis
from medkg.kg.store.embedded import EmbeddedStore
from medkg.nlp import Extractor
from medkg.settings import Settings
from tests.conftest import SHARED, half_precision_cases

CSV = SHARED / "symptom2disease/Symptom2Disease.csv"
pytestmark = pytest.mark.skipif(not CSV.exists(), reason="no Symptom2Disease")
LABELS = ["Psoriasis", "Malaria", "Pneumonia", "Migraine", "Jaundice", "Chicken pox"]


@pytest.fixture(scope="module")
def trained(
    slice_store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, dict, list]:
    root = tmp_path_factory.mktemp("dx")
    path, small = _small_csv(root)
    s = Settings(data_dir=root, shared_data_dir=SHARED, backend="embedded")
    out, meta = train_diagnosis(slice_store, Extractor(slice_store, s), s, path, steps=120)
    assert out == ModelFiles.of(s).diagnosis
    return s, meta, small


def _small_csv(root: Path) -> tuple[Path, list]:
    """15 real descriptions of each of six diseases, in the CSV layout users give."""
    rows = [e for e in load_symptom2disease(CSV) if e.label in LABELS]
    small = [e for lab in LABELS for e in [r for r in rows if r.label == lab][:15]]
    path = root / "small.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["label", "text"])
        w.writerows((e.label, e.text) for e in small)
    return path, small


def test_held_out_accuracy_is_measured_and_above_chance(trained) -> None:  # type: ignore[no-untyped-def]
    _, meta, _ = trained
    assert meta["test_examples"] == 18 and meta["train_examples"] == 72
    assert meta["test_top1"] > 2 / len(LABELS)  # chance is 1/6
    assert meta["graph"].startswith("text only")  # no graph encoder trained in this dir


def test_checkpoint_is_self_contained(trained) -> None:  # type: ignore[no-untyped-def]
    s, _, _ = trained
    ckpt = DiagnosisCheckpoint.load(ModelFiles.of(s).diagnosis)
    assert ckpt.labels == sorted(LABELS)
    assert ckpt.cand_text.shape == (len(LABELS), 384)
    # The TF-IDF channel's vocabulary travels in the checkpoint, fitted on training rows.
    assert ckpt.lexical is not None and ckpt.model.config.lexical_dim == ckpt.lexical.dim
    assert "itching" in ckpt.lexical.vocabulary or "itchy" in ckpt.lexical.vocabulary


def test_diagnose_uses_the_trained_model(slice_store: EmbeddedStore, trained) -> None:  # type: ignore[no-untyped-def]
    s, _, _ = trained
    text = (
        "I have had a high fever with chills and shivering every other day, heavy sweating "
        "and a headache since I came back from a trip; I also feel nauseous."
    )
    extractor = Extractor(slice_store, s)
    ctx = build_patient_context(slice_store, extractor, text)
    r = diagnose(slice_store, ctx, 3, TrainedModels(s))
    assert r.method.startswith("fusion model")
    assert r.items[0].name == "Malaria"
    assert all(0.0 <= i.score <= 1.0 for i in r.items)
    assert r.items == sorted(r.items, key=lambda i: -i.score)


def test_missing_model_keeps_graph_only(slice_store: EmbeddedStore, tmp_path: Path) -> None:
    ctx = build_patient_context(slice_store, None, None, ["DOID:9352"])
    s = Settings(data_dir=tmp_path, shared_data_dir=SHARED)
    r = diagnose(slice_store, ctx, 3, TrainedModels(s))
    assert r.method.startswith("graph-only")
    assert any("medkg train fusion" in n for n in r.notes)


@half_precision_cases
def test_mixed_precision_training_serves_in_fp32(
    slice_store: EmbeddedStore, tmp_path: Path, device: str, precision: str
) -> None:
    path, _ = _small_csv(tmp_path)
    s = Settings(data_dir=tmp_path, shared_data_dir=SHARED, backend="embedded")
    out, meta = train_diagnosis(
        slice_store, Extractor(slice_store, s), s, path, steps=120, device=device,
        precision=precision,
    )  # fmt: skip
    assert meta["device"].startswith(device) and meta["precision"] in ("bf16", "fp16")
    assert meta["test_top1"] > 2 / len(LABELS) and meta["train_seconds"] > 0
    ckpt = DiagnosisCheckpoint.load(out)
    assert all(p.dtype == torch.float32 for p in ckpt.model.parameters())
    assert next(ckpt.model.parameters()).device.type == "cpu"


def test_negated_findings_are_cut_before_embedding(slice_store: EmbeddedStore, trained) -> None:  # type: ignore[no-untyped-def]
    s, _, _ = trained
    text = "Severe headache since Monday. No history of type 2 diabetes mellitus."
    ctx = build_patient_context(slice_store, Extractor(slice_store, s), text)
    negated = [e.text for e in ctx.entities if e.negated]
    assert negated, ctx.entities
    cut = ctx.affirmed_text()
    assert all(n.lower() not in cut.lower() for n in negated) and "headache" in cut
    assert len(cut) == len(text)  # blanked in place: the other spans keep their offsets


def test_only_the_negated_occurrence_is_cut(slice_store: EmbeddedStore, trained) -> None:  # type: ignore[no-untyped-def]
    """The same words negated in one sentence and affirmed in the next: the
    encoder text keeps the affirmed occurrence and loses the negated one."""
    s, _, _ = trained
    text = "Denies multiple sclerosis. Hypertension and multiple sclerosis noted."
    ctx = build_patient_context(slice_store, Extractor(slice_store, s), text)
    ms = sorted((e.span, e.affirmed) for e in ctx.entities if e.id == "DOID:2377")
    assert [affirmed for _, affirmed in ms] == [False, True], ctx.entities
    cut = ctx.affirmed_text()
    (negated_span, _), (affirmed_span, _) = ms
    assert cut[slice(*negated_span)].strip() == ""
    assert cut[slice(*affirmed_span)] == "multiple sclerosis"
    assert cut.count("multiple sclerosis") == 1 and "Hypertension" in cut


def test_image_fusion_follows_bayes_rule() -> None:
    from medkg.fusion.image_fusion import fuse_image

    probs = torch.tensor([0.5, 0.3, 0.2])
    labels = ["Malaria", "Pneumonia", "Migraine"]
    same, k = fuse_image(probs, labels, p_image=0.74, prior=0.74)
    assert k == 1 and torch.allclose(same, probs, atol=1e-5)  # the prior says nothing
    up, _ = fuse_image(probs, labels, p_image=0.99, prior=0.74)
    down, _ = fuse_image(probs, labels, p_image=0.05, prior=0.74)
    assert up[1] > 0.3 > down[1]
    for p in (up, down):
        assert abs(float(p.sum()) - 1) < 1e-5
        assert torch.isclose(p[0] / p[2], torch.tensor(2.5))  # others keep their proportions
    assert fuse_image(probs, ["a", "b", "c"], 0.9, 0.5) is None


def test_diagnose_fuses_a_real_chest_xray(slice_store: EmbeddedStore, trained) -> None:  # type: ignore[no-untyped-def]
    import io

    from PIL import Image

    from medkg.encoders.image import ImageEncoderConfig, load_medmnist
    from medkg.encoders.image_train import train_image_encoder

    npz = SHARED / "pneumoniamnist/pneumoniamnist.npz"
    if not npz.exists():
        pytest.skip("no PneumoniaMNIST")
    s, _, _ = trained
    small = ImageEncoderConfig(widths=(8, 16, 32, 64))
    res = train_image_encoder(npz, epochs=1, device="cpu", config=small, limit=512)
    res.model.save(s.models_dir / "image" / "encoder.pt", {"train_positive_rate": 0.74})
    x, _ = load_medmnist(npz, "test")
    buf = io.BytesIO()
    Image.fromarray((x[0, 0].numpy() * 255).astype("uint8")).save(buf, format="PNG")
    text = "I have a cough with phlegm, fever and I am short of breath."
    ctx = build_patient_context(slice_store, Extractor(slice_store, s), text)
    models = TrainedModels(s)
    plain = diagnose(slice_store, ctx, 6, models)
    fused = diagnose(slice_store, ctx, 6, models, buf.getvalue())
    assert "image encoder" in fused.method and "image encoder" not in plain.method
    pneu = next(i for i in fused.items if i.name == "Pneumonia")
    before = next(i for i in plain.items if i.name == "Pneumonia")
    p_img = pneu.flags["image_probability"]
    assert 0.0 <= p_img <= 1.0
    assert (pneu.score > before.score) == (p_img > 0.74)  # moved the way the image says
    assert abs(sum(i.score for i in fused.items) - 1) < 1e-3  # all six labels shown


def test_patient_without_a_stated_disease_gets_drugs_and_trials_for_likely_diagnoses(
    slice_store: EmbeddedStore, trained
) -> None:  # type: ignore[no-untyped-def]
    from medkg.fusion.recommend import inferred_diseases, match_trials, recommend_treatments
    from medkg.fusion.training import train_treatments

    s, _, small = trained
    train_treatments(slice_store, s, steps=50)  # beside diagnosis.pt in the same models dir
    text = next(e.text for e in small if e.label == "Psoriasis")
    ctx = build_patient_context(slice_store, Extractor(slice_store, s), text)
    assert not ctx.weights(frozenset({"Disease"}))  # the text names symptoms, no disease
    models = TrainedModels(s)
    psoriasis = models.diagnosis().label_ids[models.diagnosis().labels.index("Psoriasis")]
    diseases, basis = inferred_diseases(slice_store, ctx, models)
    assert psoriasis in diseases and basis.startswith("diagnosis model: Psoriasis")
    assert all(p >= 0.1 for p in diseases.values())

    r = recommend_treatments(slice_store, None, ctx, 5, models)
    assert r.method.startswith("treatment ranker") and r.items
    assert any("ranked for the likely diagnoses (diagnosis model: Psoriasis" in n for n in r.notes)
    ends = {path.nodes[-1].id for item in r.items for path in item.evidence}
    assert ends and ends <= set(diseases)  # every path leads to an inferred diagnosis

    trials = match_trials(slice_store, ctx, 5, models)
    assert any("matched on the likely diagnoses" in n for n in trials.notes)
