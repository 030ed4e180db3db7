"""The NER decoder's outside bias: what it does to decoding, how it is chosen on
development data, and that it travels with a model (single, ensemble, in place)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import spacy
from typer.testing import CliRunner

from medkg.cli import app
from medkg.nlp.corpora.bio import BioSentence
from medkg.nlp.ner.evaluation import tag_f1
from medkg.nlp.ner.tagger import TokenTagger
from medkg.nlp.ner.tags import bio_tags, chunk_sentence, decode
from medkg.settings import get_settings
from tests.nlp.conftest import write_bio

pytest.importorskip("torch")
TAGS = bio_tags()


def test_outside_bias_shifts_the_decoder_between_all_entities_and_none() -> None:
    rng = np.random.default_rng(0)
    log_probs = [np.log(rng.dirichlet(np.ones(len(TAGS)), size=n)) for n in (3, 7, 1)]
    plain = decode(log_probs, TAGS)
    assert decode(log_probs, TAGS, 0.0) == plain
    assert all(t == "O" for chunk in decode(log_probs, TAGS, 50.0) for t in chunk)
    assert all(t != "O" for chunk in decode(log_probs, TAGS, -50.0) for t in chunk)
    # The input is not modified in place.
    assert decode(log_probs, TAGS) == plain


def _dev_f1(tagger, dev: list[BioSentence]) -> float:  # type: ignore[no-untyped-def]
    chunks = [c for s in dev for c in chunk_sentence(s.words, s.tags, s.annotated)]
    pred = tagger.predict([c[0] for c in chunks], "cpu")
    return tag_f1([c[1] for c in chunks], pred, [c[2] for c in chunks])


def test_calibration_picks_the_best_dev_bias_and_the_tagger_decodes_with_it(
    two_models, sentences
) -> None:  # type: ignore[no-untyped-def]
    from medkg.nlp.ner.calibration import calibrate_outside_bias

    tagger = TokenTagger.load(two_models[0] / "ner")
    dev = sentences[56:100]
    cal = calibrate_outside_bias(tagger, dev, grid=(-1.0, -0.5, 0.5))
    assert set(cal.table) == {-1.0, -0.5, 0.0, 0.5}  # 0 is always tried
    assert cal.f1 == max(cal.table.values()) and cal.f1 >= cal.f1_uncalibrated
    assert tagger.outside_bias == cal.bias
    assert _dev_f1(tagger, dev) == pytest.approx(cal.f1)  # predict applies the bias
    assert cal.as_record()["dev_sentences"] == len(dev)


def test_a_flat_dev_curve_leaves_the_bias_at_zero(two_models, sentences) -> None:  # type: ignore[no-untyped-def]
    from medkg.nlp.ner.calibration import calibrate_outside_bias

    tagger = TokenTagger.load(two_models[0] / "ner")
    no_entities = [s for s in sentences if all(t == "O" for t in s.tags)][:10]
    assert no_entities
    cal = calibrate_outside_bias(tagger, no_entities)
    assert set(cal.table.values()) == {0.0} and cal.bias == 0.0
    with pytest.raises(ValueError, match="development sentences"):
        calibrate_outside_bias(tagger, [])


def test_training_calibrates_and_the_saved_model_keeps_the_bias(two_models) -> None:  # type: ignore[no-untyped-def]
    nlp = spacy.load(two_models[1])
    record = nlp.meta["medkg"]["calibration"]
    assert record["dev_sentences"] == 8 and "0.0" in record["grid"]
    tagger = nlp.get_pipe("ner").tagger
    assert tagger.outside_bias == record["outside_bias"]
    saved = json.loads((two_models[1] / "ner/tagger.json").read_text())
    assert saved["outside_bias"] == record["outside_bias"]


def test_a_joined_ensemble_is_calibrated_as_a_whole(two_models, sentences, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from medkg.nlp.ner.recipes import join_ner_models

    dev = sentences[56:100]
    best = join_ner_models(list(two_models), tmp_path / "ens", dev=dev, device="cpu")
    nlp = spacy.load(best)
    ensemble = nlp.get_pipe("ner").tagger
    record = nlp.meta["medkg"]["calibration"]
    assert ensemble.outside_bias == record["outside_bias"]
    assert _dev_f1(ensemble, dev) == pytest.approx(record["dev_f1"])


def test_calibrating_in_place_rewrites_only_the_bias(two_models, sentences, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from medkg.nlp.ner.calibration import calibrate_ner_model

    model = tmp_path / "copy"
    shutil.copytree(two_models[0], model)
    weights = (model / "ner/head.pt").read_bytes()
    dev = [s for s in sentences[56:100] if any(t != "O" for t in s.tags)]
    cal = calibrate_ner_model(model, dev, "cpu")
    assert (model / "ner/head.pt").read_bytes() == weights
    assert json.loads((model / "ner/tagger.json").read_text())["outside_bias"] == cal.bias
    reloaded = spacy.load(model)
    assert reloaded.get_pipe("ner").tagger.outside_bias == cal.bias
    assert reloaded.meta["medkg"]["calibration"]["dev_f1"] == pytest.approx(cal.f1)
    assert reloaded.meta["medkg"]["config"]["seed"] == 0  # the training record is kept
    assert not list(model.rglob("*.tmp"))

    rules = spacy.blank("en")
    rules.add_pipe("entity_ruler", name="ner")
    rules.to_disk(tmp_path / "rules")
    with pytest.raises(ValueError, match="only transformer NER"):
        calibrate_ner_model(tmp_path / "rules", dev, "cpu")
    with pytest.raises(FileNotFoundError, match="not a trained NER model"):
        calibrate_ner_model(tmp_path / "nothing", dev, "cpu")


def test_cli_calibrates_on_the_shared_development_set_or_says_what_is_missing(
    two_models, sentences, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import shutil

    shared = tmp_path / "shared"
    write_bio(shared / "bc5cdr/train.tsv", sentences[:40])
    write_bio(shared / "ncbi-disease/train.tsv", sentences[40:60])
    model = tmp_path / "copy"
    shutil.copytree(two_models[0], model)
    monkeypatch.setenv("MEDKG_SHARED_DATA_DIR", str(shared))
    monkeypatch.setenv("MEDKG_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        missing = runner.invoke(app, ["train", "ner-calibrate", str(model), "--device", "cpu"])
        assert missing.exit_code == 1 and "devel.tsv" in missing.output
        assert "Traceback" not in missing.output
        write_bio(shared / "ncbi-disease/devel.tsv", sentences[60:80])
        ok = runner.invoke(app, ["train", "ner-calibrate", str(model), "--device", "cpu"])
        assert ok.exit_code == 0, ok.output
        said = " ".join(ok.output.split())  # however Rich wrapped it
        assert "outside bias" in said and "26 sentences" in said  # 4 + 2 + 20
        # a model that records its corpora is calibrated on those, not the shared ones
        from medkg.nlp.ner.recipes import NerCorpora

        corpora = NerCorpora(
            train=[shared / "bc5cdr/train.tsv"], dev=[shared / "ncbi-disease/devel.tsv"]
        )
        meta = json.loads((model / "meta.json").read_text())
        meta["medkg"]["training_data"] = corpora.record()
        (model / "meta.json").write_text(json.dumps(meta))
        ok = runner.invoke(app, ["train", "ner-calibrate", str(model), "--device", "cpu"])
        assert ok.exit_code == 0, ok.output
        assert "24 sentences" in " ".join(ok.output.split())  # 4 + 20
    finally:
        get_settings.cache_clear()
