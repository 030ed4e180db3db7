"""``medkg train ...``: build the models the extractor and the recommenders use.

Every model is written where :class:`medkg.artifacts.ModelFiles` says, which is
where the extractor, the rankers and the API look for it.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from medkg.artifacts import ModelFiles
from medkg.cli.common import (
    console,
    err_console,
    error_line,
    progress,
    store_from_settings,
    user_errors,
)
from medkg.settings import get_settings

if TYPE_CHECKING:
    from medkg.nlp.corpora.bio import BioSentence
    from medkg.nlp.lexicon import Lexicon
    from medkg.nlp.relations.cid_models import FineTunedCid
    from medkg.settings import Settings

DeviceOption = Annotated[
    str | None,
    typer.Option(
        help="auto, cpu or cuda[:n] (default: MEDKG_DEVICE, else auto).", show_default=False
    ),
]
PrecisionOption = Annotated[
    str | None,
    typer.Option(
        help="Mixed precision: auto, fp32, bf16 or fp16 (default: MEDKG_PRECISION, else auto: "
        "bf16 on a GPU, fp32 on CPU).",
        show_default=False,
    ),
]

app = typer.Typer(
    help="Train models (NER, relation classifier, encoders, fusion).", no_args_is_help=True
)


@app.command("ner")
def train_ner_cmd(
    max_steps: Annotated[
        int, typer.Option(min=1, help="Training steps (spaCy architectures).")
    ] = 6000,
    eval_every: Annotated[
        int, typer.Option(min=1, help="Steps between dev evaluations (spaCy architectures).")
    ] = 300,
    output: Annotated[Path | None, typer.Option(help="Model folder (default: data dir).")] = None,
    arch: Annotated[
        str,
        typer.Option(
            help="'transformer' (MiniLM fine-tuned, most accurate), 'minilm-features' "
            "(spaCy CNN over frozen MiniLM features) or 'hash' (spaCy CNN, fastest)."
        ),
    ] = "transformer",
    epochs: Annotated[int, typer.Option(min=1, help="Epochs ('transformer' only).")] = 5,
    device: DeviceOption = None,
    precision: PrecisionOption = None,
    word_features: Annotated[
        bool,
        typer.Option(
            help="Case/shape/affix and gazetteer-name features beside MiniLM's "
            "('transformer' only; the default since the vocabulary gazetteer: "
            "docs/results.md)."
        ),
    ] = True,
    gazetteer: Annotated[
        str,
        typer.Option(
            help="Names behind --word-features' gazetteer tag: 'vocabularies' (MeSH, DOID, "
            "MONDO, HPO, DrugBank and Hetionet: ~780,000 names) or 'hetionet' (7,650)."
        ),
    ] = "vocabularies",
    partial_labels: Annotated[
        bool,
        typer.Option(
            help="Treat a corpus's O words as 'O or a label it does not annotate' "
            "(NCBI-disease leaves chemicals unmarked; 'transformer' only)."
        ),
    ] = True,
    members: Annotated[
        int,
        typer.Option(
            min=1,
            help="Train this many taggers (seeds SEED, SEED+1, ...) and save them as one "
            "ensemble that averages their tag probabilities ('transformer' only).",
        ),
    ] = 1,
    seed: Annotated[int, typer.Option(help="Random seed (training order, initial weights).")] = 0,
    encoder: Annotated[
        str,
        typer.Option(
            help="Transformer to fine-tune: 'default' (the packaged MiniLM), 'adapted' (what "
            "`medkg train encoder` wrote) or a folder ('transformer' only)."
        ),
    ] = "default",
    calibrate: Annotated[
        bool,
        typer.Option(
            help="Choose the decoder's outside bias on the development set after training "
            "('transformer' only; docs/results.md)."
        ),
    ] = True,
    train_file: Annotated[
        list[Path] | None,
        typer.Option(
            help="Another BIO file (token<TAB>tag, CHEMICAL/DISEASE tags) to train on beside "
            "the shared corpora: your own annotated notes. Repeatable; its last tenth joins "
            "the development set.",
            show_default=False,
        ),
    ] = None,
    hold_out_devel: Annotated[
        bool,
        typer.Option(
            help="Leave BC5CDR devel out of training, to evaluate on it (bench/ner_eval.py); "
            "by default the served model learns from it too (docs/decisions/0046)."
        ),
    ] = False,
) -> None:
    """Train the CHEMICAL/DISEASE NER on BC5CDR train + devel and NCBI-disease train."""
    from medkg.nlp.ner.recipes import NerCorpora, train_ner

    settings = get_settings()
    device, precision = _device_and_precision(device, precision, settings)
    out = output or ModelFiles.of(settings).ner
    encoder = _encoder_choice(encoder, settings)
    with user_errors():
        best = train_ner(
            NerCorpora.shared(settings.shared_data_dir, train_file or (), hold_out_devel), out,
            max_steps, eval_every,
            arch=arch, epochs=epochs, device=device, word_features=word_features,
            gazetteer=gazetteer, partial_labels=partial_labels, members=members, seed=seed,
            calibrate=calibrate, precision=precision, encoder=encoder,
        )  # fmt: skip
    console.print(
        f"NER model written to {best}; the extractor loads it from there "
        "(evaluate with `python bench/ner_eval.py`)"
    )


def _encoder_choice(choice: str, settings: Settings) -> str:
    """``--encoder``: 'default', 'adapted' (checked to exist) or a folder/name."""
    if choice != "adapted":
        return choice
    folder = ModelFiles.of(settings).adapted_encoder
    if not (folder / "config.json").is_file():
        error_line(f"--encoder adapted: no adapted encoder at {folder}; run `medkg train encoder`")
        raise typer.Exit(1)
    return str(folder)


@app.command("encoder")
def train_encoder_cmd(
    output: Annotated[
        Path | None, typer.Option(help="Encoder folder (default: models/encoders/text-adapted).")
    ] = None,
    text: Annotated[
        list[Path] | None,
        typer.Option(
            help="Also adapt on your own text: a UTF-8 file or a folder of *.txt files, one "
            "text per paragraph (repeatable; notes stay on this machine)."
        ),
    ] = None,
    shared_corpora: Annotated[
        bool,
        typer.Option(
            help="Include BC5CDR's training abstracts, NCBI-disease's training sentences "
            "and the HPO definitions (no evaluation text)."
        ),
    ] = True,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the text.")] = 3,
    max_steps: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many steps.")
    ] = None,
    device: DeviceOption = None,
) -> None:
    """Adapt the text encoder to clinical and biomedical text (masked-word training),
    for `medkg train ner --encoder` and `medkg train relations --encoder` to start from."""
    from medkg.encoders.domain_adaptation import AdaptationConfig, adapt_encoder
    from medkg.nlp.corpora.adaptation_text import AdaptationCorpus, adaptation_corpus, plain_texts

    settings = get_settings()
    dev, _ = _device_and_precision(device, None, settings)
    with user_errors():
        corpus = (
            adaptation_corpus(settings.shared_data_dir) if shared_corpora else AdaptationCorpus()
        )
        for path in text or []:
            corpus.sources[f"text:{path}"] = plain_texts(path)
    texts = corpus.texts
    if not texts:
        error_line("no text to adapt on: the shared corpora are missing and no --text was given")
        raise typer.Exit(1)
    for name, size in corpus.summary().items():
        err_console.print(f"{name}: {size['texts']:,} texts, {size['words']:,} words")
    # every 50th text is held out, to show the masked-word loss falling on unseen text
    held = texts[::50] if len(texts) >= 20 else []
    train = [t for i, t in enumerate(texts) if i % 50] if held else texts
    cfg = AdaptationConfig(encoder=settings.text_model or "default", epochs=epochs,
                           max_steps=max_steps, device=dev)  # fmt: skip
    target = output or ModelFiles.of(settings).adapted_encoder
    with progress() as bar, user_errors():
        task = bar.add_task("masked-word training", total=None)
        record = adapt_encoder(
            train, target, cfg, held_out=held,
            on_step=lambda step, total, loss: bar.update(
                task, completed=step, total=total, description=f"masked-word loss {loss:.3f}"
            ),
        )  # fmt: skip
    summary = f"{record['sequences']:,} sequences, {record['steps']} steps in {record['train_s']} s"
    if held:
        summary += (
            f"; masked-word loss on {len(held)} held-out texts "
            f"{record['held_out_loss_before']:.3f} -> {record['held_out_loss_after']:.3f}"
        )
    err_console.print(summary)
    console.print(f"adapted encoder written to {target}")


@app.command("ner-ensemble")
def train_ner_ensemble_cmd(
    models: Annotated[
        list[Path],
        typer.Argument(help="Trained transformer NER folders (or ensembles) to join; two or more."),
    ],
    output: Annotated[Path | None, typer.Option(help="Model folder (default: data dir).")] = None,
    calibrate: Annotated[
        bool,
        typer.Option(help="Choose the ensemble's outside bias on the development set."),
    ] = True,
    device: DeviceOption = None,
) -> None:
    """Join trained NER models into one that averages their tag probabilities.

    Each member adds its tagging time. Measured (docs/results.md): two seeds of
    today's default score between the two seeds, not above the better one.
    """
    from medkg.nlp.ner.recipes import join_ner_models

    settings = get_settings()
    device = device or settings.device
    out = output or ModelFiles.of(settings).ner
    dev = None
    if calibrate:
        dev = _development_set(settings, models)
        if dev is None:
            raise typer.Exit(1)
    with user_errors():
        best = join_ner_models(models, out, dev=dev, device=device)
    console.print(f"NER ensemble of {len(models)} models written to {best}")


@app.command("ner-calibrate")
def train_ner_calibrate_cmd(
    model: Annotated[
        Path | None,
        typer.Argument(help="Trained transformer NER folder or ensemble (default: data dir's)."),
    ] = None,
    device: DeviceOption = None,
) -> None:
    """(Re)choose a trained NER's outside bias on the development set, in place.

    For models trained before calibration existed, or with --no-calibrate; the
    weights are not touched.
    """
    from medkg.nlp.ner.calibration import calibrate_ner_model

    settings = get_settings()
    device = device or settings.device
    target = model or ModelFiles.of(settings).ner
    dev = _development_set(settings, [target])
    if dev is None:
        raise typer.Exit(1)
    with user_errors():
        cal = calibrate_ner_model(target, dev, device)
    console.print(
        f"{target}: outside bias {cal.bias:+.2f}, development F1 {100 * cal.f1:.2f} "
        f"(without: {100 * cal.f1_uncalibrated:.2f}; {cal.dev_sentences} sentences)"
    )


def _device_and_precision(
    device: str | None, precision: str | None, settings: Settings
) -> tuple[str, str]:
    """The device and precision a training command runs with, checked before any
    work starts: an unusable choice (``--device cuda`` without a GPU, fp16 on CPU)
    is an error line at once, not a failure after minutes of training."""
    from medkg.encoders.device import resolve_device
    from medkg.encoders.precision import MixedPrecision

    precision = precision or settings.precision
    with user_errors():
        dev = resolve_device(device or settings.device)
        MixedPrecision.resolve(precision, dev)
    return str(dev), precision


def _development_set(settings: Settings, models: Sequence[Path]) -> list[BioSentence] | None:
    """The development set to calibrate ``models`` on: from the corpora their
    training records name (so no model is calibrated on sentences it learned
    from), else from the shared corpora as models without a record were trained
    (BC5CDR devel held out); ``None`` (with a message) when those are missing."""
    from medkg.artifacts import ner_pipeline_folder
    from medkg.nlp.ner.recipes import NerCorpora, development_set, recorded_corpora

    records = []
    for model in models:
        meta = ner_pipeline_folder(Path(model)) / "meta.json"
        try:
            records.append(json.loads(meta.read_text(encoding="utf-8")).get("medkg", {}))
        except (OSError, ValueError):
            records.append({})  # not a model: the command's own check says so
    recorded = recorded_corpora(records)
    if recorded is not None:
        return development_set(recorded)
    corpora = NerCorpora.shared(settings.shared_data_dir, hold_out_devel=True)
    missing = corpora.missing()
    if missing:
        error_line(
            "no development corpora to calibrate on (missing "
            + ", ".join(map(str, missing))
            + "); use --no-calibrate"
        )
        return None
    return development_set(corpora)


ARCHS = ("logistic", "transformer", "document")


@app.command("relations")
def train_relations_cmd(
    train: Annotated[Path | None, typer.Option(help="PubTator file to train on.")] = None,
    exclude: Annotated[
        Path | None,
        typer.Option(
            help="PubTator file whose abstracts are left out of training (an evaluation set)."
        ),
    ] = None,
    arch: Annotated[
        str,
        typer.Option(
            help="'logistic' (sparse features, seconds), 'transformer' (fine-tuned MiniLM over "
            "sentence pairs with entity markers, about 9 min on 2 cores) or 'document' "
            "(fine-tuned MiniLM over whole abstracts, pairs across sentences too, about 40 min "
            "on 2 cores). The extractor uses document, else transformer, else logistic."
        ),
    ] = "logistic",
    epochs: Annotated[
        int | None, typer.Option(min=1, help="Epochs (transformer: 2, document: 12).")
    ] = None,
    max_steps: Annotated[
        int | None, typer.Option(min=1, help="Transformer or document: stop after this many steps.")
    ] = None,
    encoder: Annotated[
        str,
        typer.Option(
            help="Transformer or document: the encoder to fine-tune: 'default' (the packaged "
            "MiniLM), 'adapted' (what `medkg train encoder` wrote) or a folder."
        ),
    ] = "default",
    seed: Annotated[
        int | None,
        typer.Option(
            help="Transformer or document: random seed of the initial head, dropout and "
            "training order (default 13). The held-out abstracts that choose the threshold "
            "stay the same whatever the seed."
        ),
    ] = None,
    members: Annotated[
        int,
        typer.Option(
            min=1,
            help="Document: train this many models (seeds SEED, SEED+1, ...) and save them "
            "as one ensemble scored by their mean probability. Each member adds its training "
            "and scoring time (docs/results.md, Relations).",
        ),
    ] = 1,
    device: DeviceOption = None,
) -> None:
    """Train the chemical-induced-disease (CAUSES) classifier on BC5CDR's CID relations."""
    from medkg.nlp.corpora.pubtator import BC5CDR_DEV, BC5CDR_TRAIN, training_abstracts
    from medkg.nlp.relations.cid_models import FINETUNED
    from medkg.nlp.relations.training import train_cid_model

    if arch not in ARCHS:
        error_line(f"--arch: {arch!r} is not one of {', '.join(ARCHS)}")
        raise typer.Exit(2)
    if members > 1 and (arch not in FINETUNED or FINETUNED[arch].train_members is None):
        error_line(f"--members: the {arch} architecture has no ensemble (use --arch document)")
        raise typer.Exit(2)
    settings = get_settings()
    dev, _ = _device_and_precision(device, None, settings)
    train = train or settings.shared_data_dir / BC5CDR_TRAIN
    exclude = exclude or settings.shared_data_dir / BC5CDR_DEV
    files = ModelFiles.of(settings)
    if arch in FINETUNED:
        encoder = _encoder_choice(encoder, settings)
        with user_errors():
            docs = training_abstracts(train, exclude)
        _train_finetuned_cid(
            FINETUNED[arch], docs, epochs, max_steps, dev, files, encoder, seed, members
        )
        return
    with user_errors():
        clf = train_cid_model(train, exclude)
        path = files.cid
        clf.save(path)
    err_console.print(
        f"trained on {clf.meta['documents']} abstracts, "
        f"{clf.meta['candidates']} sentence pairs ({clf.meta['positives']} positive)"
    )
    console.print(f"CID classifier written to {path}")


