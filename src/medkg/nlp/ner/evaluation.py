"""Entity-level precision/recall/F1: the one scorer for NER model selection,
calibration and ``bench/ner_eval.py``.

Exact-span matching (label, first token, last token), micro-averaged, as in
conlleval and the scispaCy paper. A sentence is scored only on the labels its
corpus annotates: on NCBI-disease (diseases only) a model's CHEMICAL
predictions are neither right nor wrong, so they are not counted.

:func:`evaluate_ner` gives the gold tokens to a spaCy pipeline as they are
(``nlp(Doc)`` skips the tokenizer), so scores measure entity recognition, not
tokenisation differences. ``label_map`` folds a pipeline's labels onto the
corpus's (the graph-name rules tag symptoms as SYMPTOM, which BC5CDR
annotates as Disease).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from medkg.nlp.corpora.bio import corpus_labels, entity_spans, read_bio, to_docs
from medkg.nlp.corpora.pubtator import read_pubtator
from medkg.nlp.metrics import PRF

if TYPE_CHECKING:
    from spacy.language import Language

Span = tuple[str, int, int]


@dataclass
class NerScores:
    micro: PRF = field(default_factory=PRF)
    per_label: dict[str, PRF] = field(default_factory=dict)
    sentences: int = 0


def score_spans(
    items: Iterable[tuple[set[Span], set[Span], frozenset[str] | None]],
    labels: Iterable[str] = (),
) -> NerScores:
    """Scores of ``(gold spans, predicted spans, labels scored)`` per sentence
    (``None``: every label); ``labels`` are reported even when they never occur."""
    per_label: dict[str, PRF] = {lab: PRF() for lab in labels}
    n = 0
    for gold, pred, scored in items:
        n += 1
        if scored is not None:
            pred = {p for p in pred if p[0] in scored}
        for span in gold | pred:
            counts = per_label.setdefault(span[0], PRF())
            if span in gold and span in pred:
                counts.tp += 1
            elif span in pred:
                counts.fp += 1
            else:
                counts.fn += 1
    micro = PRF()
    for counts in per_label.values():
        micro += counts
    return NerScores(micro, dict(sorted(per_label.items())), n)


def tag_f1(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    annotated: Sequence[frozenset[str] | None] | None = None,
) -> float:
    """Micro entity F1 of predicted BIO tag sequences against gold ones; a chunk
    is scored on its corpus's ``annotated`` labels only (model selection and
    calibration score their development set this way)."""
    scored = annotated if annotated is not None else [None] * len(gold)
    return score_spans(
        (entity_spans(list(g)), entity_spans(list(p)), a)
        for g, p, a in zip(gold, pred, scored, strict=True)
    ).micro.f1


def evaluate_ner(
    nlp: Language,
    path: str | Path,
    label_map: dict[str, str] | None = None,
    predicted: list[set[Span]] | None = None,
) -> NerScores:
    """Score a spaCy pipeline's entities on a token<TAB>BIO-tag file; with
    ``predicted``, each sentence's predicted spans are appended to it (to
    compare two inference paths span by span)."""
    label_map = label_map or {}
    sentences = read_bio(path)
    gold_labels = corpus_labels(sentences)
    # nlp.pipe batches the sentences: a transformer NER encodes a batch in one
    # forward pass instead of one call per sentence.
    docs = nlp.pipe(to_docs(sentences, nlp.vocab, per_doc=1, annotate=False), batch_size=256)

    def scored() -> Iterator[tuple[set[Span], set[Span], frozenset[str]]]:
        for sent, doc in zip(sentences, docs, strict=True):
            spans = {(label_map.get(e.label_, e.label_), e.start, e.end) for e in doc.ents}
            if predicted is not None:
                predicted.append(spans)
            yield entity_spans(sent.tags), spans, gold_labels

    return score_spans(scored(), labels=gold_labels)


def evaluate_ner_text(
    nlp: Language, path: str | Path, label_map: dict[str, str] | None = None
) -> NerScores:
    """Score a pipeline's entities on the raw abstracts of a PubTator file:
    exact character spans and label, per abstract. Unlike :func:`evaluate_ner`
    the pipeline tokenizes and splits sentences itself, so the figure is what
    the extractor's NER gives on text (give it the extractor's tokenizer with
    :func:`medkg.nlp.pipeline.text_pipeline`); a gold mention that does not
    fall on token boundaries cannot be found. ``NerScores.sentences`` counts
    abstracts here."""
    label_map = label_map or {}
    documents = read_pubtator(path)
    gold_labels = frozenset(m.type.upper() for d in documents for m in d.mentions)
    docs = nlp.pipe((d.text for d in documents), batch_size=16)

    def scored() -> Iterator[tuple[set[Span], set[Span], frozenset[str]]]:
        for document, doc in zip(documents, docs, strict=True):
            gold = {(m.type.upper(), m.start, m.end) for m in document.mentions}
            spans = {
                (label_map.get(e.label_, e.label_), e.start_char, e.end_char) for e in doc.ents
            }
            yield gold, spans, gold_labels

    return score_spans(scored(), labels=gold_labels)


def span_agreement(a: Sequence[set[Span]], b: Sequence[set[Span]]) -> float:
    """F1 between two paths' spans, sentence by sentence (1.0: the same spans)."""
    same = sum(len(x & y) for x, y in zip(a, b, strict=True))
    total = sum(len(x) for x in a) + sum(len(y) for y in b)
    return 2 * same / total if total else 1.0
