"""The trained transformer NER as a spaCy pipeline component (``medkg_transformer_ner``).

What: a component that runs a :class:`~medkg.nlp.ner.tagger.TokenTagger` (or an
:class:`~medkg.nlp.ner.ensemble.TaggerEnsemble`) over each sentence and sets
CHEMICAL/DISEASE entities, and the writer and loader of whole pipeline folders.

Why a spaCy component: the extractor, ``MEDKG_NER_MODEL`` and
``bench/ner_eval.py`` load any NER with ``spacy.load``. A saved pipeline's
config names the *factory* (``medkg_transformer_ner``), which the package
registers through its ``spacy_factories`` entry point, never a module path, so
models trained before a module moved load unchanged.

Like spaCy's NER, the component keeps entities already set (the graph-name
rulers run before it and give linked ids) and adds only non-overlapping ones.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from medkg.artifacts import NER_BEST, ner_pipeline_folder, replace_folder
from medkg.nlp.corpora.bio import entity_spans
from medkg.nlp.ner.ensemble import ENSEMBLE_FILE, TaggerEnsemble
from medkg.nlp.ner.tagger import TokenTagger
from medkg.nlp.ner.tags import MAX_WORDS, NOT_MENTIONS, sentence_chunks

#: The factory name saved pipelines refer to.
FACTORY = "medkg_transformer_ner"

Tagger = TokenTagger | TaggerEnsemble


@Language.factory(FACTORY, assigns=["doc.ents"], default_config={"batch_size": 32})
def make_transformer_ner(nlp: Language, name: str, batch_size: int) -> TransformerNer:
    return TransformerNer(name, batch_size)


class TransformerNer:
    """spaCy component: predicts CHEMICAL/DISEASE spans, keeping entities already set."""

    def __init__(self, name: str, batch_size: int = 32) -> None:
        self.name = name
        self.batch_size = batch_size
        self.tagger: Tagger | None = None
        self.device: Any = "cpu"

    @property
    def labels(self) -> tuple[str, ...]:
        if self.tagger is None:
            return ()
        return tuple(sorted({t[2:] for t in self.tagger.tags if t != "O"}))

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        size = batch_size or self.batch_size
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= size:
                yield from self._tag(batch)
                batch = []
        if batch:
            yield from self._tag(batch)

    def _tag(self, docs: list[Doc]) -> list[Doc]:
        if self.tagger is None:
            raise ValueError(f"{self.name}: no trained tagger loaded")
        plans = []
        chunks: list[tuple[str, ...]] = []
        for doc in docs:
            spans = sentence_chunks(doc, MAX_WORDS)
            plans.append(spans)
            chunks += [tuple(t.text for t in doc[a:b]) for a, b in spans]
        predicted = iter(self.tagger.predict(chunks, self.device, self.batch_size))
        for doc, spans in zip(docs, plans, strict=True):
            found = []
            for start, _ in spans:
                tags = next(predicted)
                found += [Span(doc, start + s, start + e, label=lab)
                          for lab, s, e in entity_spans(tags)]  # fmt: skip
            existing = list(doc.ents)
            held = [*existing, *doc.spans.get(NOT_MENTIONS, [])]  # "voluntary sterility"
            taken = {i for e in held for i in range(e.start, e.end)}
            new = [s for s in filter_spans(found) if not taken & set(range(s.start, s.end))]
            doc.set_ents(sorted(existing + new, key=lambda s: s.start))
        return docs

    def to_disk(self, path: Path, exclude: Iterable[str] = ()) -> None:
        if self.tagger is None:
            raise ValueError(f"{self.name}: nothing to save")
        self.tagger.save(Path(path), {})

    def from_disk(self, path: Path, exclude: Iterable[str] = ()) -> TransformerNer:
        self.tagger = load_tagger(Path(path))
        return self


def load_tagger(folder: Path) -> Tagger:
    """One tagger, or an ensemble of them (a folder with ``ensemble.json``)."""
    if (folder / ENSEMBLE_FILE).is_file():
        return TaggerEnsemble.load(folder)
    return TokenTagger.load(folder)


def write_ner_pipeline(tagger: Tagger, output: Path, meta: dict) -> Path:
    """Write ``tagger`` as a spaCy pipeline folder ``output/model-best`` and return
    that path; ``meta`` is the training record kept in the pipeline's meta.json.

    Written into a temporary folder beside ``output`` and moved into place at
    the end (:func:`medkg.artifacts.replace_folder`).
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".ner-train-") as tmp:
        nlp = spacy.blank("en")
        component = nlp.add_pipe(FACTORY, name="ner")
        component.tagger = tagger
        nlp.meta["name"] = FACTORY
        nlp.meta["medkg"] = meta
        (Path(tmp) / "out").mkdir()
        nlp.to_disk(Path(tmp) / "out" / NER_BEST)
        replace_folder(Path(tmp) / "out", output)
    return output / NER_BEST


def load_trained_tagger(model: Path, purpose: str) -> tuple[Path, Tagger, dict]:
    """The pipeline folder, tagger and spaCy meta of a trained transformer NER,
    given its folder or the folder holding its ``model-best``; a clear error,
    naming ``purpose`` (what the caller wanted to do with it), for anything else."""
    folder = ner_pipeline_folder(model)
    if not (folder / "meta.json").is_file():
        raise FileNotFoundError(f"{model}: not a trained NER model folder (no meta.json)")
    nlp = spacy.load(folder)
    tagger = getattr(nlp.get_pipe("ner"), "tagger", None) if "ner" in nlp.pipe_names else None
    if not isinstance(tagger, TaggerEnsemble | TokenTagger):
        raise ValueError(
            f"{model}: only transformer NER models can be {purpose} "
            "(`medkg train ner --arch transformer`)"
        )
    return folder, tagger, nlp.meta