def _train_finetuned_cid(
    arch: FineTunedCid, docs: list, epochs: int | None, max_steps: int | None, device: str,
    files: ModelFiles, encoder: str = "default", seed: int | None = None, members: int = 1,
) -> None:  # fmt: skip
    """Fine-tune the sentence-pair or the document CID model and move it in whole."""
    from medkg.artifacts import replace_folder

    cfg = arch.config(max_steps=max_steps, encoder=encoder)
    if epochs is not None:
        cfg.epochs = epochs
    if seed is not None:
        cfg.seed = seed
    target = arch.folder(files)
    with progress() as bar, user_errors():
        task = bar.add_task(f"fine-tuning the {arch.title}", total=None)

        def on_step(step: int, total: int, loss: float) -> None:
            bar.update(task, completed=step, total=total)

        if members > 1 and arch.train_members is not None:
            model = arch.train_members(docs, cfg, members, device=device, on_step=on_step)
        else:
            model = arch.train(docs, cfg, device=device, on_step=on_step)
        target.parent.mkdir(parents=True, exist_ok=True)
        # written whole beside the old model, then moved in: never half a model
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".cid-") as tmp:
            model.save(Path(tmp) / "model")
            replace_folder(Path(tmp) / "model", target)
    record = model.record
    err_console.print(
        f"trained on {record['documents']} abstracts ({record['pairs']} {arch.unit}, "
        f"{record['positives']} positive) in {record['seconds']} s; threshold "
        f"{model.threshold} (development F1 {record['dev_f1']:.3f} on "
        f"{record['dev_documents']} held-out training abstracts)"
    )
    console.print(f"{arch.title} written to {target}")


