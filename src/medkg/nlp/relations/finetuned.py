"""What the fine-tuned CID classifiers share: the packaged encoder with a small
head on top, a threshold, a training record, one folder layout, and the ONNX
inference path.

Why one base: the sentence-pair model (:mod:`.transformer_cid`) and the
document model (:mod:`.document_cid`) differ only in what they mark and how
their head pools the encoder's states; saving, loading, moving to a device and
swapping the encoder for ONNX Runtime must behave the same for both, so the
extractor and ``medkg train relations`` treat them alike.

Saved layout (a folder): ``encoder/`` (Hugging Face weights and tokenizer),
``head.pt`` (the head's tensors only, never a pickle) and ``cid.json``
(threshold, training record, data hash).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from medkg.artifacts import load_checkpoint, load_json, save_checkpoint, save_json

CONFIG_FILE = "cid.json"

T = TypeVar("T", bound="FineTunedEncoder")


@dataclass
class FineTuneConfig:
    """What every fine-tuned CID model's training takes; each model's config adds
    its own fields and defaults."""

    #: The transformer fine-tuned: the packaged MiniLM (``default``) or a folder,
    #: such as the in-domain one ``medkg train encoder`` writes.
    encoder: str = "default"
    epochs: int = 2
    lr: float = 3e-5
    head_lr: float = 1e-3
    dropout: float = 0.1
    #: Initial head weights, dropout and training order.
    seed: int = 13
    #: Which training abstracts are held out to choose the threshold. Apart from
    #: ``seed`` so that models of other seeds hold out the same abstracts: an
    #: ensemble's threshold needs abstracts that none of its members trained on.
    split_seed: int = 13
    dev_share: float = 0.1
    #: Stop after this many optimiser steps (tests; None: every epoch to the end).
    max_steps: int | None = None


@dataclass
class TrainingRecord:
    """What training wrote into ``cid.json`` besides the threshold."""

    config: dict
    documents: int
    dev_documents: int
    pairs: int
    positives: int
    dev_f1: float
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    data_sha256: str = ""


class FineTunedEncoder:
    """The packaged MiniLM (or ``encoder_name``) plus the head ``make_head`` builds."""

    method = "cid-finetuned"

    def __init__(self, encoder_name: str | None = None, dropout: float = 0.1) -> None:
        import torch

        from medkg.encoders.text import load_pretrained

        self.torch = torch
        _, self.tokenizer, self.encoder = load_pretrained(encoder_name, fast_tokenizer=True)
        self.hidden = int(self.encoder.config.hidden_size)
        self.dropout = torch.nn.Dropout(dropout)
        self.head = self.make_head(self.hidden)
        self.threshold = 0.5
        self.record: dict[str, Any] = {}
        self.device: Any = "cpu"
        #: Where it was loaded from (None: built in memory); how its encoder runs.
        self.folder: Path | None = None
        self.runtime = "torch"

    def make_head(self, hidden: int) -> Any:
        raise NotImplementedError

    def to(self: T, device: Any) -> T:
        self.device = device
        self.encoder.to(device)
        self.head.to(device)
        return self

    def train(self, mode: bool = True) -> None:
        for m in (self.encoder, self.head, self.dropout):
            m.train(mode)

    def parameter_groups(self, lr: float, head_lr: float) -> list[dict]:
        """AdamW groups: the pretrained encoder learns slowly, the new head fast."""
        return [
            {"params": self.encoder.parameters(), "lr": lr},
            {"params": self.head.parameters(), "lr": head_lr},
        ]

    def snapshot(self) -> dict[str, dict]:
        """A copy of every weight (to keep the best epoch)."""
        return {
            "encoder": {k: v.detach().clone() for k, v in self.encoder.state_dict().items()},
            "head": {k: v.detach().clone() for k, v in self.head.state_dict().items()},
        }

    def restore(self, snapshot: dict[str, dict]) -> None:
        self.encoder.load_state_dict(snapshot["encoder"])
        self.head.load_state_dict(snapshot["head"])

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(folder / "encoder")
        self.tokenizer.save_pretrained(folder / "encoder")
        save_checkpoint(folder / "head.pt", self.head.state_dict())
        save_json(folder / CONFIG_FILE, {**self.record, "threshold": self.threshold}, indent=1)

    @classmethod
    def load(cls: type[T], folder: Path) -> T:
        meta = load_json(folder / CONFIG_FILE)
        model = cls(str(folder / "encoder"))
        model.head.load_state_dict(load_checkpoint(folder / "head.pt", tensors_only=True))
        model.threshold = float(meta["threshold"])
        model.record = {k: v for k, v in meta.items() if k != "threshold"}
        model.folder = folder
        model.train(False)
        return model

    def use_onnx(self, precision: Literal["fp32", "int8"], cache_dir: Path) -> None:
        """Run the encoder on ONNX Runtime (CPU inference), exported beside the
        weights with their hash (or into ``cache_dir`` when that folder cannot be
        written), as the NER's runtime does (:mod:`medkg.nlp.ner.runtime`)."""
        from medkg.encoders.onnx_runtime import OnnxEncoder, exported_beside

        if self.folder is None:
            raise ValueError("the model was not loaded from a folder, so it has nothing to export")
        path = exported_beside(self.folder / "encoder", precision, cache_dir)
        self.encoder = OnnxEncoder(path, self.encoder.config, precision)
        self.runtime = "onnx-int8" if precision == "int8" else "onnx"


def data_sha256(docs: Sequence[Any]) -> str:
    """What a model was trained on: the abstracts' ids and texts, in order."""
    h = hashlib.sha256()
    for d in docs:
        h.update(d.pmid.encode())
        h.update(d.text.encode())
    return h.hexdigest()


def split_development(docs: Sequence[Any], share: float, seed: int) -> tuple[list, list, list]:
    """(all abstracts in the seeded order, development, training): the development
    abstracts pick the epoch and the threshold, never the evaluation file."""
    order = sorted(docs, key=lambda d: d.pmid)
    random.Random(seed).shuffle(order)
    n_dev = max(1, round(share * len(order)))
    return order, order[:n_dev], order[n_dev:]
