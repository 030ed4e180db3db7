"""Frozen transformer token features for the NER: alignment, caching, training, round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import spacy
from spacy.tokens import Doc, Span
from spacy.training import Example

from medkg.nlp.ner.frozen_features import transformer_features
from medkg.nlp.ner.tags import sentence_chunks

pytest.importorskip("torch")

WORDS = [
    "Patient",
    "started",
    "metformin",
    "for",
    "type",
    "2",
    "diabetes",
    ".",
    "No",
    "chest",
    "pain",
    ".",
]


def _doc(nlp_or_vocab, words: list[str] = WORDS, sents: bool = True) -> Doc:
    vocab = getattr(nlp_or_vocab, "vocab", nlp_or_vocab)
    starts = [w in ("Patient", "No") for w in words] if sents else None
    return Doc(vocab, words=words, sent_starts=starts)


def test_one_vector_per_token_deterministic_and_cached() -> None:
    layer = transformer_features(max_words=4)
    layer.initialize()
    vocab = spacy.blank("en").vocab
    (feats,), _ = layer([_doc(vocab)], is_train=False)
    assert feats.shape == (len(WORDS), 384)
    # "type 2 diabetes ." is its own chunk (max_words=4) but every token gets a vector.
    assert np.all(np.abs(feats).sum(1) > 0)
    cache = layer.attrs["state"].cache
    cached = len(cache)
    assert cached == len(sentence_chunks(_doc(vocab), 4)) == 3  # 8-word sentence cut in two
    (again,), _ = layer([_doc(vocab)], is_train=False)
    assert len(cache) == cached  # fresh Doc, same words: served from the cache
    np.testing.assert_allclose(again, feats)
    # The same word in another context gets another vector (contextual, not a lookup).
    (other,), _ = layer([_doc(vocab, ["Metformin", "was", "stopped", "."])], is_train=False)
    assert not np.allclose(other[0], feats[2], atol=1e-2)


def test_cache_is_bounded_and_no_gradient_flows_back() -> None:
    layer = transformer_features(cache_size=2)
    layer.initialize()
    vocab = spacy.blank("en").vocab
    docs = [_doc(vocab, [w, "pain", "."], sents=False) for w in ("chest", "back", "knee")]
    outs, backprop = layer(docs, is_train=True)
    assert [o.shape[0] for o in outs] == [3, 3, 3]
    assert len(layer.attrs["state"].cache) == 2
    assert backprop([o * 0 for o in outs]) == []


def test_ner_with_transformer_features_learns_saves_and_loads(tmp_path: Path) -> None:
    config = {
        "@architectures": "spacy.Tok2Vec.v2",
        "embed": {
            "@architectures": "medkg.HashAndTransformerEmbed.v1",
            "width": 32, "attrs": ["NORM", "SHAPE"], "rows": [500, 50],
            "transformer": {"@architectures": "medkg.TransformerFeatures.v1"},
        },
        "encode": {
            "@architectures": "spacy.MaxoutWindowEncoder.v2",
            "width": 32, "depth": 1, "window_size": 1, "maxout_pieces": 2,
        },
    }  # fmt: skip
    nlp = spacy.blank("en")
    nlp.add_pipe("tok2vec", config={"model": config})
    nlp.add_pipe("ner")
    examples = []
    for words, (start, end, label) in [
        (WORDS, (2, 3, "CHEMICAL")),
        (["Aspirin", "relieved", "the", "headache", "."], (0, 1, "CHEMICAL")),
        (["She", "developed", "type", "2", "diabetes", "."], (2, 5, "DISEASE")),
    ]:
        gold = _doc(nlp, words, sents=False)
        gold.ents = [Span(gold, start, end, label=label)]
        examples.append(Example(_doc(nlp, words, sents=False), gold))
    optimizer = nlp.initialize(lambda: examples)
    losses = [nlp.update(examples, sgd=optimizer, losses={})["ner"] for _ in range(30)]
    assert losses[-1] < losses[0] / 2
    nlp.to_disk(tmp_path / "ner")
    loaded = spacy.load(tmp_path / "ner")  # the architectures resolve through entry points
    before = [[(e.start, e.end, e.label_) for e in nlp(_doc(nlp, ex.x.text.split())).ents]
              for ex in examples]  # fmt: skip
    after = [[(e.start, e.end, e.label_) for e in loaded(_doc(loaded, ex.x.text.split())).ents]
             for ex in examples]  # fmt: skip
    assert before == after
    assert "CHEMICAL" in {lab for ents in after for *_, lab in ents}
    # The saved pipeline holds the trained weights, not the encoder or its cache.
    size = sum(f.stat().st_size for f in (tmp_path / "ner/tok2vec").rglob("*") if f.is_file())
    assert size < 2_000_000
