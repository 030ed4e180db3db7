"""What ``medkg train ner``, ``ner-ensemble`` and ``ner-calibrate`` run: the
training corpora and their split, the architecture dispatch, joining models.

The corpora: scispaCy's pretrained NER packages cannot be downloaded on a
machine without hub access, so the project trains its own on real corpora:
BC5CDR train and devel (chemicals and diseases) plus NCBI-disease train
(diseases). BC5CDR devel is trained on by default because the served model is
a final model: every recipe choice was made on models that held it out
(``hold_out_devel``), and adding its 500 abstracts is worth about a point of
F1 on unseen BC5CDR text (decision 0046). Model selection and calibration use
a development set made of NCBI-disease devel and the last tenth of each
training file; NCBI-disease test stays unseen for ``bench/ner_eval.py``, and
BC5CDR test is kept back for acceptance. Each model records the files it
learned from (:meth:`NerCorpora.record`), so a benchmark can tell a file the
model has seen (:func:`trained_on`). The result is a spaCy pipeline folder
that the extractor loads (:func:`medkg.artifacts.resolve_ner_model`).
"""

from __future__ import annotations

import hashlib
import random
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from medkg.nlp.corpora.bio import BioSentence, corpus_labels, read_bio
from medkg.nlp.ner.calibration import calibrate_outside_bias
from medkg.nlp.ner.component import load_trained_tagger, write_ner_pipeline
from medkg.nlp.ner.ensemble import TaggerEnsemble
from medkg.nlp.ner.spacy_trainer import SPACY_CONFIGS, train_spacy_ner
from medkg.nlp.ner.tagger import TokenTagger
from medkg.nlp.ner.tags import LABELS

#: ``medkg train ner --arch``: the fine-tuned ``transformer`` (:mod:`.training`)
#: and the spaCy-config architectures (:mod:`.spacy_trainer`).
NER_ARCHS = ("transformer", *SPACY_CONFIGS)
#: Name sources of the word features' gazetteer tag.
GAZETTEERS = ("hetionet", "vocabularies")


@dataclass
class NerCorpora:
    """Paths of the BIO files used to train and select the model."""

    train: list[Path]
    dev: list[Path]
    #: Fraction of each training file moved to the dev set (its tail, so the
    #: dev set is the same for every seed).
    dev_fraction_of_train: float = 0.1
    #: Hetionet's node table: drug and disease names for the transformer NER's
    #: gazetteer feature (:mod:`.features`); left out when absent.
    gazetteer: Path | None = None

    @classmethod
    def shared(
        cls,
        shared_data_dir: Path,
        extra_train: Sequence[Path] = (),
        hold_out_devel: bool = False,
    ) -> NerCorpora:
        """The shared corpora, plus ``extra_train`` BIO files (a user's own
        annotated notes) trained on beside them. ``hold_out_devel`` leaves
        BC5CDR devel out of training, for a model to be evaluated on it."""
        devel = [] if hold_out_devel else [shared_data_dir / "bc5cdr/devel.tsv"]
        return cls(
            train=[
                shared_data_dir / "bc5cdr/train.tsv",
                shared_data_dir / "ncbi-disease/train.tsv",
                *devel,
                *(p for p in map(Path, extra_train) if p not in devel),
            ],
            dev=[shared_data_dir / "ncbi-disease/devel.tsv"],
            gazetteer=shared_data_dir / "hetionet/hetionet-v1.0-nodes.tsv",
        )

    def missing(self) -> list[Path]:
        return [p for p in [*self.train, *self.dev] if not p.is_file()]

    def check(self) -> None:
        """Read every corpus once before training starts, so a missing file or a
        malformed line is one error line, not a failure after minutes of work."""
        missing = self.missing()
        if missing:
            raise FileNotFoundError("missing training corpora: " + ", ".join(map(str, missing)))
        for path in [*self.train, *self.dev]:
            unknown = corpus_labels(read_bio(path)) - set(LABELS)
            if unknown:
                raise ValueError(
                    f"{path}: tags of {', '.join(sorted(unknown))}, which this NER does not "
                    f"learn (it tags {', '.join(LABELS)}): map them to those or to O first"
                )

    def record(self) -> dict[str, list[dict[str, str]]]:
        """Which files trained and selected the model, by path and SHA-256: saved
        in the model's meta, so ``bench/ner_eval.py`` can tell a file the model
        learned from (whose score would say nothing) from an unseen one."""
        return {
            "train": [_file_record(p) for p in self.train],
            "dev": [_file_record(p) for p in self.dev],
        }


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a corpus file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _file_record(path: Path) -> dict[str, str]:
    return {"path": str(path), "sha256": file_sha256(path)}


