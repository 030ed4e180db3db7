"""``medkg train ...``: build the models the extractor and the recommenders use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from medkg.cli.main import app, console, err_console, user_errors
from medkg.settings import get_settings

train_app = typer.Typer(
    help="Train models (NER, relation classifier, encoders, fusion).", no_args_is_help=True
)
app.add_typer(train_app, name="train")


@train_app.command("ner")
def train_ner_cmd(
    max_steps: Annotated[int, typer.Option(min=1, help="Training steps (batches).")] = 6000,
    eval_every: Annotated[int, typer.Option(min=1, help="Steps between dev evaluations.")] = 300,
    output: Annotated[Path | None, typer.Option(help="Model folder (default: data dir).")] = None,
) -> None:
    """Train the CHEMICAL/DISEASE NER on BC5CDR train + NCBI-disease train (spaCy)."""
    from medkg.kg.extract.ner_train import NerCorpora, default_model_dir, train_ner

    settings = get_settings()
    out = output or default_model_dir(settings)
    with user_errors():
        best = train_ner(NerCorpora.shared(settings.shared_data_dir), out, max_steps, eval_every)
    console.print(
        f"NER model written to {best}; the extractor loads it from there "
        "(evaluate with `python bench/ner_eval.py`)"
    )


@train_app.command("relations")
def train_relations_cmd(
    train: Annotated[Path | None, typer.Option(help="PubTator file to train on.")] = None,
    exclude: Annotated[
        Path | None,
        typer.Option(
            help="PubTator file whose abstracts are left out of training (an evaluation set)."
        ),
    ] = None,
) -> None:
    """Train the chemical-induced-disease (CAUSES) classifier on BC5CDR's CID relations."""
    from medkg.kg.extract.pipeline import cid_model_path
    from medkg.kg.extract.pubtator import read_pubtator
    from medkg.kg.extract.relation_train import split_training_set, train_cid

    settings = get_settings()
    bc5 = settings.shared_data_dir / "bc5cdr"
    train = train or bc5 / "CDR_TrainingSet.PubTator.txt"
    exclude = exclude or bc5 / "CDR_DevelopmentSet.PubTator.txt"
    with user_errors():
        if exclude.is_file():
            docs, _ = split_training_set(train, exclude)
        else:
            docs = read_pubtator(train)
        clf = train_cid(docs)
        path = cid_model_path(settings)
        clf.save(path)
    err_console.print(
        f"trained on {clf.meta['documents']} abstracts, "
        f"{clf.meta['candidates']} sentence pairs ({clf.meta['positives']} positive)"
    )
    console.print(f"CID classifier written to {path}")
