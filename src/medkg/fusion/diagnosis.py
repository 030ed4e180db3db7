"""Diagnosis on Symptom2Disease: data, the fixed split, fusion training, top-k accuracy.

The split is fixed and stratified: 20 % of each disease's descriptions for test,
drawn with seed 42, so every run and every baseline sees the same test set.
Graph context per description: the affirmed entities the extraction pipeline
links in it, averaged in graph-encoder space; each candidate disease is its
name's text embedding plus the graph embedding of the node its name links to.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F

from medkg.encoders.precision import MixedPrecision
from medkg.fusion.lexical import LexicalFeatures
from medkg.fusion.model import FusionConfig, FusionModel

SPLIT_SEED = 42
TEST_FRACTION = 0.2


@dataclass
class Example:
    text: str
    label: str


def load_symptom2disease(path: Path) -> list[Example]:
    with Path(path).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or not {"label", "text"} <= set(rows[0]):
        raise ValueError(f"{path}: expected a CSV with 'label' and 'text' columns")
    return [Example(r["text"].strip(), r["label"].strip()) for r in rows if r["text"].strip()]


def fixed_split(examples: list[Example]) -> tuple[list[int], list[int]]:
    from sklearn.model_selection import train_test_split

    idx = list(range(len(examples)))
    train, test = train_test_split(
        idx, test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=[e.label for e in examples]
    )
    return sorted(train), sorted(test)


def mean_context(
    ids_per_item: list[list[str]], lookup: Callable[[str], torch.Tensor | None], dim: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, dim) mean embedding of each item's ids that have one, and (N,) presence mask."""
    out = torch.zeros(len(ids_per_item), dim)
    mask = torch.zeros(len(ids_per_item))
    for i, ids in enumerate(ids_per_item):
        vecs = [v for v in (lookup(x) for x in ids) if v is not None]
        if vecs:
            out[i] = torch.stack(vecs).mean(0)
            mask[i] = 1.0
    return out, mask


@dataclass
class DiagnosisData:
    text: torch.Tensor
    graph: torch.Tensor
    graph_mask: torch.Tensor
    y: torch.Tensor
    cand_text: torch.Tensor
    cand_graph: torch.Tensor
    cand_graph_mask: torch.Tensor
    labels: list[str]
    #: TF-IDF rows of the descriptions and the vectoriser (fit on training rows).
    lexical: torch.Tensor | None = None
    lexical_features: LexicalFeatures | None = None


def build_diagnosis_data(
    examples: list[Example],
    labels: list[str],
    extractor: Any,
    encoder: Any,
    lookup: Callable[[str], torch.Tensor | None],
    dim: int,
    lexical_fit_idx: list[int] | None = None,
) -> tuple[DiagnosisData, list[str | None]]:
    """Link each description (affirmed mentions only), link each label to a graph node,
    embed texts and labels; returns the data and the node id each label links to.

    With ``lexical_fit_idx`` (the training rows), a TF-IDF vocabulary is fitted on
    those descriptions and every description gets its TF-IDF row as well."""
    from medkg.nlp.documents import NoteInput

    docs = extractor.extract([NoteInput(str(i), e.text) for i, e in enumerate(examples)])
    linked = [[m.node_id for m in d.mentions if m.is_positive_fact] for d in docs]
    label_ids = [x.node_id if (x := extractor.lexicon.lookup(lbl)) else None for lbl in labels]
    graph, graph_mask = mean_context(linked, lookup, dim)
    cand_graph, cand_mask = mean_context([[i] if i else [] for i in label_ids], lookup, dim)
    y = torch.tensor([labels.index(e.label) for e in examples])
    data = DiagnosisData(
        encoder.encode([e.text for e in examples]), graph, graph_mask, y,
        encoder.encode(labels), cand_graph, cand_mask, labels,
    )  # fmt: skip
    if lexical_fit_idx is not None:
        data.lexical_features = LexicalFeatures.fit([examples[i].text for i in lexical_fit_idx])
        data.lexical = data.lexical_features.transform([e.text for e in examples])
    return data, label_ids


def train_fusion_classifier(
    d: DiagnosisData,
    train_idx: list[int],
    use_graph: bool = True,
    steps: int = 300,
    lr: float = 2e-3,
    seed: int = 0,
    device: str = "cpu",
    use_lexical: bool = True,
    precision: str = "auto",
) -> FusionModel:
    """Cross-entropy over the fixed label set, with input dropout and a free
    vector per label beside the one its name and node give, and the TF-IDF
    channel when ``d`` has one and ``use_lexical`` (what each adds:
    docs/decisions/0008, docs/results.md)."""
    torch.manual_seed(seed)
    cfg = FusionConfig(
        text_dim=d.text.size(1),
        graph_dim=d.graph.size(1),
        use_graph=use_graph,
        n_fixed_candidates=len(d.labels),
        candidate_vectors=True,
        lexical_dim=d.lexical.size(1) if use_lexical and d.lexical is not None else 0,
        input_dropout=0.2,
    )
    model = FusionModel(cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)
    idx = torch.tensor(train_idx)
    mp = MixedPrecision.resolve(precision, device)
    for _ in range(steps):
        model.train()
        with mp.autocast():
            scores = _scores(model, d, idx, device)
        loss = F.cross_entropy(scores.float(), d.y[idx].to(device))
        mp.step(loss, opt)
    return model.eval()


