"""The fine-tuned CID architectures, in the order the extractor prefers them.

One table that ``medkg train relations``, the extractor and
``bench/relation_eval.py`` all read, so that adding an architecture is one row
here, not a branch in each of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medkg.artifacts import ModelFiles
from medkg.nlp.relations.document_cid import DocumentCid, DocumentCidConfig, train_document_cid
from medkg.nlp.relations.document_ensemble import load_document_model, train_document_ensemble
from medkg.nlp.relations.finetuned import FineTuneConfig, FineTunedEncoder
from medkg.nlp.relations.transformer_cid import (
    TransformerCid,
    TransformerCidConfig,
    train_transformer_cid,
)


@dataclass(frozen=True)
class FineTunedCid:
    """One architecture: its model, configuration, trainer and files."""

    #: ``--arch`` value.
    name: str
    model: type[FineTunedEncoder]
    config: type[FineTuneConfig]
    #: ``train(docs, config, device=, on_step=)`` -> a trained model.
    train: Callable[..., Any]
    #: Where ``medkg train relations`` writes it and the extractor loads it.
    folder: Callable[[ModelFiles], Path]
    #: Prefix of its part of the extractor version.
    tag: str
    #: How messages name it.
    title: str
    #: What its training examples are.
    unit: str
    #: ``load(folder)`` -> the saved model (the document model's may be an ensemble).
    load: Callable[[Path], Any]
    #: ``train_members(docs, config, members, device=, on_step=)`` -> an ensemble,
    #: for architectures that have one.
    train_members: Callable[..., Any] | None = None


#: Extractor preference order: the first one trained is used.
FINETUNED: dict[str, FineTunedCid] = {
    a.name: a
    for a in [
        FineTunedCid(
            "document", DocumentCid, DocumentCidConfig, train_document_cid,
            lambda files: files.cid_document, "ciddoc-", "CID document model", "entity pairs",
            load_document_model, train_document_ensemble,
        ),
        FineTunedCid(
            "transformer", TransformerCid, TransformerCidConfig, train_transformer_cid,
            lambda files: files.cid_transformer, "cidtrf-", "CID transformer", "sentence pairs",
            TransformerCid.load,
        ),
    ]
}  # fmt: skip