@app.command("linker")
def train_linker_cmd(
    train: Annotated[Path | None, typer.Option(help="PubTator file to learn from.")] = None,
    exclude: Annotated[
        Path | None,
        typer.Option(help="PubTator file whose abstracts are left out (an evaluation set)."),
    ] = None,
    dense: Annotated[
        bool,
        typer.Option(
            "--dense/--no-dense",
            help="Also encode every condition name with the text encoder, so that a "
            "disease no name matches links to the nearest name by meaning (minutes on "
            "CPU with the vocabularies; docs/decisions/0022).",
        ),
    ] = False,
) -> None:
    """Learn how annotators name diseases and chemicals (BC5CDR train: mention text ->
    the graph node carrying its MeSH id); the extractor's linker uses it first.
    Run after `medkg import vocabularies`, which gives the nodes their MeSH ids."""
    from medkg.nlp.corpora.pubtator import BC5CDR_DEV, BC5CDR_TRAIN, training_abstracts
    from medkg.nlp.learned_names import learn_names
    from medkg.nlp.lexicon import Lexicon

    settings = get_settings()
    train = train or settings.shared_data_dir / BC5CDR_TRAIN
    exclude = exclude or settings.shared_data_dir / BC5CDR_DEV
    with store_from_settings() as store:
        lexicon = Lexicon.from_store(store)  # read once: learning and encoding share it
        learned = learn_names(training_abstracts(train, exclude), store, lexicon)
        path = ModelFiles.of(settings).learned_names
        learned.save(path)
        meta = learned.meta
        console.print(
            f"learned {meta['names']:,} mention names and {meta['symbols']:,} abbreviations "
            f"from {meta['abstracts']} abstracts "
            f"({meta['texts_seen']:,} annotated texts with one graph node); written to {path}"
        )
    if dense:  # the extractor's lexicon: the graph's names plus the learned ones
        lexicon.learn(learned.names, learned.symbols)
        _build_dense_names(lexicon, settings)


