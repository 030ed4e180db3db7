"""Tag utilities shared by every NER tagger: the BIO tag set, which tag may follow
which, Viterbi decoding, and the word chunks a transformer sees.

Why constrained decoding: a per-word argmax can emit ``I-DISEASE`` after ``O``
or after ``B-CHEMICAL``, spans no corpus contains; Viterbi over the allowed
transitions returns the best *valid* sequence instead (docs/decisions/0007).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from spacy.tokens import Doc

#: The entity labels the trained NER predicts.
LABELS = ("CHEMICAL", "DISEASE")
#: Words per encoded chunk; sentences are cut here so no chunk passes 512 pieces.
MAX_WORDS = 128
#: ``doc.spans`` key of phrases no entity may cover: the dictionary matcher
#: puts there the phrases it found to name nothing ("body mass index",
#: ``nlp/not_mentions.tsv``), and the transformer NER tags nothing inside them.
NOT_MENTIONS = "medkg_not_mentions"


def bio_tags(labels: Sequence[str] = LABELS) -> list[str]:
    """``O`` first, then ``B-``/``I-`` per label: the tagger's output order."""
    return ["O"] + [f"{p}-{lab}" for lab in labels for p in ("B", "I")]


def bio_transitions(tags: Sequence[str]) -> np.ndarray:
    """``allowed[a, b]``: may tag ``b`` follow tag ``a``? Row ``len(tags)`` is the start."""
    n = len(tags)
    allowed = np.ones((n + 1, n), dtype=bool)
    for b, tb in enumerate(tags):
        if tb.startswith("I-"):
            for a in range(n + 1):
                ta = tags[a] if a < n else "O"
                allowed[a, b] = ta[2:] == tb[2:] and ta != "O"
    return allowed


def viterbi(scores: np.ndarray, allowed: np.ndarray) -> list[int]:
    """Best tag path for ``(words, tags)`` log-scores under the allowed transitions."""
    n_words, n_tags = scores.shape
    if n_words == 0:
        return []
    penalty = np.where(allowed, 0.0, -1e9)
    best = scores[0] + penalty[n_tags]
    back = np.zeros((n_words, n_tags), dtype=np.int64)
    for w in range(1, n_words):
        cand = best[:, None] + penalty[:n_tags]  # (previous, next)
        back[w] = cand.argmax(0)
        best = cand.max(0) + scores[w]
    path = [int(best.argmax())]
    for w in range(n_words - 1, 0, -1):
        path.append(int(back[w, path[-1]]))
    return path[::-1]


def decode(
    log_probs: Sequence[np.ndarray], tags: Sequence[str], outside_bias: float = 0.0
) -> list[list[str]]:
    """The best valid BIO sequence per chunk (``viterbi`` under ``bio_transitions``).

    ``outside_bias`` is added to every word's ``O`` score first: the decoder's
    threshold, chosen per model on development data (:mod:`.calibration`)."""
    allowed = bio_transitions(tags)
    outside = list(tags).index("O")
    out = []
    for scores in log_probs:
        if outside_bias:
            scores = np.array(scores, dtype=np.float64, copy=True)
            scores[:, outside] += outside_bias
        out.append([tags[k] for k in viterbi(scores, allowed)])
    return out


def chunk_sentence(
    words: Sequence[str],
    tags: Sequence[str] | None = None,
    annotated: frozenset[str] | None = None,
) -> Iterator[tuple]:
    """``(words, tags, annotated labels)`` pieces of at most ``MAX_WORDS`` words."""
    for i in range(0, len(words), MAX_WORDS):
        part = tuple(tags[i : i + MAX_WORDS]) if tags else None
        yield tuple(words[i : i + MAX_WORDS]), part, annotated


def sentence_chunks(doc: Doc, max_words: int) -> list[tuple[int, int]]:
    """Token ranges of a spaCy doc to encode: sentences when known, cut to ``max_words``."""
    if doc.has_annotation("SENT_START"):
        bounds = [(s.start, s.end) for s in doc.sents]
    else:
        bounds = [(0, len(doc))]
    return [
        (i, min(i + max_words, end)) for start, end in bounds for i in range(start, end, max_words)
    ]


def max_pieces(model: Any) -> int:
    """Word pieces one chunk may hold: the model's positions, at most 512."""
    return min(int(getattr(model.config, "max_position_embeddings", 512)), 512)
