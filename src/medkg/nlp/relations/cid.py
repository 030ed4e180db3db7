"""The chemical-induced-disease (CAUSES) classifier: a logistic regression over
sparse features of a (chemical, disease) pair inside one sentence.

Why a linear model over hand-made features: BC5CDR's CID training set is 500
abstracts, and the features CID papers rely on (words between the mentions,
their order and distance, words around them, negation in the sentence) are
cheap and explainable. Its weights are stored as plain JSON, not a pickle, so
a model file cannot run code. Figures: docs/results.md (Relations).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from medkg.artifacts import load_json, save_json

#: Negation cues: a pair whose gap holds one is no relation; a sentence with one
#: gets the ``NEG_IN_SENT`` feature.
NEGATION = re.compile(r"\b(not|no|without|never|neither|nor|denie[sd]|unlikely|ruled out)\b", re.I)
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def pair_features(sentence: str, chem: tuple[int, int], dis: tuple[int, int]) -> list[str]:
    """Sparse features of a (chemical, disease) pair inside one sentence.

    Words between the two mentions (and bigrams), three words either side, the
    order and a distance bucket: the signals CID relation papers rely on.
    """
    a, b = sorted([chem, dis])
    between = _WORD.findall(sentence[a[1] : b[0]].lower())
    left = _WORD.findall(sentence[: a[0]].lower())[-3:]
    right = _WORD.findall(sentence[b[1] :].lower())[:3]
    order = "CD" if chem[0] < dis[0] else "DC"
    feats = [f"ORDER={order}", f"DIST={min(len(between), 10) // 2}"]
    feats += [f"B={w}" for w in between] + [f"B{order}={w}" for w in between]
    feats += [f"BB={x}_{y}" for x, y in itertools.pairwise(between)]
    feats += [f"L={w}" for w in left] + [f"R={w}" for w in right]
    if not between:
        feats.append("ADJACENT")
    if NEGATION.search(sentence):
        feats.append("NEG_IN_SENT")
    return feats


class PairScorer(Protocol):
    """What the extractor asks of a CID classifier: this logistic regression or the
    fine-tuned transformer (:mod:`.transformer_cid`)."""

    def probability(
        self, sentence: str, chem: tuple[int, int], dis: tuple[int, int]
    ) -> float: ...

    def probabilities(
        self, pairs: list[tuple[str, tuple[int, int], tuple[int, int]]]
    ) -> list[float]: ...


@dataclass
class CidClassifier:
    """Logistic regression over :func:`pair_features`, weights as a dict."""

    weights: dict[str, float]
    bias: float
    meta: dict

    def probability(self, sentence: str, chem: tuple[int, int], dis: tuple[int, int]) -> float:
        z = self.bias + sum(
            self.weights.get(f, 0.0) for f in set(pair_features(sentence, chem, dis))
        )
        return 1.0 / (1.0 + math.exp(-z))

    def probabilities(
        self, pairs: list[tuple[str, tuple[int, int], tuple[int, int]]]
    ) -> list[float]:
        return [self.probability(*p) for p in pairs]

    def save(self, path: Path) -> None:
        save_json(path, {"weights": self.weights, "bias": self.bias, "meta": self.meta})

    @classmethod
    def load(cls, path: Path) -> CidClassifier:
        data = load_json(path)
        return cls(data["weights"], data["bias"], data.get("meta", {}))
