"""Train the pipeline's NER on the shared annotated corpora with spaCy's trainer.

What and why: scispaCy's pretrained NER packages cannot be downloaded on a
machine without hub access, so the project builds its own from real corpora:
BC5CDR train (chemicals and diseases) plus NCBI-disease train (diseases). Model
selection uses a development set made of NCBI-disease devel and the last tenth
of BC5CDR train, so BC5CDR devel and NCBI-disease test stay unseen for
``bench/ner_eval.py``. The result is a normal spaCy pipeline folder that
``MEDKG_NER_MODEL`` (or the default model path) points the extractor at.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import spacy
from spacy.tokens import DocBin

from medkg.kg.extract.bio import BioSentence, corpus_labels, read_bio, to_docs
from medkg.settings import Settings


@dataclass
class NerCorpora:
    """Paths of the BIO files used to train and select the model."""

    train: list[Path]
    dev: list[Path]
    #: Fraction of each training file moved to the dev set (its tail, so the
    #: dev set is the same for every seed).
    dev_fraction_of_train: float = 0.1
    #: Hetionet's node table: drug and disease names for the transformer NER's
    #: gazetteer feature (``word_features``); left out when absent.
    gazetteer: Path | None = None

    @classmethod
    def shared(cls, shared_data_dir: Path) -> NerCorpora:
        return cls(
            train=[
                shared_data_dir / "bc5cdr/train.tsv",
                shared_data_dir / "ncbi-disease/train.tsv",
            ],
            dev=[shared_data_dir / "ncbi-disease/devel.tsv"],
            gazetteer=shared_data_dir / "hetionet/hetionet-v1.0-nodes.tsv",
        )

    def missing(self) -> list[Path]:
        return [p for p in [*self.train, *self.dev] if not p.is_file()]


def _read_marked(path: Path) -> list[BioSentence]:
    """Read a corpus and mark each sentence with the labels the corpus annotates."""
    sents = read_bio(path)
    annotated = corpus_labels(sents)
    for s in sents:
        s.annotated = annotated
    return sents


def _split(corpora: NerCorpora, seed: int) -> tuple[list[BioSentence], list[BioSentence]]:
    train: list[BioSentence] = []
    dev: list[BioSentence] = []
    for path in corpora.train:
        sents = _read_marked(path)
        cut = int(len(sents) * (1 - corpora.dev_fraction_of_train))
        train += sents[:cut]
        dev += sents[cut:]  # a contiguous tail: abstracts are not cut across sets much
    for path in corpora.dev:
        dev += _read_marked(path)
    random.Random(seed).shuffle(train)
    return train, dev


def development_set(corpora: NerCorpora) -> list[BioSentence]:
    """The sentences training selects and calibrates on: the tail of each training
    corpus and the development corpora. The same for every seed, so an ensemble
    of seeds is calibrated on data none of its members trained on."""
    return _split(corpora, 0)[1]


#: ``medkg train ner --arch``: spaCy training configs by architecture name. The
#: third architecture, ``transformer`` (MiniLM fine-tuned, ``trf_ner``), trains
#: with its own loop; docs/decisions/0007 compares the three.
SPACY_CONFIGS = {
    # spaCy CNN tok2vec over frozen MiniLM token features beside hashed ones.
    "minilm-features": "ner_config_minilm.cfg",
    # spaCy CNN tok2vec over hashed features only: the fastest to run.
    "hash": "ner_config.cfg",
}
NER_ARCHS = ("transformer", *SPACY_CONFIGS)


def default_model_dir(settings: Settings) -> Path:
    return settings.models_dir / "ner"


def train_ner(
    corpora: NerCorpora,
    output: Path,
    max_steps: int = 6000,
    eval_frequency: int = 300,
    seed: int = 0,
    arch: str = "transformer",
    epochs: int = 5,
    device: str = "auto",
    word_features: bool = False,
    partial_labels: bool = True,
    members: int = 1,
    calibrate: bool = True,
    precision: str = "auto",
) -> Path:
    """Train and return the path of the best model (``output/model-best``).

    ``members > 1`` (``transformer`` only) trains that many taggers with seeds
    ``seed, seed + 1, ...`` and saves them as one ensemble that averages their
    tag probabilities (``tagger_ensemble``).

    ``calibrate`` (``transformer`` only): choose the decoder's outside bias on
    the development set afterwards (``ner_calibration``); an ensemble is
    calibrated as a whole.

    ``max_steps``/``eval_frequency`` drive spaCy's trainer (``hash``,
    ``minilm-features``); ``epochs``/``device``/``precision`` the fine-tuning loop
    (``transformer``). Writes into a temporary folder and moves the result into
    place at the end, so an interrupted run never leaves a half-written model
    where the extractor would load it.
    """
    if arch not in NER_ARCHS:
        raise ValueError(f"unknown NER architecture {arch!r}; choose from {', '.join(NER_ARCHS)}")
    missing = corpora.missing()
    if missing:
        raise FileNotFoundError("missing training corpora: " + ", ".join(map(str, missing)))
    if members > 1:
        if arch != "transformer":
            raise ValueError("an ensemble of members needs the 'transformer' architecture")
        from medkg.kg.extract.tagger_ensemble import join_ner_models

        output.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=output.parent, prefix=".ner-members-") as tmp:
            paths = []
            for k in range(members):
                member = train_ner(
                    corpora, Path(tmp) / f"seed-{seed + k}", seed=seed + k, arch=arch,
                    epochs=epochs, device=device, word_features=word_features,
                    partial_labels=partial_labels, calibrate=False, precision=precision,
                )  # fmt: skip
                paths.append(member)
            dev = development_set(corpora) if calibrate else None
            return join_ner_models(paths, output, dev=dev, device=device)
    train, dev = _split(corpora, seed)
    if arch == "transformer":
        from medkg.kg.extract.trf_ner import TrfNerConfig, train_transformer_ner
        from medkg.kg.extract.word_features import Gazetteer

        config = TrfNerConfig(
            epochs=epochs, seed=seed, device=device, word_features=word_features,
            partial_labels=partial_labels, calibrate=calibrate, precision=precision,
        )  # fmt: skip
        gazetteer = None
        if word_features and corpora.gazetteer is not None and corpora.gazetteer.is_file():
            gazetteer = Gazetteer.from_hetionet(corpora.gazetteer)
        return train_transformer_ner(train, dev, output, config, gazetteer=gazetteer)[0]
    if arch == "minilm-features":
        import medkg.kg.extract.trf_features  # noqa: F401  registers the architectures
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".ner-train-") as tmp:
        work = Path(tmp)
        vocab = spacy.blank("en").vocab
        for name, sents in (("train", train), ("dev", dev)):
            DocBin(docs=to_docs(sents, vocab)).to_disk(work / f"{name}.spacy")
        base = work / "base.cfg"
        base.write_text(resources.files(__package__).joinpath(SPACY_CONFIGS[arch]).read_text())
        from spacy.cli.init_config import fill_config
        from spacy.cli.train import train as spacy_train

        config = work / "config.cfg"
        fill_config(config, base, silent=True)  # spaCy's defaults for everything unset

        spacy_train(
            config,
            work / "out",
            use_gpu=-1,
            overrides={
                "paths.train": str(work / "train.spacy"),
                "paths.dev": str(work / "dev.spacy"),
                "training.max_steps": max_steps,
                "training.eval_frequency": eval_frequency,
                "system.seed": seed,
            },
        )
        if output.exists():
            shutil.rmtree(output)
        shutil.move(str(work / "out"), output)
    return output / "model-best"


def resolve_ner_model(settings: Settings) -> Path | str | None:
    """The NER the extractor should load: the configured one, else a trained one.

    ``MEDKG_NER_MODEL`` wins (an installed package such as ``en_ner_bc5cdr_md``
    or a folder); otherwise the model ``medkg train ner`` wrote, if any;
    otherwise ``None`` and the extractor runs on graph-name rules alone.
    """
    if settings.ner_model:
        return settings.ner_model
    best = default_model_dir(settings) / "model-best"
    return best if (best / "meta.json").is_file() else None
