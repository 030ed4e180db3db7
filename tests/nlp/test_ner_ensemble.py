"""NER ensembles: joined models average their members' tag probabilities, load
through spaCy like any model, and refuse what cannot be joined."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import spacy
from typer.testing import CliRunner

from medkg.cli import app
from medkg.nlp import Extractor
from medkg.nlp.documents import NoteInput
from medkg.nlp.ner.tagger import TokenTagger
from medkg.nlp.ner.tags import decode
from medkg.settings import Settings
from tests.conftest import SHARED
from tests.nlp.conftest import write_bio

pytest.importorskip("torch")
BC5CDR = SHARED / "bc5cdr"
pytestmark = pytest.mark.skipif(not (BC5CDR / "train.tsv").exists(), reason="no BC5CDR")


def test_joined_model_averages_its_members_probabilities(
    two_models, sentences, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from medkg.nlp.ner.ensemble import TaggerEnsemble
    from medkg.nlp.ner.recipes import join_ner_models

    best = join_ner_models(list(two_models), tmp_path / "ens")
    nlp = spacy.load(best)  # the same spaCy component, loading an ensemble
    ensemble = nlp.get_pipe("ner").tagger
    assert isinstance(ensemble, TaggerEnsemble) and len(ensemble.members) == 2
    assert nlp.get_pipe("ner").labels == ("CHEMICAL", "DISEASE")
    assert [m.features is not None for m in ensemble.members] == [False, True]

    chunks = [s.words for s in sentences[100:110]]
    alone = [TokenTagger.load(p / "ner").log_probs(chunks, "cpu") for p in two_models]
    joint = ensemble.log_probs(chunks, "cpu")
    for i, lp in enumerate(joint):
        expected = np.log((np.exp(alone[0][i]) + np.exp(alone[1][i])) / 2)
        assert np.allclose(lp, expected, atol=1e-5)
        assert np.allclose(np.exp(lp).sum(-1), 1.0, atol=1e-5)  # still a distribution
    assert ensemble.predict(chunks, "cpu") == decode(joint, ensemble.tags)
    # The members really differ, so the average is not just one of them.
    assert any(not np.allclose(a, b, atol=1e-3) for a, b in zip(*alone, strict=True))

    record = nlp.meta["medkg"]
    assert record["ensemble"] is True
    assert [m["source"] for m in record["members"]] == [str(p) for p in two_models]


def test_a_model_joined_with_itself_predicts_as_it_does_alone(
    two_models, sentences, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from medkg.nlp.ner.recipes import join_ner_models

    plain = two_models[0]
    twice = spacy.load(join_ner_models([plain, plain], tmp_path / "twice"))
    chunks = [s.words for s in sentences[56:80]]
    single = spacy.load(plain).get_pipe("ner").tagger
    joined = twice.get_pipe("ner").tagger
    assert joined.outside_bias == 0.0  # joined without a dev set: not calibrated
    single.outside_bias = 0.0  # compare like with like: both undecorated
    assert joined.predict(chunks, "cpu") == single.predict(chunks, "cpu")


def test_joining_an_ensemble_takes_its_members_and_may_replace_a_source(
    two_models, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from medkg.nlp.ner.recipes import join_ner_models

    first = join_ner_models(list(two_models), tmp_path / "ens")
    # Output = the folder of one of the sources: it is replaced only when done.
    again = join_ner_models([first.parent, two_models[0]], tmp_path / "ens")
    assert again == first
    nlp = spacy.load(again)
    assert len(nlp.get_pipe("ner").tagger.members) == 3
    assert len(nlp.meta["medkg"]["members"]) == 3
    assert not list(tmp_path.glob(".ner-train-*"))  # no temporary folder left behind


def test_what_cannot_be_joined_is_refused_with_a_reason(two_models, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from medkg.nlp.ner.ensemble import TaggerEnsemble
    from medkg.nlp.ner.recipes import join_ner_models

    with pytest.raises(ValueError, match="at least two"):
        join_ner_models([two_models[0]], tmp_path / "one")
    with pytest.raises(FileNotFoundError, match="not a trained NER model"):
        join_ner_models([two_models[0], tmp_path], tmp_path / "bad")
    rules = spacy.blank("en")
    rules.add_pipe("entity_ruler", name="ner")
    rules.to_disk(tmp_path / "rules")
    with pytest.raises(ValueError, match="only transformer NER models"):
        join_ner_models([two_models[0], tmp_path / "rules"], tmp_path / "bad")
    with pytest.raises(ValueError, match="different tags"):
        TaggerEnsemble(
            [TokenTagger.load(two_models[0] / "ner"), TokenTagger("default", ["O", "B-GENE"])]
        )
    assert not (tmp_path / "bad").exists() and not (tmp_path / "one").exists()


def test_cli_joins_models_and_reports_bad_ones(two_models, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    out = tmp_path / "cli-ens"
    ok = runner.invoke(
        app,
        ["train", "ner-ensemble", *map(str, two_models), "--output", str(out), "--no-calibrate"],
    )
    assert ok.exit_code == 0, ok.output
    assert (out / "model-best/ner/ensemble.json").is_file()
    bad = runner.invoke(app, ["train", "ner-ensemble", str(two_models[0]), str(tmp_path / "no")])
    assert bad.exit_code == 1
    assert "error:" in bad.output and "not a trained NER model" in bad.output
    assert "Traceback" not in bad.output


def test_extractor_runs_on_an_ensemble(two_models, slice_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from medkg.nlp.ner.recipes import join_ner_models

    best = join_ner_models(list(two_models), tmp_path / "ens")
    s = Settings(data_dir=tmp_path, shared_data_dir=SHARED, ner_model=str(best))
    ex = Extractor(slice_store, s)
    assert "ner-" in ex.version
    note = NoteInput("n1", "Patient denies chest pain. Started metformin for type 2 diabetes.")
    (doc,) = ex.extract([note])
    affirmed = {m.text.lower() for m in doc.mentions if m.is_positive_fact}
    assert "metformin" in affirmed and "chest pain" not in affirmed


def test_train_ner_with_members_saves_one_ensemble_of_different_seeds(
    sentences, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from medkg.nlp.ner.ensemble import TaggerEnsemble
    from medkg.nlp.ner.recipes import NerCorpora, seen_in_training, train_ner

    corpora = NerCorpora(
        train=[write_bio(tmp_path / "train.tsv", sentences[:40])],
        dev=[write_bio(tmp_path / "dev.tsv", sentences[40:48])],
    )
    best = train_ner(corpora, tmp_path / "ner", arch="transformer", epochs=1, members=2, seed=3)
    ensemble = spacy.load(best).get_pipe("ner").tagger
    assert isinstance(ensemble, TaggerEnsemble) and len(ensemble.members) == 2
    record = spacy.load(best).meta["medkg"]
    assert [m["config"]["seed"] for m in record["members"]] == [3, 4]
    assert seen_in_training(record, corpora.train[0]) == "train"
    assert seen_in_training(record, corpora.dev[0]) == "dev"
    # Calibrated as a whole (members are not calibrated on their own).
    assert record["calibration"]["outside_bias"] == ensemble.outside_bias
    assert record["calibration"]["dev_sentences"] == 4 + 8  # train's tail + dev
    assert all(m.outside_bias == 0.0 for m in ensemble.members)
    assert not list(tmp_path.glob(".ner-members-*"))
    with pytest.raises(ValueError, match="transformer"):
        train_ner(corpora, tmp_path / "hash", arch="hash", members=2)