def _build_dense_names(lexicon: Lexicon, settings: Settings) -> None:
    """Encode the lexicon's condition names (learned ones included) into
    ``models/linking/dense``, replacing the folder only once the new one is whole."""
    from medkg.artifacts import replace_folder
    from medkg.encoders.text import TextEncoder
    from medkg.nlp.dense_names import DenseNames, condition_keys

    keys = condition_keys(lexicon)
    if not keys:
        error_line("the graph names no diseases or symptoms: import Hetionet first")
        raise typer.Exit(1)
    encoder = TextEncoder(
        settings.text_model, device=settings.device, runtime=settings.text_runtime,
        cache_dir=settings.cache_dir,
    )  # fmt: skip
    with progress() as bar:
        task = bar.add_task("encoding condition names", total=len(keys))
        index = DenseNames.build(
            lexicon, encoder, keys, on_chunk=lambda done, _: bar.update(task, completed=done)
        )
    target = ModelFiles.of(settings).dense_names
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".dense-") as tmp:
        index.save(Path(tmp) / "index")
        replace_folder(Path(tmp) / "index", target)
    console.print(f"encoded {len(keys):,} condition names; written to {target}")


@app.command("image")
def train_image_cmd(
    npz: Annotated[
        Path | None, typer.Option(help="MedMNIST-format .npz (default: PneumoniaMNIST).")
    ] = None,
    epochs: Annotated[int, typer.Option(min=1)] = 8,
    device: DeviceOption = None,
    precision: PrecisionOption = None,
    full_width: Annotated[
        bool, typer.Option("--full-width", help="ResNet-18's own widths.")
    ] = False,
) -> None:
    """Train the image encoder (MONAI ResNet-18) on PneumoniaMNIST; prints test AUC/ACC."""
    from medkg.encoders.image import ImageEncoderConfig
    from medkg.encoders.image_train import save_image_encoder, train_image_encoder

    settings = get_settings()
    device, precision = _device_and_precision(device, precision, settings)
    npz = npz or settings.shared_data_dir / "pneumoniamnist" / "pneumoniamnist.npz"
    config = ImageEncoderConfig(widths=(64, 128, 256, 512)) if full_width else None
    with user_errors():
        if not npz.is_file():
            raise FileNotFoundError(f"{npz}: no such file")
        res = train_image_encoder(
            npz, epochs=epochs, device=device, config=config,
            precision=precision,
            on_epoch=lambda e, loss, auc: err_console.print(
                f"epoch {e + 1}/{epochs}: loss {loss:.3f}, val AUC {auc:.3f}"),
        )  # fmt: skip
        path = ModelFiles.of(settings).image_encoder
        save_image_encoder(res, npz, path)
    console.print(
        f"test AUC {res.test_auc:.3f}, accuracy {res.test_acc:.3f} on {res.device} "
        f"({res.precision}, {sum(res.epoch_seconds) / len(res.epoch_seconds):.1f} s/epoch); "
        f"model written to {path}"
    )


