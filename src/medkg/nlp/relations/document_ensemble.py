"""Several CID document models read as one: the mean of their pair probabilities.

Why: a document model fine-tuned on ~450 abstracts scores pairs near its
threshold differently from seed to seed; the mean of models trained with other
seeds is steadier than any one of them (figures: docs/results.md, Relations;
decision 0056). The members share the packaged tokenizer, so one chunking of a
note serves all of them, and the held-out training abstracts (``split_seed``),
so a threshold chosen for the mean on those abstracts is chosen on text no
member trained on.

Saved as one folder: ``cid.json`` (the mean's threshold, its record and the
members' subfolders) and one whole document-model folder per member, so that
the extractor and the benchmarks load an ensemble wherever they load a single
model (:func:`load_document_model`).

Rejected: averaging the members' weights into one network (members fine-tuned
apart from the same encoder are not guaranteed to sit in one basin: its F1 is
not the ensemble's), and blending with the logistic regression (measured in
session 37: the held-out abstracts choose the document model alone).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from medkg.artifacts import load_json, save_json
from medkg.nlp.corpora.pubtator import PtDocument
from medkg.nlp.relations.document_cid import (
    Chunk,
    DocumentCid,
    DocumentCidConfig,
    EntityMention,
    EntityPair,
    document_prf,
    prepare,
    score_documents,
    train_document_cid,
)
from medkg.nlp.relations.finetuned import CONFIG_FILE, data_sha256, split_development
from medkg.nlp.relations.hypernyms import mesh_hierarchy
from medkg.nlp.relations.training import best_threshold

#: The name written into each relation's evidence.
METHOD = "cid-document-ensemble"
MEMBER_DIR = "member-{}"


class DocumentCidEnsemble:
    """The members' mean probability per entity pair, with its own threshold."""

    method = METHOD

    def __init__(
        self, members: Sequence[DocumentCid], threshold: float = 0.5, record: dict | None = None
    ) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one member")
        first = members[0]
        for m in members[1:]:
            if m.tokenizer.get_vocab() != first.tokenizer.get_vocab():
                raise ValueError("ensemble members must share one tokenizer (the same encoder)")
            if m.filters_hypernyms != first.filters_hypernyms:
                raise ValueError("ensemble members disagree on hypernym filtering")
        self.members = list(members)
        self.threshold = threshold
        self.record: dict[str, Any] = dict(record or {})
        self.folder: Path | None = None

    @property
    def tokenizer(self) -> Any:
        return self.members[0].tokenizer

    @property
    def runtime(self) -> str:
        return self.members[0].runtime

    @property
    def filters_hypernyms(self) -> bool:
        return self.members[0].filters_hypernyms

    def to(self, device: Any) -> DocumentCidEnsemble:
        for m in self.members:
            m.to(device)
        return self

    def chunks(
        self, text: str, sentences: Sequence[tuple[int, int]], mentions: Iterable[EntityMention]
    ) -> list[Chunk]:
        return self.members[0].chunks(text, sentences, mentions)

    def score_chunks(self, chunks: Sequence[Chunk]) -> dict[EntityPair, float]:
        each = [m.score_chunks(chunks) for m in self.members]
        return {pair: sum(s[pair] for s in each) / len(each) for pair in each[0]}

    def score(
        self, text: str, sentences: Sequence[tuple[int, int]], mentions: Iterable[EntityMention]
    ) -> dict[EntityPair, float]:
        """Mean P(chemical causes disease) over the members, per entity pair."""
        return self.score_chunks(self.chunks(text, sentences, mentions))

    def use_onnx(self, precision: Literal["fp32", "int8"], cache_dir: Path) -> None:
        for m in self.members:
            m.use_onnx(precision, cache_dir)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        names = [MEMBER_DIR.format(i) for i in range(len(self.members))]
        for name, m in zip(names, self.members, strict=True):
            m.save(folder / name)
        save_json(
            folder / CONFIG_FILE,
            {**self.record, "members": names, "threshold": self.threshold},
            indent=1,
        )

    @classmethod
    def load(cls, folder: Path) -> DocumentCidEnsemble:
        meta = load_json(folder / CONFIG_FILE)
        names = meta.get("members")
        if not isinstance(names, list) or not names:
            raise ValueError(f"{folder / CONFIG_FILE} names no ensemble members")
        model = cls(
            [DocumentCid.load(folder / str(n)) for n in names],
            float(meta["threshold"]),
            {k: v for k, v in meta.items() if k not in ("threshold", "members")},
        )
        model.folder = folder
        return model


