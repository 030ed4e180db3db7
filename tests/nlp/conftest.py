"""Small real NER models shared by the ensemble and calibration tests (trained
once per test package: a minute on CPU)."""

from __future__ import annotations

from pathlib import Path

import pytest

from medkg.nlp.corpora.bio import BioSentence, read_bio
from tests.conftest import SHARED

BC5CDR = SHARED / "bc5cdr"


@pytest.fixture(scope="package")
def sentences() -> list[BioSentence]:
    if not (BC5CDR / "train.tsv").exists():
        pytest.skip("no BC5CDR")
    return read_bio(BC5CDR / "train.tsv")[:120]


@pytest.fixture(scope="package")
def two_models(
    sentences: list[BioSentence], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """A plain tagger and one with word features, trained differently on a real slice."""
    pytest.importorskip("torch")
    from medkg.nlp.ner.training import TrfNerConfig, train_transformer_ner

    root = tmp_path_factory.mktemp("ens")
    plain, _ = train_transformer_ner(
        sentences[:48], sentences[48:56], root / "plain",
        TrfNerConfig(epochs=1, batch_size=16, seed=0), progress=False,
    )  # fmt: skip
    featured, _ = train_transformer_ner(
        sentences[:48], sentences[48:56], root / "featured",
        TrfNerConfig(epochs=1, batch_size=16, seed=1, word_features=True), progress=False,
    )  # fmt: skip
    return plain, featured


def write_bio(path: Path, sents: list[BioSentence]) -> Path:
    """Write sentences in the shared corpora's two-column BIO format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "\n\n".join(
            "\n".join(f"{w}\t{t}" for w, t in zip(s.words, s.tags, strict=True)) for s in sents
        )
        + "\n"
    )
    return path


def drug_flags(extractor, doc_id: str, text: str, *attrs: str) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    """Drug mention (lower case) -> the values of ``attrs`` on its Mention (flags
    or properties such as ``is_positive_fact``), from one real extraction."""
    from medkg.nlp.documents import NoteInput

    (doc,) = extractor.extract([NoteInput(doc_id, text)])
    return {
        m.text.lower(): tuple(getattr(m, a) for a in attrs)
        for m in doc.mentions
        if m.node_label == "Drug"
    }