def _file_records(record: dict, part: str) -> list[dict[str, str]]:
    """The ``part`` ("train" or "dev") files of a model's training record and of
    its ensemble members', once each, in order."""
    seen: dict[str, dict[str, str]] = {}
    for r in [record, *record.get("members", [])]:
        for f in r.get("training_data", {}).get(part, []):
            seen.setdefault(f["path"], f)
    return list(seen.values())


def recorded_corpora(records: Sequence[dict]) -> NerCorpora | None:
    """The corpora that trained and selected these models (their meta's
    ``medkg`` parts), for calibrating them on sentences none of them learned
    from: every training file (its tail is the development part) and every
    development file. ``None`` when a model has no record or a recorded file
    is gone or has changed since."""
    train: dict[str, None] = {}
    dev: dict[str, None] = {}
    for record in records:
        files = {part: _file_records(record, part) for part in ("train", "dev")}
        if not files["train"]:
            return None
        for part, target in (("train", train), ("dev", dev)):
            for f in files[part]:
                path = Path(f["path"])
                if not path.is_file() or file_sha256(path) != f["sha256"]:
                    return None
                target.setdefault(f["path"], None)
    return NerCorpora(train=[Path(p) for p in train], dev=[Path(p) for p in dev])


def seen_in_training(record: dict, path: Path) -> str | None:
    """``"train"`` when a model's training record (its meta's ``medkg`` part)
    lists a training file with the same bytes as ``path``, ``"dev"`` when it
    selected or calibrated on such a file, ``None`` when it has not seen it (an
    ensemble's members included). A score on a seen file says how well the
    model learned it, not how it reads unseen text."""
    digest = file_sha256(path)
    for part in ("train", "dev"):
        if any(f.get("sha256") == digest for f in _file_records(record, part)):
            return part
    return None


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


