"""The fine-tuned transformer CID classifier on real BC5CDR abstracts: training
lowers the loss, a saved model scores the same after loading, and the extractor
uses it for CAUSES, names it in each relation's evidence, and still makes no
relation from a negated mention."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from medkg.artifacts import ModelFiles, update_json
from medkg.kg.store.embedded import EmbeddedStore
from medkg.nlp import Extractor, NoteInput
from medkg.nlp.corpora.pubtator import split_training_set
from medkg.nlp.relations.training import candidates
from medkg.nlp.relations.transformer_cid import (
    METHOD,
    TransformerCid,
    TransformerCidConfig,
    mark,
    train_transformer_cid,
)
from medkg.settings import Settings
from tests.conftest import SHARED

BC5CDR = SHARED / "bc5cdr"
pytestmark = pytest.mark.skipif(
    not (BC5CDR / "CDR_TrainingSet.PubTator.txt").exists(), reason="no BC5CDR PubTator files"
)


def _loss(model: TransformerCid, pairs, labels) -> float:  # type: ignore[no-untyped-def]
    import torch

    model.train(False)
    with torch.inference_mode():
        logits = model.logits(pairs).float()
    return float(torch.nn.functional.binary_cross_entropy_with_logits(logits, labels))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import torch

    train, _ = split_training_set(
        BC5CDR / "CDR_TrainingSet.PubTator.txt", BC5CDR / "CDR_DevelopmentSet.PubTator.txt"
    )
    docs = train[:40]
    fixed = [k for k in candidates(docs)][:32]
    pairs = [(k.sentence, k.chem, k.dis) for k in fixed]
    labels = torch.tensor([float(k.label) for k in fixed])
    torch.manual_seed(TransformerCidConfig().seed)
    before = _loss(TransformerCid(), pairs, labels)
    model = train_transformer_cid(docs, TransformerCidConfig(epochs=1, max_steps=16, lr=5e-5))
    folder = tmp_path_factory.mktemp("cid") / "cid-transformer"
    model.save(folder)
    return model, folder, pairs, labels, before


def test_markers_wrap_each_mention_and_point_at_it() -> None:
    text, at_chem, at_dis = mark("Cisplatin induced renal failure in rats.", (0, 9), (18, 31))
    assert text == "@ Cisplatin @ induced # renal failure # in rats."
    assert (text[at_chem], text[at_dis]) == ("@", "#")
    text, at_chem, at_dis = mark("Renal failure after cisplatin.", (20, 29), (0, 13))
    assert text == "# Renal failure # after @ cisplatin @."
    assert (text[at_chem], text[at_dis]) == ("@", "#")


def test_training_on_real_abstracts_lowers_the_loss(trained) -> None:  # type: ignore[no-untyped-def]
    model, _, pairs, labels, before = trained
    assert _loss(model, pairs, labels) < before
    record = model.record
    assert record["positives"] > 0 and record["pairs"] > record["positives"]
    assert 0 < model.threshold < 1 and len(record["data_sha256"]) == 64


def test_a_saved_model_scores_the_same_after_loading(trained) -> None:  # type: ignore[no-untyped-def]
    model, folder, pairs, _, _ = trained
    loaded = TransformerCid.load(folder)
    assert loaded.threshold == model.threshold and loaded.record == model.record
    assert loaded.probabilities(pairs) == pytest.approx(model.probabilities(pairs), abs=1e-5)


def test_the_extractor_uses_it_for_causes_and_names_it_in_evidence(
    trained, slice_store: EmbeddedStore, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _, folder, _, _, _ = trained
    settings = Settings(data_dir=tmp_path, shared_data_dir=SHARED)
    target = ModelFiles.of(settings).cid_transformer
    shutil.copytree(folder, target)
    # Threshold 0: every affirmed chemical-disease pair in a sentence is scored and
    # kept, so what is tested is the path (which method, which evidence), not how
    # well 16 training steps learned.
    update_json(target / "cid.json", {"threshold": 0.0})
    extractor = Extractor(slice_store, settings)
    assert isinstance(extractor.classifier, TransformerCid)
    assert "+cidtrf-" in extractor.version
    (doc,) = extractor.extract([NoteInput("n", "She developed hypothyroidism after amiodarone.")])
    causes = [r for r in doc.relations if r.rel_type == "CAUSES"]
    assert causes and all(r.method == METHOD for r in causes)
    head, tail = doc.mentions[causes[0].head], doc.mentions[causes[0].tail]
    assert (head.text.lower(), tail.text.lower()) == ("amiodarone", "hypothyroidism")
    p = extractor.classifier.probability(doc.sentences[0], (35, 45), (14, 28))
    assert causes[0].confidence == pytest.approx(
        round(p * min(head.confidence, tail.confidence), 3), abs=1e-3
    )
    # a negated mention is never a fact, so it is never half of a relation
    (neg,) = extractor.extract([NoteInput("m", "She denies hypothyroidism after amiodarone.")])
    assert not [r for r in neg.relations if r.rel_type == "CAUSES"]
    assert json.loads((target / "cid.json").read_text())["threshold"] == 0.0


def test_cli_trains_either_architecture_and_refuses_others(cli_env: Settings) -> None:
    """``medkg train relations``: the logistic regression, the transformer (a few
    steps), and one error line for an unknown architecture."""
    from typer.testing import CliRunner

    from medkg.cli import app

    runner = CliRunner()
    files = ModelFiles.of(cli_env)
    bad = runner.invoke(app, ["train", "relations", "--arch", "svm"])
    assert bad.exit_code == 2
    assert "'svm' is not one of logistic, transformer, document" in bad.stderr
    assert runner.invoke(app, ["train", "relations"]).exit_code == 0
    assert files.cid.is_file()
    result = runner.invoke(
        app, ["train", "relations", "--arch", "transformer", "--max-steps", "2"]
    )
    assert result.exit_code == 0, result.stderr
    loaded = TransformerCid.load(files.cid_transformer)
    assert len(loaded.record["losses"]) == 2
    assert not list(files.cid_transformer.parent.glob(".cid-*"))  # no staging left behind


def test_it_runs_on_onnx_runtime_with_the_ner_and_scores_alike(
    trained, slice_store: EmbeddedStore, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """With ``MEDKG_NER_RUNTIME=onnx-int8`` the CID transformer is exported beside
    its weights and scores pairs close to PyTorch; the version names the runtime."""
    from medkg.encoders.onnx_runtime import onnx_available

    if not onnx_available():
        pytest.skip("ONNX Runtime not installed (medkg[fast])")
    model, folder, pairs, _, _ = trained
    settings = Settings(data_dir=tmp_path, shared_data_dir=SHARED, ner_runtime="onnx-int8")
    target = ModelFiles.of(settings).cid_transformer
    shutil.copytree(folder, target)
    plain = Extractor(slice_store, settings.model_copy(update={"ner_runtime": "torch"}))
    fast = Extractor(slice_store, settings)
    assert fast.classifier.runtime == "onnx-int8" and (target / "onnx" / "export.json").is_file()
    assert fast.version.split("+cidtrf-")[1] == plain.version.split("+cidtrf-")[1] + "-onnx-int8"
    expected = model.probabilities(pairs)
    got = fast.classifier.probabilities(pairs)
    # int8 activations are scaled per batch, so scores move a little with the batch
    assert max(abs(a - b) for a, b in zip(got, expected, strict=True)) < 0.1
    assert fast.classifier.probabilities(pairs[:1]) == pytest.approx(expected[:1], abs=0.1)


def test_a_window_adds_pairs_across_neighbouring_sentences_once() -> None:
    """``window=1``: pairs whose mentions sit in two neighbouring sentences, with
    offsets into the two sentences' text; the same-sentence pairs are unchanged."""
    docs = split_training_set(
        BC5CDR / "CDR_TrainingSet.PubTator.txt", BC5CDR / "CDR_DevelopmentSet.PubTator.txt"
    )[0][:30]
    same = list(candidates(docs))
    both = list(candidates(docs, window=1))
    key = [(k.pmid, k.sentence, k.chem, k.dis) for k in both]
    assert len(key) == len(set(key))  # no pair twice
    assert {(k.pmid, k.sentence, k.chem, k.dis) for k in same} <= set(key)
    across = [k for k in both if (k.pmid, k.sentence, k.chem, k.dis) not in
              {(s.pmid, s.sentence, s.chem, s.dis) for s in same}]  # fmt: skip
    assert across and any(k.label for k in across)
    by_pmid = {d.pmid: d for d in docs}
    for k in across[:50]:
        texts = {m.text for m in by_pmid[k.pmid].mentions}
        assert k.sentence[k.chem[0] : k.chem[1]] in texts
        assert k.sentence[k.dis[0] : k.dis[1]] in texts
