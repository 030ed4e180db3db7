"""Entity-level precision/recall/F1 of a spaCy pipeline on a BIO file.

Exact-span matching (label, first token, last token), micro-averaged, as in
conlleval and the scispaCy paper. The gold tokens are given to the pipeline
as-is (``nlp(Doc)`` skips the tokenizer), so scores measure entity recognition,
not tokenisation differences. Only labels present in the gold file are scored:
on NCBI-disease (diseases only) a model's CHEMICAL predictions are ignored.
``label_map`` folds a pipeline's labels onto the corpus's (the graph-name rules
tag symptoms as SYMPTOM, which BC5CDR annotates as Disease).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from spacy.language import Language

from medkg.kg.extract.bio import corpus_labels, entity_spans, read_bio, to_docs


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class NerScores:
    micro: PRF = field(default_factory=PRF)
    per_label: dict[str, PRF] = field(default_factory=dict)
    sentences: int = 0


def evaluate_ner(
    nlp: Language, path: str | Path, label_map: dict[str, str] | None = None
) -> NerScores:
    label_map = label_map or {}
    sentences = read_bio(path)
    gold_labels = corpus_labels(sentences)
    scores = NerScores(sentences=len(sentences))
    counts: dict[str, Counter] = {lab: Counter() for lab in gold_labels}
    # nlp.pipe batches the sentences: a NER with transformer features encodes a
    # batch in one forward pass instead of one call per sentence.
    docs = nlp.pipe(to_docs(sentences, nlp.vocab, per_doc=1, annotate=False), batch_size=256)
    for sent, doc in zip(sentences, docs, strict=True):
        gold = entity_spans(sent.tags)
        pred = {(label_map.get(e.label_, e.label_), e.start, e.end) for e in doc.ents}
        pred = {p for p in pred if p[0] in gold_labels}
        for lab in gold_labels:
            g = {x for x in gold if x[0] == lab}
            p = {x for x in pred if x[0] == lab}
            counts[lab].update(tp=len(g & p), fp=len(p - g), fn=len(g - p))
    for lab, c in sorted(counts.items()):
        scores.per_label[lab] = PRF(c["tp"], c["fp"], c["fn"])
    scores.micro = PRF(
        *(sum(getattr(s, k) for s in scores.per_label.values()) for k in ("tp", "fp", "fn"))
    )
    return scores