def train_ner(
    corpora: NerCorpora,
    output: Path,
    max_steps: int = 6000,
    eval_frequency: int = 300,
    seed: int = 0,
    arch: str = "transformer",
    epochs: int = 5,
    device: str = "auto",
    word_features: bool = True,
    partial_labels: bool = True,
    gazetteer: str = "vocabularies",
    members: int = 1,
    calibrate: bool = True,
    precision: str = "auto",
    encoder: str = "default",
) -> Path:
    """Train and return the path of the best model (``output/model-best``).

    Args:
        corpora: the BIO files to train and select on.
        output: the model folder; replaced only once the new model is complete.
        max_steps, eval_frequency: spaCy's trainer (``hash``, ``minilm-features``).
        seed: training order and initial weights; members use ``seed + k``.
        arch: one of ``NER_ARCHS``.
        epochs, device, precision: the fine-tuning loop (``transformer``).
        word_features, partial_labels: see :class:`.training.TrfNerConfig`.
        gazetteer: the names behind the word features' gazetteer tag, one of
            ``GAZETTEERS``: Hetionet's node names, or every vocabulary the
            knowledge layer imports (:mod:`.vocabulary_gazetteer`).
        members: ``> 1`` (``transformer`` only) trains that many taggers and saves
            them as one ensemble that averages their tag probabilities.
        calibrate: choose the decoder's outside bias on the development set
            afterwards (``transformer`` only); an ensemble is calibrated as a whole.
        encoder: the transformer to fine-tune: the packaged MiniLM (``default``),
            a folder (such as the one ``medkg train encoder`` adapts) or a name.
    """
    if arch not in NER_ARCHS:
        raise ValueError(f"unknown NER architecture {arch!r}; choose from {', '.join(NER_ARCHS)}")
    if gazetteer not in GAZETTEERS:
        raise ValueError(f"unknown gazetteer {gazetteer!r}; choose from {', '.join(GAZETTEERS)}")
    corpora.check()
    if members > 1:
        if arch != "transformer":
            raise ValueError("an ensemble of members needs the 'transformer' architecture")
        output.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=output.parent, prefix=".ner-members-") as tmp:
            paths = []
            for k in range(members):
                member = train_ner(
                    corpora, Path(tmp) / f"seed-{seed + k}", seed=seed + k, arch=arch,
                    epochs=epochs, device=device, word_features=word_features,
                    gazetteer=gazetteer,
                    partial_labels=partial_labels, calibrate=False, precision=precision,
                    encoder=encoder,
                )  # fmt: skip
                paths.append(member)
            dev = development_set(corpora) if calibrate else None
            return join_ner_models(
                paths, output, dev=dev, device=device, training_data=corpora.record()
            )
    train, dev = _split(corpora, seed)
    if arch != "transformer":
        return train_spacy_ner(train, dev, output, arch, max_steps, eval_frequency, seed)
    from medkg.nlp.ner.features import Gazetteer
    from medkg.nlp.ner.training import TrfNerConfig, train_transformer_ner

    config = TrfNerConfig(
        epochs=epochs, seed=seed, device=device, word_features=word_features,
        partial_labels=partial_labels, calibrate=calibrate, precision=precision,
        encoder=encoder,
    )  # fmt: skip
    names = None
    if word_features and gazetteer == "vocabularies":
        from medkg.nlp.ner.vocabulary_gazetteer import vocabulary_gazetteer

        names = vocabulary_gazetteer(corpora.gazetteer)
    elif word_features and corpora.gazetteer is not None and corpora.gazetteer.is_file():
        names = Gazetteer.from_hetionet(corpora.gazetteer)
    return train_transformer_ner(
        train, dev, output, config, gazetteer=names, training_data=corpora.record()
    )[0]


def _taggers_of(model: Path) -> tuple[list[TokenTagger], dict]:
    """The taggers in a trained model folder (one, or an ensemble's members) and
    its training record."""
    _, tagger, meta = load_trained_tagger(model, "joined")
    members = tagger.members if isinstance(tagger, TaggerEnsemble) else [tagger]
    return members, meta.get("medkg", {})


def join_ner_models(
    models: Sequence[Path],
    output: Path,
    dev: Sequence[BioSentence] | None = None,
    device: str = "auto",
    training_data: dict | None = None,
) -> Path:
    """Write one NER to ``output/model-best`` that averages the taggers of
    ``models`` (trained folders or ensembles, whose members are taken one by
    one) and return its path.

    With ``dev`` sentences the ensemble's outside bias is calibrated on them
    (:mod:`.calibration`); without, it decodes with none. ``training_data``
    (:meth:`NerCorpora.record`) is kept in the ensemble's meta.

    Every member is loaded before anything is written, so ``output`` may be
    one of the ``models``: it is replaced only once the ensemble is complete.
    """
    if len(models) < 2:
        raise ValueError("give at least two models to join")
    members: list[TokenTagger] = []
    records: list[dict] = []
    for model in models:
        taggers, record = _taggers_of(Path(model))
        members += taggers
        records += record.get("members", [{**record, "source": str(model)}])
    ensemble = TaggerEnsemble(members)
    meta: dict = {"ensemble": True, "members": records, "calibration": None}
    if training_data is not None:
        meta["training_data"] = training_data
    if dev:
        from medkg.encoders.device import resolve_device

        dev_device = resolve_device(device)
        calibration = calibrate_outside_bias(ensemble.to(dev_device), dev, dev_device)
        ensemble.to("cpu")
        meta["calibration"] = calibration.as_record()
    return write_ner_pipeline(ensemble, output, meta)