def load_document_model(folder: Path) -> DocumentCid | DocumentCidEnsemble:
    """The document model saved in ``folder``: an ensemble when its ``cid.json``
    names members, else one model."""
    if "members" in load_json(folder / CONFIG_FILE):
        return DocumentCidEnsemble.load(folder)
    return DocumentCid.load(folder)


def _split_of(model: DocumentCid) -> tuple[float, int, str]:
    """(held-out share, split seed, data hash) a member was trained with; models
    saved before ``split_seed`` split by their ``seed``."""
    cfg = model.record.get("config", {})
    default = DocumentCidConfig()
    return (
        float(cfg.get("dev_share", default.dev_share)),
        int(cfg.get("split_seed", cfg.get("seed", default.split_seed))),
        str(model.record.get("data_sha256", "")),
    )


def join_document_models(
    members: Sequence[DocumentCid], docs: Sequence[PtDocument]
) -> DocumentCidEnsemble:
    """The ensemble of ``members``, its threshold chosen on the training
    abstracts all of them held out. ``docs``: the abstracts they were trained
    on (checked by hash), from which the held-out ones are split again."""
    t0 = time.perf_counter()
    splits = {_split_of(m) for m in members}
    if len(splits) != 1:
        raise ValueError(
            "ensemble members were trained on different abstracts or hold out different "
            "ones (train them on the same file with the same split seed)"
        )
    ((share, split_seed, sha),) = splits
    order, held_out, _ = split_development(docs, share, split_seed)
    if sha and data_sha256(order) != sha:
        raise ValueError("these abstracts are not the ones the ensemble members were trained on")
    ensemble = DocumentCidEnsemble(members)
    is_ancestor = mesh_hierarchy() if ensemble.filters_hypernyms else None
    prepared = prepare(members[0], held_out)
    scores = score_documents(ensemble, prepared)  # type: ignore[arg-type]
    ensemble.threshold, dev_f1 = best_threshold(
        lambda t: document_prf(prepared, scores, t, is_ancestor).f1
    )
    ensemble.record = {
        "arch": "document-ensemble",
        "config": dict(members[0].record.get("config", {})),
        "seeds": [m.record.get("config", {}).get("seed") for m in members],
        "member_thresholds": [m.threshold for m in members],
        "member_dev_f1": [m.record.get("dev_f1") for m in members],
        "dev_f1": round(dev_f1, 4),
        "dev_documents": len(held_out),
        "documents": members[0].record.get("documents"),
        "pairs": members[0].record.get("pairs"),
        "positives": members[0].record.get("positives"),
        "steps": sum(int(m.record.get("steps", 0)) for m in members),
        "seconds": round(
            sum(float(m.record.get("seconds", 0.0)) for m in members) + time.perf_counter() - t0, 1
        ),
        "data_sha256": sha,
    }
    return ensemble


def train_document_ensemble(
    docs: Sequence[PtDocument],
    config: DocumentCidConfig | None = None,
    members: int = 2,
    device: Any = "cpu",
    on_step: Callable[[int, int, float], None] | None = None,
) -> DocumentCidEnsemble:
    """``members`` document models of seeds ``seed``, ``seed + 1``, ..., on the
    same abstracts and held-out split, joined. ``on_step(step, total, loss)``
    counts the steps of all members."""
    cfg = config or DocumentCidConfig()
    trained: list[DocumentCid] = []
    for i in range(members):
        done = sum(int(m.record.get("steps", 0)) for m in trained)

        def step(s: int, total: int, loss: float, done: int = done) -> None:
            if on_step:
                on_step(done + s, done + total * (members - len(trained)), loss)

        trained.append(train_document_cid(docs, replace(cfg, seed=cfg.seed + i), device, step))
    return join_document_models(trained, docs)
