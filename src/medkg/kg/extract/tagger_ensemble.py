"""Several fine-tuned NER taggers run as one: their tag probabilities averaged.

Why: two taggers trained differently (another seed, or with and without
``--word-features``) make different mistakes. The mean of their per-word tag
probabilities, decoded once by the same Viterbi as a single tagger, beats each
member (docs/results.md: on BC5CDR devel the default and the word-features
model score 82.71 and 83.29 alone, their average 83.88). Probabilities are
averaged, not log-probabilities: with log-probabilities one member that is
certain a word is ``O`` would veto the other's confident entity, which is the
agreement-only behaviour averaging is meant to soften.

An ensemble is saved inside the spaCy ``ner`` component folder: an
``ensemble.json`` naming the member folders, each a complete ``TokenTagger``
folder. ``TransformerNer.from_disk`` tells the two layouts apart by that file,
so everything that loads a NER (the extractor, ``bench/ner_eval.py``,
``MEDKG_NER_MODEL``) takes an ensemble unchanged.

Rejected: averaging weights into one model (members with and without word
features have different heads, and fine-tuned transformers from different
seeds do not average well); voting on decoded spans (loses the confidence
that makes averaging work, and ties with two members).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from medkg.kg.extract.bio import BioSentence
from medkg.kg.extract.trf_ner import TokenTagger, decode, write_ner_pipeline

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
        #: The ensemble's own decoding threshold (``ner_calibration``); the
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
        (folder / ENSEMBLE_FILE).write_text(json.dumps(meta, indent=1))

    @classmethod
    def load(cls, folder: Path) -> TaggerEnsemble:
        meta = json.loads((folder / ENSEMBLE_FILE).read_text())
        ensemble = cls([TokenTagger.load(folder / name) for name in meta["members"]])
        ensemble.outside_bias = float(meta.get("outside_bias", 0.0))
        return ensemble


def load_trained_tagger(model: Path, purpose: str) -> tuple[Path, Any, dict]:
    """The pipeline folder, tagger (a ``TokenTagger`` or ``TaggerEnsemble``) and
    spaCy meta of a trained transformer NER, given its folder or the folder
    holding its ``model-best``; a clear error, naming ``purpose`` (what the
    caller wanted to do with it), for anything else."""
    import spacy

    folder = model / "model-best" if (model / "model-best/meta.json").is_file() else model
    if not (folder / "meta.json").is_file():
        raise FileNotFoundError(f"{model}: not a trained NER model folder (no meta.json)")
    nlp = spacy.load(folder)
    tagger = getattr(nlp.get_pipe("ner"), "tagger", None) if "ner" in nlp.pipe_names else None
    if not isinstance(tagger, TaggerEnsemble | TokenTagger):
        raise ValueError(
            f"{model}: only transformer NER models can be {purpose} "
            "(`medkg train ner --arch transformer`)"
        )
    return folder, tagger, nlp.meta


def _taggers_of(model: Path) -> tuple[list[TokenTagger], dict]:
    """The taggers in a trained model folder (one, or an ensemble's members) and
    its training record."""
    _, tagger, meta = load_trained_tagger(model, "joined")
    members = tagger.members if isinstance(tagger, TaggerEnsemble) else [tagger]
    return members, meta.get("medkg", {})


def join_ner_models(
    models: Sequence[Path],
    output: Path,
    dev: Sequence[BioSentence] | None = None,
    device: str = "auto",
) -> Path:
    """Write one NER to ``output/model-best`` that averages the taggers of
    ``models`` (trained folders or ensembles, whose members are taken one by
    one) and return its path.

    With ``dev`` sentences the ensemble's outside bias is calibrated on them
    (``ner_calibration``); without, it decodes with none.

    Every member is loaded before anything is written, so ``output`` may be
    one of the ``models``: it is replaced only once the ensemble is complete.
    """
    if len(models) < 2:
        raise ValueError("give at least two models to join")
    members: list[TokenTagger] = []
    records: list[dict] = []
    for model in models:
        taggers, record = _taggers_of(Path(model))
        members += taggers
        records += record.get("members", [{**record, "source": str(model)}])
    ensemble = TaggerEnsemble(members)
    meta: dict = {"ensemble": True, "members": records, "calibration": None}
    if dev:
        from medkg.encoders.device import resolve_device
        from medkg.kg.extract.ner_calibration import calibrate_outside_bias

        dev_device = resolve_device(device)
        calibration = calibrate_outside_bias(ensemble.to(dev_device), dev, dev_device)
        ensemble.to("cpu")
        meta["calibration"] = calibration.as_record()
    return write_ner_pipeline(ensemble, output, meta)


__all__ = ["ENSEMBLE_FILE", "TaggerEnsemble", "join_ner_models", "load_trained_tagger"]