@app.command("graph")
def train_graph_cmd(
    steps: Annotated[int, typer.Option(min=1, help="Full-graph training steps.")] = 300,
    dim: Annotated[int, typer.Option(min=4)] = 64,
    layers: Annotated[int, typer.Option(min=0, max=4, help="0 = DistMult, no message passing")] = 2,
    conv: Annotated[str, typer.Option(help="Message-passing layer: sage, rgcn or hgt.")] = "sage",
    device: DeviceOption = None,
    precision: PrecisionOption = None,
) -> None:
    """Train the heterogeneous graph encoder by link prediction on the whole store."""
    from medkg.encoders.graph import CONVS
    from medkg.encoders.graph_export import export_hetero
    from medkg.encoders.graph_train import save_graph_encoder, train_link_prediction

    if conv not in CONVS:
        raise typer.BadParameter(f"--conv must be one of {', '.join(CONVS)}")
    settings = get_settings()
    device, precision = _device_and_precision(device, precision, settings)
    with store_from_settings() as store:
        data = export_hetero(store)
    edges = {et: data[et].edge_index for et in data.edge_types}
    if not edges:
        error_line("the graph has no edges: import Hetionet first")
        raise typer.Exit(1)
    with progress() as bar, user_errors():
        task = bar.add_task("training the graph encoder", total=steps)
        res = train_link_prediction(
            data,
            edges,
            dim=dim,
            layers=layers,
            epochs=steps,
            device=device,
            on_epoch=lambda e, loss: bar.advance(task),
            conv=conv,
            precision=precision,
        )
    path = ModelFiles.of(settings).graph_encoder
    save_graph_encoder(res, data, edges, path)
    console.print(
        f"graph encoder ({layers} {conv} layers, dim {dim}) trained on {res.device} "
        f"({res.precision}), "
        f"{sum(res.epoch_seconds) / steps:.2f} s/step; written to {path}"
    )


