"""Per-word features beside the transformer's: case/shape, affixes, graph names.

Why: the packaged MiniLM is uncased, so "MI" and "mi", "ACE" and "ace" look the
same to it, and its general-domain word pieces cut drug names ("selegiline")
into fragments whose meaning it never learnt. spaCy's NER gets case, shape,
prefix and suffix from hashed embeddings; the fine-tuned tagger gets the same
here, plus a gazetteer tag: whether the word starts or continues a known drug
or disease name (Hetionet's compounds, diseases, symptoms and side effects).
The tagger learns how far to trust each, unlike the graph-name rulers, which
take every match.

Ids are stable hashes (crc32), not Python's ``hash``, which is salted per
process and would change the features between training and loading.
"""

from __future__ import annotations

import csv
import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import torch

#: Hetionet node kind -> gazetteer type (the NER's labels).
HETIONET_KINDS = {
    "Compound": "CHEMICAL",
    "Disease": "DISEASE",
    "Symptom": "DISEASE",
    "Side Effect": "DISEASE",
}
#: Longest name in words a gazetteer match may span (tokenisers cut at hyphens).
MAX_MATCH_WORDS = 8
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def _key(text: str) -> str:
    """Lower-case letters and digits only: "Parkinson ' s disease" matches
    "Parkinson's disease", "5 - fluorouracil" matches "5-fluorouracil"."""
    return _NON_ALNUM.sub("", text.lower())


def word_shape(word: str) -> str:
    """spaCy-style shape: X/x/d per character, runs cut at four ("Xxxxx" -> "Xxxx")."""
    out: list[str] = []
    run = 0
    for ch in word:
        c = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        run = run + 1 if out and out[-1] == c else 1
        if run <= 4:
            out.append(c)
    return "".join(out)


def stable_hash(text: str, buckets: int) -> int:
    return zlib.crc32(text.encode("utf-8")) % buckets


@dataclass
class Gazetteer:
    """Normalised name -> type, matched longest-first over a sentence's words."""

    names: dict[str, str] = field(default_factory=dict)

    @cached_property
    def tag_ids(self) -> dict[str, int]:
        """``O``, then ``B-``/``I-`` per type, numbered once: every word of every
        chunk looks its tag up here."""
        types = sorted(set(self.names.values()))
        return {t: i for i, t in enumerate(["O"] + [f"{p}-{t}" for t in types for p in ("B", "I")])}

    @property
    def types(self) -> list[str]:
        return sorted({t[2:] for t in self.tag_ids if t != "O"})

    @classmethod
    def from_hetionet(cls, nodes_tsv: Path) -> Gazetteer:
        """Names of the node kinds in ``HETIONET_KINDS``; a name of two kinds keeps
        the first one read (compounds come first in the file's kind order)."""
        names: dict[str, str] = {}
        with nodes_tsv.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                kind = HETIONET_KINDS.get(row.get("kind", ""))
                key = _key(row.get("name") or "")
                if kind and len(key) >= 3:
                    names.setdefault(key, kind)
        return cls(names)

    def tags(self, words: Sequence[str]) -> list[str]:
        """``B-TYPE``/``I-TYPE``/``O`` per word from greedy longest matches."""
        keys = [_key(w) for w in words]
        out = ["O"] * len(words)
        i = 0
        while i < len(words):
            if not keys[i]:
                i += 1
                continue
            found, kind = 0, ""
            joined = ""
            for j in range(i, min(len(words), i + MAX_MATCH_WORDS)):
                joined += keys[j]
                if keys[j] and joined in self.names:
                    found, kind = j + 1, self.names[joined]
            if found:
                out[i] = f"B-{kind}"
                for j in range(i + 1, found):
                    out[j] = f"I-{kind}"
                i = found
            else:
                i += 1
        return out

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.names, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Gazetteer:
        return cls(json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class WordFeatureConfig:
    """Sizes of the hashed feature tables (part of a saved model's config)."""

    buckets: int = 5000
    dim: int = 32
    affix: int = 3


def feature_ids(
    words: Sequence[str], cfg: WordFeatureConfig, gazetteer: Gazetteer | None
) -> list[tuple[int, int, int, int]]:
    """Per word: (shape, prefix, suffix, gazetteer-tag) ids. Gazetteer tag 0 is
    "O" or no gazetteer; tags are numbered by ``gazetteer_tag_names``."""
    gaz = gazetteer.tags(words) if gazetteer else ["O"] * len(words)
    tag_ids = gazetteer.tag_ids if gazetteer else _NO_GAZETTEER
    return [
        (*_word_ids(w, cfg.buckets, cfg.affix), tag_ids[g])
        for w, g in zip(words, gaz, strict=True)
    ]


@lru_cache(maxsize=200_000)
def _word_ids(word: str, buckets: int, affix: int) -> tuple[int, int, int]:
    """(shape, prefix, suffix) ids of one word; remembered, because the words of
    clinical text repeat and tagging hashes each one three times."""
    low = word.lower()
    return (
        stable_hash(word_shape(word), buckets),
        stable_hash("p:" + low[:affix], buckets),
        stable_hash("s:" + low[-affix:], buckets),
    )


#: Width of the gazetteer-tag embedding.
GAZETTEER_DIM = 16


class FeatureEmbed(torch.nn.Module):
    """Hashed shape/prefix/suffix embeddings plus a gazetteer-tag embedding."""

    def __init__(self, cfg: WordFeatureConfig, n_gazetteer_tags: int) -> None:
        super().__init__()
        self.shape = torch.nn.Embedding(cfg.buckets, cfg.dim)
        self.prefix = torch.nn.Embedding(cfg.buckets, cfg.dim)
        self.suffix = torch.nn.Embedding(cfg.buckets, cfg.dim)
        self.gazetteer = torch.nn.Embedding(n_gazetteer_tags, GAZETTEER_DIM)
        self.out_dim = 3 * cfg.dim + GAZETTEER_DIM

    def forward(self, ids: Any) -> Any:
        """``(..., 4)`` ids from ``feature_ids`` -> ``(..., out_dim)``."""
        parts = [self.shape, self.prefix, self.suffix, self.gazetteer]
        return torch.cat([table(ids[..., k]) for k, table in enumerate(parts)], -1)


_NO_GAZETTEER = {"O": 0}


def gazetteer_tag_names(gazetteer: Gazetteer | None) -> list[str]:
    return list((gazetteer.tag_ids if gazetteer else _NO_GAZETTEER).keys())
