"""The transformer tagger: a Hugging Face encoder with a linear BIO tag head.

What: the packaged MiniLM (or any Hugging Face encoder) with a linear head over
each word's first word piece, optionally beside the word's own case/shape,
affix and gazetteer features (:mod:`.features`). It gives per-word tag
log-probabilities; :mod:`.tags` decodes them, :mod:`.component` runs it inside
a spaCy pipeline and :mod:`.training` fine-tunes it.

Why fine-tune a transformer ourselves: scispaCy's NER packages and their PubMed
vectors cannot be downloaded here, and spaCy's own route (spacy-transformers)
pins an older transformers and trains everything at one learning rate. The
comparison of architectures is in docs/decisions/0007, the figures in
docs/results.md.

Saved layout (a folder): ``encoder/`` (Hugging Face weights and tokenizer),
``head.pt``, ``tagger.json`` (tags, outside bias, feature config), and with
word features ``features.pt`` and ``gazetteer.json``. Folders written before
word features or calibration existed load unchanged.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medkg.artifacts import load_checkpoint, load_json, save_checkpoint, save_json
from medkg.nlp.ner.features import (
    FeatureEmbed,
    Gazetteer,
    WordFeatureConfig,
    feature_ids,
    gazetteer_tag_names,
)
from medkg.nlp.ner.tags import decode, max_pieces

#: The file that holds a tagger's tags, outside bias and feature config.
TAGGER_FILE = "tagger.json"


@dataclass
class Recheck:
    """A second, full-precision pass for the chunks a fast encoder is unsure of.

    ``encoder`` computes the same hidden states as the tagger's own encoder at
    full precision; a chunk whose closest word decision (top tag score minus
    the runner-up, ``O`` bias included) is under ``margin`` is tagged again with
    it. Why: int8 moves borderline words both ways, so its spans differ from
    full precision's on a few per cent of entities although its F1 is the
    same; those borderline words are exactly the low-margin ones, and
    re-running only their chunks brings the spans back to full precision's
    for a fraction of the full-precision cost (docs/decisions/0025).
    """

    encoder: Any
    margin: float
    #: Chunks tagged and chunks tagged again, since load (for benchmarks).
    chunks: int = 0
    rechecked: int = 0


@dataclass
class Pieces:
    """One chunk tokenised, unpadded: what :meth:`TokenTagger.collate` pads."""

    inputs: dict[str, list[int]]  # input_ids, attention_mask (token_type_ids)
    first: list[int]  # each word's first piece (-1: none, cut by truncation)


@dataclass
class WordBatch:
    """A tokenised batch and where each word sits in it."""

    enc: dict[str, Any]  # the encoder's padded input tensors, on the device
    firsts: list[list[int]]  # per chunk, each word's first piece (-1: none)
    index: Any  # (chunks, words) long: first piece, 0 where there is none
    features: Any | None  # (chunks, words, 4) long feature ids, or None


class TokenTagger:
    """Encoder + linear head over each word's first piece, optionally beside
    the word's own features (:mod:`.features`)."""

    def __init__(
        self,
        encoder_name: str,
        tags: list[str],
        dropout: float = 0.1,
        features: WordFeatureConfig | None = None,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        import torch

        from medkg.encoders.text import load_pretrained

        self.torch = torch
        self.tags = tags
        #: Added to the ``O`` score before decoding (:mod:`.calibration`); 0 = none.
        self.outside_bias = 0.0
        _, self.tokenizer, self.encoder = load_pretrained(encoder_name, fast_tokenizer=True)
        hidden = int(self.encoder.config.hidden_size)
        self.dropout = torch.nn.Dropout(dropout)
        self.features = features
        self.gazetteer = gazetteer if features else None
        self.embed = (
            FeatureEmbed(features, len(gazetteer_tag_names(self.gazetteer))) if features else None
        )
        width = hidden + (self.embed.out_dim if self.embed is not None else 0)
        self.head = torch.nn.Linear(width, len(tags))
        self.max_pieces = max_pieces(self.encoder)
        #: The folder it was loaded from (None when built in memory): where an
        #: inference runtime keeps its export (:mod:`.runtime`).
        self.folder: Path | None = None
        #: How the encoder runs (:mod:`.runtime`): "torch" until a runtime replaces it.
        self.runtime = "torch"
        #: A full-precision second pass for uncertain chunks (:mod:`.runtime` sets it
        #: beside an int8 encoder), or None.
        self.recheck: Recheck | None = None
        #: The dtype the own encoder's matrix work runs in under autocast
        #: (:mod:`.runtime`'s ``bf16``), or None for the encoder's own dtype.
        self.autocast: Any | None = None
        #: How many chunks' scores are remembered across calls (0: none). The
        #: extractor sets it (``MEDKG_NER_CACHE_CHUNKS``): notes repeat their
        #: templates' sentences ("The patient tolerated the procedure well."),
        #: and a repeated chunk is tagged once. Off by default, because training
        #: evaluates the same tagger while its weights change.
        self.cache_size = 0
        self._cache: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()

    def modules(self) -> list[Any]:
        extra = [self.embed] if self.embed is not None else []
        return [self.encoder, self.head, self.dropout, *extra]

    def head_parameters(self) -> list[Any]:
        """Parameters trained from scratch (the head's learning rate)."""
        params = list(self.head.parameters())
        if self.embed is not None:
            params += list(self.embed.parameters())
        return params

    def to(self, device: Any) -> TokenTagger:
        for m in self.modules():
            m.to(device)
        return self

    def train(self, mode: bool = True) -> None:
        for m in self.modules():
            m.train(mode)

    def batch(self, chunks: Sequence[Sequence[str]], device: Any) -> WordBatch:
        """Tokenise ``chunks`` (lists of words) and locate each word's first piece
        (-1 for a word with no piece, e.g. cut by truncation)."""
        return self.collate(chunks, self.encode(chunks), device)

    def encode(self, chunks: Sequence[Sequence[str]]) -> list[Pieces]:
        """Each chunk's word pieces, unpadded (one tokenizer call for all).

        Why apart from :meth:`collate`: inference tokenises every chunk first and
        batches chunks of equal *piece* counts; batched by word counts, a
        batch's long-worded chunk padded the rest (28 % of the pieces run on
        MTSamples were padding, 4 % when sorted by pieces)."""
        enc = self.tokenizer(
            [list(c) for c in chunks], is_split_into_words=True,
            truncation=True, max_length=self.max_pieces,
        )  # fmt: skip
        keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc]
        out = []
        for row, words in enumerate(chunks):
            first = [-1] * len(words)
            for j, w in enumerate(enc.word_ids(row)):
                if w is not None and first[w] < 0:
                    first[w] = j
            out.append(Pieces({k: enc[k][row] for k in keys}, first))
        return out

    def collate(
        self, chunks: Sequence[Sequence[str]], pieces: Sequence[Pieces], device: Any
    ) -> WordBatch:
        """Pad ``pieces`` (of ``chunks``) into one batch of tensors on ``device``."""
        torch = self.torch
        n, length = len(pieces), max((len(p.inputs["input_ids"]) for p in pieces), default=0)
        pad = {"input_ids": self.tokenizer.pad_token_id or 0}
        enc = {}
        for key in pieces[0].inputs if pieces else ("input_ids", "attention_mask"):
            arr = np.full((n, length), pad.get(key, 0), dtype=np.int64)
            for row, p in enumerate(pieces):
                arr[row, : len(p.inputs[key])] = p.inputs[key]
            enc[key] = torch.from_numpy(arr).to(device)
        width = max((len(c) for c in chunks), default=0)
        index = np.zeros((n, width), dtype=np.int64)
        for row, p in enumerate(pieces):
            index[row, : len(p.first)] = np.maximum(p.first, 0)
        feats = None
        if self.features is not None:
            ids = np.zeros((n, width, 4), dtype=np.int64)
            for row, words in enumerate(chunks):
                if words:
                    ids[row, : len(words)] = feature_ids(words, self.features, self.gazetteer)
            feats = torch.from_numpy(ids).to(device)
        firsts = [p.first for p in pieces]
        return WordBatch(enc, firsts, torch.from_numpy(index).to(device), feats)

    def logits(self, batch: WordBatch, encoder: Any = None) -> Any:
        """``(chunks, words, tags)`` scores; rows of words without a piece are junk
        (``batch.firsts`` is -1 there). ``encoder``: another encoder of the same
        weights (a recheck's full-precision one) instead of the tagger's own."""
        if encoder is None and self.autocast is not None:
            device_type = batch.index.device.type
            with self.torch.autocast(device_type, dtype=self.autocast):
                hidden = self.encoder(**batch.enc).last_hidden_state.float()
        else:
            hidden = (encoder or self.encoder)(**batch.enc).last_hidden_state
        words = hidden.gather(1, batch.index.unsqueeze(-1).expand(-1, -1, hidden.shape[-1]))
        if self.embed is not None and batch.features is not None:
            words = self.torch.cat([words, self.embed(batch.features).to(words.dtype)], -1)
        return self.head(self.dropout(words))

    def log_probs(
        self, chunks: Sequence[Sequence[str]], device: Any, batch_size: int = 32
    ) -> list[np.ndarray]:
        """``(words, tags)`` log-probabilities per chunk; a word with no piece
        (cut by truncation) is certain to be ``O``. With a :class:`Recheck`, the
        chunks it is unsure of are scored again at full precision. A chunk
        given twice is scored once (and one remembered from an earlier call,
        with :attr:`cache_size`); the rows of equal chunks are one array, so
        callers must not change them in place."""
        torch = self.torch
        out: list[np.ndarray] = [np.zeros((0, len(self.tags))) for _ in chunks]
        where: dict[tuple[str, ...], list[int]] = {}
        for i, chunk in enumerate(chunks):
            key = tuple(chunk)
            known = self._cache.get(key) if self.cache_size else None
            if known is not None:
                out[i] = known
                self._cache.move_to_end(key)
            else:
                where.setdefault(key, []).append(i)
        unique = list(where)
        pieces = self.encode(unique) if unique else []
        order = sorted(range(len(unique)), key=lambda u: len(pieces[u].inputs["input_ids"]))
        with torch.inference_mode(), self._threads():
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                rows = self._scored(
                    [unique[u] for u in idx], [pieces[u] for u in idx], device, None
                )
                if self.recheck is not None:
                    unsure = [
                        r for r, s in enumerate(rows) if self._margin(s) < self.recheck.margin
                    ]
                    self.recheck.chunks += len(idx)
                    self.recheck.rechecked += len(unsure)
                    if unsure:
                        again = self._scored(
                            [unique[idx[r]] for r in unsure],
                            [pieces[idx[r]] for r in unsure],
                            device,
                            self.recheck.encoder,
                        )
                        for r, scores in zip(unsure, again, strict=True):
                            rows[r] = scores
                for u, scores in zip(idx, rows, strict=True):
                    for i in where[unique[u]]:
                        out[i] = scores
                    self._remember(unique[u], scores)
        return out

    def _threads(self) -> AbstractContextManager[None]:
        """Torch on one thread while ONNX Runtime runs the encoder (see
        :func:`~medkg.encoders.onnx_runtime.torch_threads`); else as it is."""
        if not self.runtime.startswith("onnx"):
            return nullcontext()
        from medkg.encoders.onnx_runtime import torch_threads

        return torch_threads(1)

    def forget(self) -> None:
        """Drop every remembered chunk's scores."""
        self._cache.clear()

    def _remember(self, key: tuple[str, ...], scores: np.ndarray) -> None:
        """Keep ``scores`` for ``key``, the least recently used going first."""
        if self.cache_size <= 0:
            return
        self._cache[key] = scores
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _scored(
        self,
        chunks: Sequence[Sequence[str]],
        pieces: Sequence[Pieces],
        device: Any,
        encoder: Any,
    ) -> list[np.ndarray]:
        """One batch's ``(words, tags)`` log-probabilities per chunk."""
        wb = self.collate(chunks, pieces, device)
        logp = self.torch.log_softmax(self.logits(wb, encoder).float(), -1).cpu().numpy()
        rows = []
        for row, first in enumerate(wb.firsts):
            scores = logp[row, : len(first)].copy()
            for w, j in enumerate(first):
                if j < 0:
                    scores[w] = -1e4
                    scores[w, 0] = 0.0  # "O"
            rows.append(scores)
        return rows

    def _margin(self, scores: np.ndarray) -> float:
        """The chunk's closest word decision: the smallest gap between a word's
        best and second-best tag score, with the decoder's ``O`` bias added."""
        if not len(scores):
            return float("inf")
        biased = np.array(scores, dtype=np.float64)
        biased[:, self.tags.index("O")] += self.outside_bias
        top2 = np.partition(biased, -2, axis=1)[:, -2:]
        return float((top2[:, 1] - top2[:, 0]).min())

    def predict(
        self, chunks: Sequence[Sequence[str]], device: Any, batch_size: int = 32
    ) -> list[list[str]]:
        """BIO tags per word of each chunk: the best *valid* tag sequence (no ``I-X``
        after ``O`` or another type) under the per-word log-probabilities, by
        Viterbi."""
        return decode(self.log_probs(chunks, device, batch_size), self.tags, self.outside_bias)

    def save(self, folder: Path, config: dict) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(folder / "encoder")
        self.tokenizer.save_pretrained(folder / "encoder")
        save_checkpoint(folder / "head.pt", self.head.state_dict())
        meta = {
            **config, "tags": self.tags, "features": None, "gazetteer": False,
            "outside_bias": self.outside_bias,
        }  # fmt: skip
        if self.embed is not None and self.features is not None:
            save_checkpoint(folder / "features.pt", self.embed.state_dict())
            meta["features"] = asdict(self.features)
        if self.gazetteer is not None:
            self.gazetteer.save(folder / "gazetteer.json")
            meta["gazetteer"] = True
        save_json(folder / TAGGER_FILE, meta, indent=1)

    @classmethod
    def load(cls, folder: Path) -> TokenTagger:
        """Load a saved tagger; folders from before word features (or before
        calibration: no bias) load unchanged."""
        meta = load_json(folder / TAGGER_FILE)
        features = WordFeatureConfig(**meta["features"]) if meta.get("features") else None
        gazetteer = Gazetteer.load(folder / "gazetteer.json") if meta.get("gazetteer") else None
        tagger = cls(str(folder / "encoder"), meta["tags"], features=features, gazetteer=gazetteer)
        tagger.head.load_state_dict(load_checkpoint(folder / "head.pt", tensors_only=True))
        tagger.outside_bias = float(meta.get("outside_bias", 0.0))
        if tagger.embed is not None:
            tagger.embed.load_state_dict(load_checkpoint(folder / "features.pt", tensors_only=True))
        tagger.train(False)
        tagger.folder = folder
        return tagger