@app.command("fusion")
def train_fusion_cmd(
    task: Annotated[
        str, typer.Option(help="treatments, diagnosis or all.", case_sensitive=False)
    ] = "all",
    steps: Annotated[int, typer.Option(min=1, help="Training steps per model.")] = 300,
    csv: Annotated[
        Path | None,
        typer.Option(help="Diagnosis data: CSV with label,text (default: Symptom2Disease)."),
    ] = None,
    device: DeviceOption = None,
    precision: PrecisionOption = None,
) -> None:
    """Train the ranking models `recommend` and `diagnose` (CLI and API) then use."""
    from medkg.fusion.training import train_diagnosis, train_treatments

    task = task.lower()
    if task not in ("treatments", "diagnosis", "all"):
        raise typer.BadParameter("task must be treatments, diagnosis or all")
    settings = get_settings()
    device, precision = _device_and_precision(device, precision, settings)
    csv = csv or settings.shared_data_dir / "symptom2disease" / "Symptom2Disease.csv"
    with store_from_settings() as store, user_errors():
        if task in ("treatments", "all"):
            with progress() as bar:
                # the transfer model's steps, then half as many for the mechanism weights
                bar_task = bar.add_task("training the treatment ranker", total=steps + steps // 2)
                path, meta = train_treatments(
                    store, settings, steps=steps, on_step=lambda *_: bar.advance(bar_task)
                )
            console.print(
                f"treatment ranker: {meta['treated_diseases']} diseases with known drugs, "
                f"final loss {meta['final_loss']}; {meta['graph_encoder']}; mechanism term "
                f"scale {meta['mechanism_scale']:g} (chosen on held-out training diseases); "
                f"written to {path}"
            )
        if task in ("diagnosis", "all"):
            if not csv.is_file():
                raise FileNotFoundError(f"{csv}: no such file (give --csv)")
            from medkg.nlp.pipeline import Extractor

            with console.status("linking and encoding the training texts, then training..."):
                path, meta = train_diagnosis(
                    store, Extractor(store, settings), settings, csv, steps=steps,
                    device=device, precision=precision,
                )  # fmt: skip
            console.print(
                f"diagnosis model ({meta['graph']}) on {meta['device']} ({meta['precision']}, "
                f"{meta['train_seconds']:.1f} s): held-out top-1 "
                f"{meta['test_top1']:.3f}, top-5 {meta['test_top5']:.3f} "
                f"({meta['test_examples']} test descriptions); written to {path}"
            )
