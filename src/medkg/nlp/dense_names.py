"""Condition names as sentence-encoder vectors: the linker's last step for a
span that no name, spelling or head matches, found by meaning instead of letters.

Why: the steps before it compare strings. A paraphrase shares meaning with its
vocabulary name but not its spelling ("auditory loss" is hearing loss,
"forestomach carcinogenesis" is forestomach tumors, "prolongation of the QT
interval" is prolonged QT interval), so on BC5CDR devel 174 disease mentions
whose concept the graph holds linked to nothing at all (docs/results.md, entity
linking). The packaged MiniLM is a paraphrase model: the nearest name by cosine
of its mean-pooled vectors finds many of them.

What the index holds: every normalised name of a Disease, Symptom or SideEffect
node in the lexicon (names learned from annotated corpora included), as unit
vectors, float32 in a ``.npy`` file that is memory-mapped on load, so forked
and Ray workers on one machine share one copy in the page cache. ``medkg train
linker --dense`` builds it (about 160,000 names with the vocabularies: minutes
on CPU); the extractor uses it when the folder exists. Chemicals are left out:
a drug's name is a label, not a description a sentence encoder can read, and
the string steps already link 90 % of covered chemical mentions.

A name the index holds that the graph no longer has resolves to nothing, and
a name the graph gained since is linked by the string steps; rebuilding brings
the index up to date (its meta keeps the lexicon fingerprint it was built from).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medkg.artifacts import load_json, save_json
from medkg.nlp.lexicon import Lexicon

#: The graph labels whose names the index holds (what a DISEASE span can name).
CONDITION_LABELS = frozenset({"Disease", "Symptom", "SideEffect"})
META_FILE = "names.json"
VECTORS_FILE = "vectors.npy"
#: Names encoded per progress step while building.
BUILD_CHUNK = 4096


@dataclass(frozen=True)
class NameMatch:
    """The nearest indexed name to a text, and the cosine between them."""

    key: str
    score: float


def condition_keys(lexicon: Lexicon) -> list[str]:
    """The lexicon's normalised names that some condition node carries, sorted."""
    return sorted(
        k for k, es in lexicon.names.items() if any(e.label in CONDITION_LABELS for e in es)
    )


class DenseNames:
    """Nearest condition name by the text encoder's cosine (:meth:`nearest`)."""

    def __init__(
        self,
        keys: Sequence[str],
        vectors: np.ndarray,
        encoder_name: str | None = None,
        lexicon_fingerprint: str = "",
        encoder: Any = None,
        runtime: str = "torch",
        cache_dir: Path | None = None,
    ) -> None:
        """``encoder``: a loaded text encoder, else one is loaded on the first
        query, on ``runtime`` (the text encoder's: ``auto``, ``torch``, ``onnx``...)."""
        if len(keys) != len(vectors):
            raise ValueError(f"{len(keys)} names but {len(vectors)} vectors")
        self.keys = list(keys)
        self.vectors = vectors
        #: The text encoder the vectors came from (None: the packaged MiniLM).
        self.encoder_name = encoder_name
        self.lexicon_fingerprint = lexicon_fingerprint
        self._encoder = encoder
        self._runtime = runtime
        self._cache_dir = cache_dir

    @classmethod
    def build(
        cls,
        lexicon: Lexicon,
        encoder: Any,
        keys: Sequence[str] | None = None,
        on_chunk: Callable[[int, int], None] | None = None,
    ) -> DenseNames:
        """Encode ``keys`` (default: every condition name of ``lexicon``) with
        ``encoder`` (a :class:`~medkg.encoders.text.TextEncoder`);
        ``on_chunk(done, total)`` for progress."""
        keys = condition_keys(lexicon) if keys is None else list(keys)
        parts = []
        for start in range(0, len(keys), BUILD_CHUNK):
            chunk = keys[start : start + BUILD_CHUNK]
            parts.append(encoder.encode(chunk).numpy().astype(np.float32))
            if on_chunk:
                on_chunk(start + len(chunk), len(keys))
        dim = int(encoder.dim)
        vectors = np.concatenate(parts) if parts else np.zeros((0, dim), np.float32)
        name = None if _is_default(encoder.name) else str(encoder.name)
        return cls(keys, vectors, name, lexicon.fingerprint(), encoder)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / VECTORS_FILE, np.ascontiguousarray(self.vectors, dtype=np.float32))
        save_json(folder / META_FILE, {
            "encoder": self.encoder_name, "lexicon": self.lexicon_fingerprint,
            "keys": self.keys,
        })  # fmt: skip

    @classmethod
    def load(
        cls, folder: Path, runtime: str = "torch", cache_dir: Path | None = None
    ) -> DenseNames:
        """The index in ``folder``; its encoder loads on the first query."""
        meta = load_json(folder / META_FILE)
        vectors = np.load(folder / VECTORS_FILE, mmap_mode="r")
        return cls(
            meta["keys"], vectors, meta.get("encoder"), meta.get("lexicon", ""),
            runtime=runtime, cache_dir=cache_dir,
        )  # fmt: skip

    def digest(self) -> str:
        """Short digest of the names and encoder: part of the extractor's version."""
        h = hashlib.sha256(f"{self.encoder_name}|{len(self.keys)}|".encode())
        for k in self.keys[:: max(1, len(self.keys) // 997)]:
            h.update(k.encode())
        return h.hexdigest()[:8]

    @property
    def encoder(self) -> Any:
        """The text encoder the index was built with (loaded on first use: an
        extractor whose spans all match by name never pays for it)."""
        if self._encoder is None:
            from medkg.encoders.text import TextEncoder

            self._encoder = TextEncoder(
                self.encoder_name, device="cpu", runtime=self._runtime,  # type: ignore[arg-type]
                cache_dir=self._cache_dir,
            )  # fmt: skip
        return self._encoder

    def nearest(self, texts: Sequence[str]) -> list[NameMatch | None]:
        """Each text's nearest indexed name and its cosine (None: empty index)."""
        if not texts:
            return []
        if not self.keys:
            return [None] * len(texts)
        queries = self.encoder.encode(list(texts)).numpy().astype(np.float32)
        sims = queries @ np.asarray(self.vectors).T
        best = sims.argmax(axis=1)
        return [NameMatch(self.keys[int(j)], float(sims[i, j])) for i, j in enumerate(best)]


def _is_default(name: str) -> bool:
    """Is ``name`` the packaged MiniLM's folder (whose path differs per install)?"""
    from medkg.encoders.text import default_text_model

    try:
        return Path(name).resolve() == Path(default_text_model()).resolve()
    except RuntimeError:  # pragma: no cover - no packaged model installed
        return False
