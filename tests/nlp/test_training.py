"""NER and relation-classifier training and evaluation on the real shared corpora."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from medkg.artifacts import resolve_ner_model
from medkg.nlp.corpora.bio import BioFormatError, entity_spans, read_bio
from medkg.nlp.corpora.pubtator import split_training_set
from medkg.nlp.ner.evaluation import evaluate_ner
from medkg.nlp.ner.recipes import NerCorpora, recorded_corpora, seen_in_training, train_ner
from medkg.nlp.relations.cid import CidClassifier
from medkg.nlp.relations.training import evaluate_cid, train_cid
from medkg.settings import Settings
from tests.conftest import SHARED

BC5CDR = SHARED / "bc5cdr"
needs_bc5cdr = pytest.mark.skipif(not (BC5CDR / "train.tsv").exists(), reason="no BC5CDR")


def test_read_bio_maps_corpus_labels_and_rejects_bad_files(tmp_path: Path) -> None:
    good = tmp_path / "good.tsv"
    good.write_text(
        "Selegiline\tB-Chemical\n-\tO\ninduced\tO\nhypotension\tB-Disease\n\n"
        "-DOCSTART-\tO\n\nParkinson\tB-Disease\n'\tI-Disease\ns\tI-Disease\n"
    )
    sents = read_bio(good)
    assert [s.words[0] for s in sents] == ["Selegiline", "Parkinson"]
    assert entity_spans(sents[0].tags) == {("CHEMICAL", 0, 1), ("DISEASE", 3, 4)}
    assert entity_spans(sents[1].tags) == {("DISEASE", 0, 3)}
    bad = tmp_path / "bad.tsv"
    bad.write_text("word\tX-Chemical\n")
    with pytest.raises(BioFormatError, match=r"bad.tsv:1: tag 'X-Chemical'"):
        read_bio(bad)
    latin = tmp_path / "latin.tsv"
    latin.write_bytes("f\xe9brile\tO\n".encode("latin-1"))
    with pytest.raises(BioFormatError, match="not UTF-8"):
        read_bio(latin)
    with pytest.raises(BioFormatError, match="no such file"):
        read_bio(tmp_path / "missing.tsv")


def test_evaluate_ner_scores_exact_spans(tmp_path: Path) -> None:
    gold = tmp_path / "gold.tsv"
    gold.write_text(
        "Selegiline\tB-Chemical\n-\tO\ninduced\tO\npostural\tB-Disease\n"
        "hypotension\tI-Disease\n.\tO\n"
    )
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(
        [
            {"label": "CHEMICAL", "pattern": "Selegiline"},  # right
            {"label": "DISEASE", "pattern": "hypotension"},  # span too short: 1 FP + 1 FN
        ]
    )
    scores = evaluate_ner(nlp, gold)
    assert (scores.micro.tp, scores.micro.fp, scores.micro.fn) == (1, 1, 1)
    assert scores.per_label["CHEMICAL"].f1 == 1.0 and scores.per_label["DISEASE"].f1 == 0.0


@needs_bc5cdr
@pytest.mark.parametrize("arch", ["transformer", "hash"])
def test_train_ner_on_a_real_slice_and_the_extractor_uses_it(tmp_path: Path, arch: str) -> None:
    slices = {}
    for name, src, n in (("train", BC5CDR / "train.tsv", 2000), ("dev", BC5CDR / "devel.tsv", 300)):
        lines = src.read_text().splitlines()[:n]
        slices[name] = tmp_path / f"{name}.tsv"
        slices[name].write_text("\n".join(lines) + "\n")
    settings = Settings(data_dir=tmp_path / "data", shared_data_dir=SHARED)
    assert resolve_ner_model(settings) is None
    out = tmp_path / "data/models/ner"
    best = train_ner(
        NerCorpora(train=[slices["train"]], dev=[slices["dev"]]),
        out,
        max_steps=30,
        eval_frequency=15,
        arch=arch,
        epochs=1,
    )
    nlp = spacy.load(best)
    assert set(nlp.get_pipe("ner").labels) == {"CHEMICAL", "DISEASE"}
    if arch == "transformer":  # the default: word features, the vocabulary gazetteer
        gazetteer = nlp.get_pipe("ner").tagger.gazetteer
        assert gazetteer is not None and gazetteer.names["tylenol"] == "CHEMICAL"
        # the model knows which files it learned from, by their bytes
        record = nlp.meta["medkg"]
        assert record["training_data"]["train"][0]["path"] == str(slices["train"])
        assert seen_in_training(record, slices["train"]) == "train"
        assert seen_in_training(record, slices["dev"]) == "dev"
        assert seen_in_training(record, BC5CDR / "devel.tsv") is None
        # calibrating it later uses the same files; a changed file is no record
        corpora = recorded_corpora([record])
        assert corpora is not None and corpora.train == [slices["train"]]
        slices["dev"].write_text(slices["dev"].read_text() + "\nmore\tO\n")
        assert recorded_corpora([record]) is None
    assert resolve_ner_model(settings) == best
    assert not list(out.parent.glob(".ner-train-*"))  # the work folder is cleaned up


def test_train_ner_checks_every_corpus_before_training(tmp_path: Path) -> None:
    good = tmp_path / "good.tsv"
    good.write_text("Selegiline\tB-Chemical\ninduced\tO\nhypotension\tB-Disease\n")
    bad = tmp_path / "notes.tsv"
    bad.write_text("Aspirin\tB-Chemical\nfor\tO\npain\n")
    out = tmp_path / "ner"
    with pytest.raises(BioFormatError, match=r"notes.tsv:3: expected 'token<TAB>tag'"):
        train_ner(NerCorpora(train=[good, bad], dev=[good]), out, epochs=1)
    bad.write_text("Aspirin\tB-Chemical\nfor\tO\npain\tB-Problem\n")
    with pytest.raises(ValueError, match=r"notes.tsv: tags of PROBLEM, which this NER does not"):
        train_ner(NerCorpora(train=[good, bad], dev=[good]), out, epochs=1)
    with pytest.raises(FileNotFoundError, match=r"missing\.tsv"):
        train_ner(NerCorpora(train=[good, tmp_path / "missing.tsv"], dev=[good]), out, epochs=1)
    assert not out.exists()


@needs_bc5cdr
def test_cid_classifier_beats_sentence_cooccurrence(tmp_path: Path) -> None:
    train, dev = split_training_set(
        BC5CDR / "CDR_TrainingSet.PubTator.txt", BC5CDR / "CDR_DevelopmentSet.PubTator.txt"
    )
    assert len(train) == 500 and not {d.pmid for d in train} & {d.pmid for d in dev}
    clf = train_cid(train)
    clf.save(tmp_path / "cid.json")
    loaded = CidClassifier.load(tmp_path / "cid.json")
    model = evaluate_cid(dev, lambda k: loaded.probability(k.sentence, k.chem, k.dis))
    baseline = evaluate_cid(dev, lambda k: 1.0)
    assert model.f1 > baseline.f1 + 0.05
    assert model.precision > baseline.precision
