"""Several fine-tuned NER taggers run as one: their tag probabilities averaged.

Why: two taggers trained differently (another seed, or with and without word
features) make different mistakes; the mean of their per-word tag
probabilities, decoded once by the same Viterbi as a single tagger, beats each
member (docs/results.md, NER). Probabilities are averaged, not
log-probabilities: with log-probabilities one member that is certain a word is
``O`` would veto the other's confident entity, which is the agreement-only
behaviour averaging is meant to soften.

An ensemble is saved inside the spaCy ``ner`` component folder: an
``ensemble.json`` naming the member folders, each a complete
:class:`~medkg.nlp.ner.tagger.TokenTagger` folder. The component tells the two
layouts apart by that file, so everything that loads a NER (the extractor,
``bench/ner_eval.py``, ``MEDKG_NER_MODEL``) takes an ensemble unchanged.

Rejected (docs/decisions/0007): averaging weights into one model (members with
and without word features have different heads, and fine-tuned transformers
from different seeds do not average well); voting on decoded spans (loses the
confidence that makes averaging work, and ties with two members).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from medkg.artifacts import load_json, save_json
from medkg.nlp.ner.tagger import TokenTagger
from medkg.nlp.ner.tags import decode

#: The file that marks a ``ner`` component folder as an ensemble.
ENSEMBLE_FILE = "ensemble.json"


class TaggerEnsemble:
    """Taggers over the same tag set whose tag probabilities are averaged per word.

    Offers what ``TransformerNer`` uses of a ``TokenTagger``: ``tags``,
    ``log_probs``, ``predict``, ``to``, ``save`` and ``load``.
    """

    def __init__(self, members: Sequence[TokenTagger]) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one tagger")
        tags = list(members[0].tags)
        for m in members[1:]:
            if list(m.tags) != tags:
                raise ValueError(f"taggers predict different tags: {tags} and {list(m.tags)}")
        self.members = list(members)
        self.tags = tags
        #: The ensemble's own decoding threshold (:mod:`.calibration`); the
        #: members' biases are for their use alone and are not applied here.
        self.outside_bias = 0.0

    def describe(self) -> str:
        """What the members are, e.g. ``2 x transformer (1 with word features)``."""
        with_features = sum(m.features is not None for m in self.members)
        return f"{len(self.members)} x transformer ({with_features} with word features)"

    def to(self, device: Any) -> TaggerEnsemble:
        for m in self.members:
            m.to(device)
        return self

    def train(self, mode: bool = True) -> None:
        for m in self.members:
            m.train(mode)

    def log_probs(
        self, chunks: Sequence[Sequence[str]], device: Any, batch_size: int = 32
    ) -> list[np.ndarray]:
        """``log(mean_k P_k(tag | word))`` per word of each chunk."""
        per_member = [m.log_probs(chunks, device, batch_size) for m in self.members]
        norm = np.log(len(self.members))
        return [
            np.logaddexp.reduce(np.stack([lp[i] for lp in per_member]), axis=0) - norm
            for i in range(len(chunks))
        ]

    def predict(
        self, chunks: Sequence[Sequence[str]], device: Any, batch_size: int = 32
    ) -> list[list[str]]:
        """BIO tags per word: the best valid sequence under the averaged probabilities."""
        return decode(self.log_probs(chunks, device, batch_size), self.tags, self.outside_bias)

    def save(self, folder: Path, config: dict) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        names = [f"member-{k}" for k in range(len(self.members))]
        for name, m in zip(names, self.members, strict=True):
            m.save(folder / name, config)
        meta = {"members": names, "tags": self.tags, "outside_bias": self.outside_bias}
        save_json(folder / ENSEMBLE_FILE, meta, indent=1)

    @classmethod
    def load(cls, folder: Path) -> TaggerEnsemble:
        meta = load_json(folder / ENSEMBLE_FILE)
        ensemble = cls([TokenTagger.load(folder / name) for name in meta["members"]])
        ensemble.outside_bias = float(meta.get("outside_bias", 0.0))
        return ensemble
