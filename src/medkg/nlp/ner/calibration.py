"""Calibrate how readily a transformer NER leaves a word outside every entity.

What: one number per model, the *outside bias*, added to each word's ``O``
log-probability before Viterbi decoding (:func:`.tags.decode`). It is chosen on
the training run's own development set (NCBI-disease devel and the tail of
BC5CDR train, never an evaluation split) from a small grid, and saved with the
model, so every user of the model decodes the same way.

Why: training with partial labels (:func:`.training.allowed_tags`) lets an
``O`` word of NCBI-disease be a chemical, which is right, but it also leaves
the model more willing to start an entity than the fully annotated data
warrants: precision ends up below recall (docs/results.md, NER). Shifting
the ``O`` score is the decoder's threshold; moving it on held-out data trades
the extra recall back for precision where that raises F1, and leaves the
model alone (bias 0) where it does not. Ties go to the bias nearest zero, so a
flat dev curve changes nothing.

Rejected: a bias per label (twice the grid for two labels on a dev set of a
few thousand entities: more room to fit noise than to find signal); retraining
with a class-weighted loss (hours on CPU for what one scalar at decode time
does); tuning on BC5CDR devel or NCBI-disease test (those are the evaluation
splits ``bench/ner_eval.py`` reports).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medkg.artifacts import load_json, save_json, update_json
from medkg.nlp.corpora.bio import BioSentence
from medkg.nlp.ner.component import load_trained_tagger
from medkg.nlp.ner.ensemble import ENSEMBLE_FILE
from medkg.nlp.ner.evaluation import tag_f1
from medkg.nlp.ner.tagger import TAGGER_FILE
from medkg.nlp.ner.tags import chunk_sentence, decode

#: Outside biases tried, in log-probability units (positive: more ``O``, fewer
#: and surer entities; negative: more entities).
BIAS_GRID: tuple[float, ...] = tuple(round(-2.0 + 0.25 * k, 2) for k in range(17))


@dataclass
class Calibration:
    """The chosen bias and the development F1 each tried bias gave."""

    bias: float
    f1: float
    f1_uncalibrated: float
    table: dict[float, float] = field(default_factory=dict)
    dev_sentences: int = 0

    def as_record(self) -> dict:
        """JSON-ready, for the model's training record."""
        return {
            "outside_bias": self.bias,
            "dev_f1": self.f1,
            "dev_f1_uncalibrated": self.f1_uncalibrated,
            "dev_sentences": self.dev_sentences,
            "grid": {str(b): f for b, f in self.table.items()},
        }


def calibrate_outside_bias(
    tagger: Any,
    dev: Sequence[BioSentence],
    device: Any = "cpu",
    grid: Sequence[float] = BIAS_GRID,
    batch_size: int = 32,
) -> Calibration:
    """Pick the outside bias with the best dev entity F1, set it on ``tagger``
    (a ``TokenTagger`` or ``TaggerEnsemble``) and return the record.

    The log-probabilities are computed once; each grid point only re-decodes.
    A sentence's predictions of labels its corpus does not annotate are not
    counted, as in training's model selection and ``bench/ner_eval.py``.
    """
    if not dev:
        raise ValueError("calibration needs development sentences")
    chunks = [c for s in dev for c in chunk_sentence(s.words, s.tags, s.annotated)]
    log_probs = tagger.log_probs([c[0] for c in chunks], device, batch_size)
    gold = [c[1] for c in chunks]
    annotated = [c[2] for c in chunks]
    table: dict[float, float] = {}
    for bias in sorted({0.0, *grid}):
        table[bias] = tag_f1(gold, decode(log_probs, tagger.tags, bias), annotated)
    best = max(table, key=lambda b: (round(table[b], 6), -abs(b)))
    tagger.outside_bias = best
    return Calibration(best, table[best], table[0.0], table, len(dev))


def calibrate_ner_model(
    model: Path, dev: Sequence[BioSentence], device: str = "auto"
) -> Calibration:
    """Calibrate a trained transformer NER (one tagger or an ensemble) in place.

    Only the small JSON files that hold the bias and the training record are
    rewritten, each atomically (a temporary file renamed over the old one), so
    the weights are never touched and an interrupted run leaves the model as
    it was or fully calibrated.
    """
    from medkg.encoders.device import resolve_device

    folder, tagger, _ = load_trained_tagger(Path(model), "calibrated")
    dev_device = resolve_device(device)
    calibration = calibrate_outside_bias(tagger.to(dev_device), dev, dev_device)
    ner = folder / "ner"
    holder = ner / ENSEMBLE_FILE if (ner / ENSEMBLE_FILE).is_file() else ner / TAGGER_FILE
    update_json(holder, {"outside_bias": calibration.bias})
    meta = load_json(folder / "meta.json")  # as written, not as spaCy reads it
    meta.setdefault("medkg", {})["calibration"] = calibration.as_record()
    save_json(folder / "meta.json", meta, indent=1)
    return calibration


__all__ = ["BIAS_GRID", "Calibration", "calibrate_ner_model", "calibrate_outside_bias"]
