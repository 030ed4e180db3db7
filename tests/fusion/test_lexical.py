"""The fusion model's TF-IDF channel: scikit-learn's weighting, checkpoint-safe state."""

from __future__ import annotations

import pytest
import torch

from medkg.fusion.diagnosis import fixed_split, load_symptom2disease
from medkg.fusion.lexical import LexicalFeatures, terms
from tests.conftest import SHARED

CSV = SHARED / "symptom2disease/Symptom2Disease.csv"


def test_terms_are_words_and_bigrams() -> None:
    assert terms("Itchy, scaly skin!") == ["itchy", "scaly", "skin", "itchy scaly", "scaly skin"]
    assert terms("a") == []  # one-letter words are not terms (scikit-learn's pattern)


@pytest.mark.skipif(not CSV.exists(), reason="no Symptom2Disease")
def test_rows_match_scikit_learn_tfidf_on_real_descriptions() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    ex = load_symptom2disease(CSV)
    train, test = fixed_split(ex)
    fit_texts = [ex[i].text for i in train]
    ours = LexicalFeatures.fit(fit_texts, min_df=2)
    ref = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2).fit(fit_texts)
    assert ours.vocabulary == {t: i for i, t in enumerate(sorted(ref.vocabulary_))}
    texts = [ex[i].text for i in test[:40]]
    expected = torch.tensor(ref.transform(texts).toarray(), dtype=torch.float32)
    order = [ref.vocabulary_[t] for t in ours.vocabulary]  # ours is sorted by term
    assert torch.allclose(ours.transform(texts), expected[:, order], atol=1e-5)


def test_state_round_trips_and_unknown_text_is_zero() -> None:
    lex = LexicalFeatures.fit(["fever and cough", "fever and rash", "dry cough at night"], 1)
    back = LexicalFeatures.from_state(lex.state())
    assert back == lex
    rows = back.transform(["fever and cough", "zzz qqq", ""])
    assert torch.allclose(rows[0].norm(), torch.tensor(1.0))
    assert rows[1].abs().sum() == 0 and rows[2].abs().sum() == 0
