"""A TF-IDF word and bigram channel for the fusion model's patient side.

Why: on Symptom2Disease the frozen sentence encoder alone trails a TF-IDF +
logistic-regression baseline (docs/results.md): a mean-pooled general-domain
sentence vector blurs the exact symptom words ("itchy", "scaly", "blisters")
that separate the diseases. Giving the fusion model those words as well lets it
match the baseline and still add the graph and image channels on top.

Why our own few lines instead of scikit-learn's ``TfidfVectorizer``: the
vocabulary and idf weights must travel inside a ``torch.save`` checkpoint as
plain lists (no pickled estimator whose loading depends on the installed
scikit-learn version). The weighting is scikit-learn's: sublinear term
frequency, smoothed idf, L2-normalised rows.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import torch

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern


def terms(text: str) -> list[str]:
    """Lower-cased words of two or more characters and their bigrams."""
    words = _TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in pairwise(words)]


@dataclass
class LexicalFeatures:
    vocabulary: dict[str, int]
    idf: list[float]

    @property
    def dim(self) -> int:
        return len(self.vocabulary)

    @classmethod
    def fit(cls, texts: Sequence[str], min_df: int = 2) -> LexicalFeatures:
        """Terms in at least ``min_df`` of ``texts`` (fit on training texts only)."""
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(terms(text)))
        kept = sorted(t for t, n in df.items() if n >= min_df)
        n = len(texts)
        return cls(
            {t: i for i, t in enumerate(kept)},
            [math.log((1 + n) / (1 + df[t])) + 1.0 for t in kept],
        )

    def transform(self, texts: Sequence[str]) -> torch.Tensor:
        """``(len(texts), dim)`` dense TF-IDF rows; a text with no known term is zeros."""
        out = torch.zeros(len(texts), self.dim)
        for row, text in enumerate(texts):
            for term, count in Counter(terms(text)).items():
                col = self.vocabulary.get(term)
                if col is not None:
                    out[row, col] = (1.0 + math.log(count)) * self.idf[col]
        norms = out.norm(dim=1, keepdim=True)
        return out / norms.clamp_min(1e-12)

    def state(self) -> dict:
        return {"terms": list(self.vocabulary), "idf": self.idf}

    @classmethod
    def from_state(cls, state: dict) -> LexicalFeatures:
        return cls({t: i for i, t in enumerate(state["terms"])}, list(state["idf"]))
