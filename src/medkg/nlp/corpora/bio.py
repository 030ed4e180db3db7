"""Token-per-line BIO corpora (BC5CDR, NCBI-disease) as spaCy ``Doc`` objects.

The shared corpora are CoNLL-style: one ``token<TAB>tag`` per line, a blank line
between sentences, tags ``B-Chemical``/``I-Disease``/``O``. They carry no
whitespace, so every token is given a trailing space; the NER only sees tokens.
Corpus type names are mapped onto the pipeline's labels (``Chemical`` ->
``CHEMICAL``) so a model trained here and the entity ruler speak the same labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from spacy.tokens import Doc, Span
from spacy.training.iob_utils import iob_to_biluo, tags_to_entities
from spacy.vocab import Vocab

#: Corpus type -> pipeline NER label.
CORPUS_LABELS = {"chemical": "CHEMICAL", "disease": "DISEASE"}


class BioFormatError(ValueError):
    """The file is not token<TAB>BIO-tag lines; the message names file and line."""


@dataclass
class BioSentence:
    words: list[str]
    tags: list[str]  # BIO with pipeline labels, e.g. B-DISEASE
    #: Labels its corpus annotates (``None``: all of them). NCBI-disease marks
    #: diseases only, so an ``O`` there may still be a chemical; training treats
    #: such words as "O or an unannotated label", not as a negative.
    annotated: frozenset[str] | None = None


def _map_tag(tag: str, path: Path, line_no: int) -> str:
    if tag == "O":
        return tag
    prefix, _, kind = tag.partition("-")
    if prefix not in ("B", "I") or not kind:
        raise BioFormatError(f"{path}:{line_no}: tag {tag!r} is not O, B-<type> or I-<type>")
    return f"{prefix}-{CORPUS_LABELS.get(kind.lower(), kind.upper())}"


def read_bio(path: str | Path) -> list[BioSentence]:
    """Read a token<TAB>tag file; ``-DOCSTART-`` lines are skipped."""
    path = Path(path)
    if not path.is_file():
        raise BioFormatError(f"{path}: no such file")
    sentences: list[BioSentence] = []
    words: list[str] = []
    tags: list[str] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise BioFormatError(f"{path}: not UTF-8 text ({exc.reason})") from None
    for line_no, line in enumerate(lines, 1):
        if not line.strip():
            if words:
                sentences.append(BioSentence(words, tags))
                words, tags = [], []
            continue
        if line.startswith("-DOCSTART-"):
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        if len(parts) < 2:
            raise BioFormatError(f"{path}:{line_no}: expected 'token<TAB>tag', got {line!r}")
        words.append(parts[0])
        tags.append(_map_tag(parts[-1], path, line_no))
    if words:
        sentences.append(BioSentence(words, tags))
    if not sentences:
        raise BioFormatError(f"{path}: no sentences")
    return sentences


def corpus_labels(sentences: list[BioSentence]) -> frozenset[str]:
    """The entity labels a corpus annotates, read off its tags."""
    return frozenset(t[2:] for s in sentences for t in s.tags if t != "O")


def entity_spans(tags: list[str]) -> set[tuple[str, int, int]]:
    """(label, first token, last token + 1) for each entity in a BIO tag list.

    An ``I-`` without a preceding ``B-`` of the same type starts an entity, as
    conlleval does.
    """
    return {
        (label, start, end + 1)
        for label, start, end in tags_to_entities(
            iob_to_biluo([_repair(tags, i) for i in range(len(tags))])
        )
    }


def _repair(tags: list[str], i: int) -> str:
    tag = tags[i]
    if tag.startswith("I-") and (i == 0 or tags[i - 1][2:] != tag[2:]):
        return "B-" + tag[2:]
    return tag


def to_docs(
    sentences: list[BioSentence], vocab: Vocab, per_doc: int = 10, annotate: bool = True
) -> Iterator[Doc]:
    """Group sentences into Docs (sentence starts kept) with gold entities."""
    for i in range(0, len(sentences), per_doc):
        group = sentences[i : i + per_doc]
        words = [w for s in group for w in s.words]
        sent_starts = [j == 0 for s in group for j in range(len(s.words))]
        doc = Doc(vocab, words=words, sent_starts=sent_starts)
        if annotate:
            tags = [t for s in group for t in s.tags]
            doc.ents = [Span(doc, s, e, label=lab) for lab, s, e in entity_spans(tags)]
        yield doc
