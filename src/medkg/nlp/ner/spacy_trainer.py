"""Training a NER with spaCy's own trainer from a config file (``--arch hash`` and
``--arch minilm-features``).

Why keep spaCy's CNN beside the transformer: ``hash`` (spaCy's tok2vec over
hashed word features) tags several times faster, for users who trade accuracy
for throughput; ``minilm-features`` adds frozen MiniLM features
(:mod:`.frozen_features`) to the same CNN. docs/decisions/0007 compares them.
"""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path

import spacy
from spacy.tokens import DocBin

from medkg.artifacts import NER_BEST, replace_folder
from medkg.nlp.corpora.bio import BioSentence, to_docs

#: ``medkg train ner --arch``: spaCy training configs by architecture name.
SPACY_CONFIGS = {
    # spaCy CNN tok2vec over frozen MiniLM token features beside hashed ones.
    "minilm-features": "config_minilm_features.cfg",
    # spaCy CNN tok2vec over hashed features only: the fastest to run.
    "hash": "config_hash.cfg",
}


def train_spacy_ner(
    train: list[BioSentence],
    dev: list[BioSentence],
    output: Path,
    arch: str,
    max_steps: int = 6000,
    eval_frequency: int = 300,
    seed: int = 0,
) -> Path:
    """Train with the architecture's config and return ``output/model-best``.

    The corpora are written as spaCy ``DocBin`` files in a temporary folder
    beside ``output``, where spaCy's trainer also writes; the finished output
    is then moved into place (:func:`medkg.artifacts.replace_folder`).
    """
    if arch not in SPACY_CONFIGS:
        raise ValueError(f"no spaCy config for {arch!r}; have {', '.join(SPACY_CONFIGS)}")
    if arch == "minilm-features":
        import medkg.nlp.ner.frozen_features  # noqa: F401  registers the architectures
    from spacy.cli.init_config import fill_config
    from spacy.cli.train import train as spacy_train

    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".ner-train-") as tmp:
        work = Path(tmp)
        vocab = spacy.blank("en").vocab
        for name, sents in (("train", train), ("dev", dev)):
            DocBin(docs=to_docs(sents, vocab)).to_disk(work / f"{name}.spacy")
        base = work / "base.cfg"
        base.write_text(resources.files(__package__).joinpath(SPACY_CONFIGS[arch]).read_text())
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
        replace_folder(work / "out", output)
    return output / NER_BEST