def _scores(model: FusionModel, d: DiagnosisData, idx: torch.Tensor, device: str) -> torch.Tensor:
    lexical = (
        d.lexical[idx].to(device) if model.config.lexical_dim and d.lexical is not None else None
    )
    p = model.encode_patients(
        d.text[idx].to(device), d.graph[idx].to(device), d.graph_mask[idx].to(device),
        lexical=lexical,
    )  # fmt: skip
    c = model.encode_candidates(
        d.cand_text.to(device), d.cand_graph.to(device), d.cand_graph_mask.to(device)
    )
    return model(p, c)


@torch.no_grad()
def predict_scores(model: FusionModel, d: DiagnosisData, idx: list[int]) -> torch.Tensor:
    dev = str(next(model.parameters()).device)
    return _scores(model, d, torch.tensor(idx), dev).cpu()


def topk_accuracy(scores: torch.Tensor, y: torch.Tensor, k: int) -> float:
    top = scores.topk(min(k, scores.size(1)), dim=1).indices
    return float((top == y[:, None]).any(1).float().mean())


@dataclass
class DiagnosisCheckpoint:
    """A trained diagnosis fusion model with everything inference needs.

    Self-contained on purpose: the candidate diseases' vectors and the graph
    encoder's node embeddings travel inside, so ranking a patient needs only
    the text encoder and this file (no graph export, no retraining of anything).
    """

    model: FusionModel
    labels: list[str]
    label_ids: list[str | None]  # graph node id each label links to, if any
    cand_text: torch.Tensor
    cand_graph: torch.Tensor
    cand_graph_mask: torch.Tensor
    node_embeddings: dict[str, torch.Tensor]  # graph id -> graph-encoder vector
    text_model: str
    meta: dict
    lexical: LexicalFeatures | None = None

    def save(self, path: Path) -> None:
        self.model.save(
            path,
            kind="diagnosis-fusion",
            labels=self.labels,
            label_ids=self.label_ids,
            cand_text=self.cand_text,
            cand_graph=self.cand_graph,
            cand_graph_mask=self.cand_graph_mask,
            node_ids=list(self.node_embeddings),
            node_vectors=(
                torch.stack(list(self.node_embeddings.values()))
                if self.node_embeddings
                else torch.zeros(0)
            ),
            text_model=self.text_model,
            meta=self.meta,
            lexical=self.lexical.state() if self.lexical is not None else None,
        )

    @classmethod
    def load(cls, path: Path) -> DiagnosisCheckpoint:
        model, ckpt = FusionModel.load(path)
        if ckpt.get("kind") != "diagnosis-fusion":
            raise ValueError(f"{path} is not a diagnosis fusion checkpoint")
        vectors = ckpt["node_vectors"]
        return cls(
            model, ckpt["labels"], ckpt["label_ids"], ckpt["cand_text"], ckpt["cand_graph"],
            ckpt["cand_graph_mask"], dict(zip(ckpt["node_ids"], vectors, strict=True)),
            ckpt["text_model"], ckpt.get("meta", {}),
            LexicalFeatures.from_state(ckpt["lexical"]) if ckpt.get("lexical") else None,
        )  # fmt: skip

    @torch.no_grad()
    def predict(
        self, text_vector: torch.Tensor, entity_ids: list[str], text: str = ""
    ) -> torch.Tensor:
        """Probabilities over ``labels`` for one patient: the text's vector (dim,),
        its linked ids and, for the TF-IDF channel, the text itself (affirmed
        findings only: the caller drops negated mentions first)."""
        graph, mask = mean_context(
            [entity_ids], self.node_embeddings.get, self.model.config.graph_dim
        )
        lexical = None
        if self.model.config.lexical_dim:
            if self.lexical is None:
                raise ValueError("checkpoint has a lexical channel but no vocabulary")
            lexical = self.lexical.transform([text])
        p = self.model.encode_patients(text_vector[None, :], graph, mask, lexical=lexical)
        c = self.model.encode_candidates(self.cand_text, self.cand_graph, self.cand_graph_mask)
        return torch.softmax(self.model(p, c), -1)[0]
