"""Train and evaluate the chemical-induced-disease classifier on BC5CDR.

Candidates are (chemical, disease) mention pairs inside one sentence, with gold
entities from PubTator; a pair is positive when its MeSH ids form one of the
abstract's CID relations. Evaluation is BC5CDR's own: document-level
(chemical id, disease id) pairs, predicted when any of their sentence-level
candidates scores at or above the threshold. Cross-sentence relations cannot be
found this way, which caps recall (76 % on BC5CDR devel); the co-occurrence
baseline shares that cap. ``window=1`` adds pairs across two neighbouring
sentences (cap 90 %); the extractor does not score those yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import spacy

from medkg.nlp.corpora.pubtator import PtDocument, training_abstracts
from medkg.nlp.metrics import PRF
from medkg.nlp.relations.cid import CidClassifier, pair_features
from medkg.nlp.relations.rules import SpanRef, find_relations


@dataclass(frozen=True)
class Candidate:
    pmid: str
    chem_ids: tuple[str, ...]
    dis_ids: tuple[str, ...]
    sentence: str
    chem: tuple[int, int]
    dis: tuple[int, int]
    label: bool


def candidates(docs: list[PtDocument], window: int = 0) -> Iterator[Candidate]:
    """(chemical, disease) mention pairs inside one sentence; with ``window=1``
    also pairs whose mentions sit in two neighbouring sentences (their text is
    the two sentences), which is where BC5CDR's cross-sentence relations are."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    for pt, doc in zip(docs, nlp.pipe(d.text for d in docs), strict=True):
        sents = list(doc.sents)
        for i, sent in enumerate(sents):
            spans = [(sent.start_char, sent.end_char, sent.end_char)]
            if window and i + 1 < len(sents):  # (text start, text end, boundary)
                spans.append((sent.start_char, sents[i + 1].end_char, sent.end_char))
            for k, (s0, s1, cut) in enumerate(spans):
                inside = [m for m in pt.mentions if m.ids and s0 <= m.start and m.end <= s1]
                for c in (m for m in inside if m.type == "Chemical"):
                    for d in (m for m in inside if m.type == "Disease"):
                        if k and (c.start < cut) == (d.start < cut):
                            continue  # same sentence: yielded by the first span
                        label = any((ci, di) in pt.cid for ci in c.ids for di in d.ids)
                        yield Candidate(
                            pt.pmid, c.ids, d.ids, doc.text[s0:s1],
                            (c.start - s0, c.end - s0), (d.start - s0, d.end - s0), label,
                        )  # fmt: skip


def train_cid_model(train_path: Path, exclude_path: Path | None = None) -> CidClassifier:
    """What ``medkg train relations`` (and the demo) train: the classifier on a
    PubTator file, leaving out the abstracts of ``exclude_path`` (an evaluation
    set; BC5CDR's training file repeats its development abstracts)."""
    return train_cid(training_abstracts(train_path, exclude_path))


def train_cid(docs: list[PtDocument], c: float = 0.5) -> CidClassifier:
    cands = list(candidates(docs))
    if not cands or not any(x.label for x in cands):
        raise ValueError("no positive CID candidates in the training documents")
    return fit_pair_classifier(cands, [k.label for k in cands], c, {"documents": len(docs)})


def fit_pair_classifier(
    cands: Sequence[Candidate], labels: Sequence[bool], c: float = 0.5, meta: dict | None = None
) -> CidClassifier:
    """Logistic regression over :func:`pair_features` of ``cands`` with ``labels``:
    the CID classifier, and any other relation's labels (distant TREATS in
    ``bench/treats_distant.py``) on the same features and settings."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = DictVectorizer()
    x = vec.fit_transform(
        [dict.fromkeys(pair_features(k.sentence, k.chem, k.dis), 1) for k in cands]
    )
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(x, labels)
    weights = {
        f: float(w)
        for f, w in zip(vec.get_feature_names_out(), model.coef_[0], strict=True)
        if abs(w) > 1e-6
    }
    return CidClassifier(
        weights,
        float(model.intercept_[0]),
        {
            "pmids": len({k.pmid for k in cands}),
            **(meta or {}),
            "candidates": len(cands),
            "positives": sum(labels),
            "C": c,
        },
    )


def rules_find(k: Candidate, rel_type: str) -> bool:
    """Do the trigger rules find ``rel_type`` between the candidate's chemical
    (as a drug) and disease in its sentence?"""
    refs = [SpanRef(0, "Drug", *k.chem, 1.0), SpanRef(1, "Disease", *k.dis, 1.0)]
    return any(r.rel_type == rel_type for r in find_relations(k.sentence, refs))


def evaluate_cid(
    docs: list[PtDocument],
    score: Callable[[Candidate], float],
    threshold: float = 0.5,
    window: int = 0,
    cands: Sequence[Candidate] | None = None,
) -> PRF:
    """Document-level micro P/R/F1 of (chemical id, disease id) pairs; ``cands``:
    the candidates of ``docs`` at ``window`` when the caller has them already
    (a threshold search scores the same candidates many times)."""
    cands = candidates(docs, window) if cands is None else cands
    return pair_prf(predicted_cid(cands, score, threshold), gold_pairs(docs))


def predicted_cid(
    cands: Iterable[Candidate], score: Callable[[Candidate], float], threshold: float = 0.5
) -> set[DocPair]:
    """The document-level (PubMed id, chemical id, disease id) pairs of the
    candidates that score at least ``threshold``."""
    predicted: set[DocPair] = set()
    for k in cands:
        if score(k) >= threshold:
            predicted |= {(k.pmid, ci, di) for ci in k.chem_ids for di in k.dis_ids}
    return predicted


DocPair = tuple[str, str, str]  # (PubMed id, chemical id, disease id)


def gold_pairs(docs: Iterable[PtDocument]) -> set[DocPair]:
    """The abstracts' CID relations as document-level pairs."""
    return {(d.pmid, c, s) for d in docs for c, s in d.cid}


def pair_prf(predicted: set[DocPair], gold: set[DocPair]) -> PRF:
    """BC5CDR's document-level micro P/R/F1."""
    tp = len(predicted & gold)
    return PRF(tp, len(predicted) - tp, len(gold) - tp)


def best_threshold(f1_at: Callable[[float], float]) -> tuple[float, float]:
    """(threshold, F1): the best of 0.05, 0.10, ... 0.95 by ``f1_at(threshold)``;
    how each fine-tuned CID model picks its threshold on development abstracts."""
    best = (0.5, -1.0)
    for threshold in [t / 20 for t in range(1, 20)]:
        f1 = f1_at(threshold)
        if f1 > best[1]:
            best = (threshold, f1)
    return best
