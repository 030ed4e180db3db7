"""Fine-tuning the transformer tagger: the training loop and its loss.

The recipe is the usual one for fine-tuning a pretrained encoder (AdamW,
linear warm-up then decay, a lower learning rate for the body than for the new
head, gradient clipping), run by a small PyTorch loop rather than spaCy's
trainer, which uses one learning rate for everything (docs/decisions/0007).
The epoch with the best development entity F1 is kept, then the decoder's
outside bias is calibrated on the same development set (:mod:`.calibration`).

Partial labels: NCBI-disease annotates diseases only, so its ``O`` words
include every chemical. :func:`allowed_tags` lets such a word be "``O`` or a
label its corpus does not annotate", and :func:`partial_label_loss` maximises
the probability of the allowed set instead of teaching the model that
"cisplatin" there is not a chemical.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from medkg.encoders.device import resolve_device
from medkg.encoders.precision import MixedPrecision
from medkg.encoders.schedule import warmup_linear_decay
from medkg.nlp.corpora.bio import BioSentence
from medkg.nlp.ner.calibration import calibrate_outside_bias
from medkg.nlp.ner.component import write_ner_pipeline
from medkg.nlp.ner.evaluation import tag_f1
from medkg.nlp.ner.features import Gazetteer, WordFeatureConfig
from medkg.nlp.ner.tagger import TokenTagger
from medkg.nlp.ner.tags import bio_tags, chunk_sentence


def allowed_tags(
    gold: Sequence[str], tags: Sequence[str], annotated: frozenset[str] | None, partial: bool
) -> np.ndarray:
    """``(words, tags)`` bool: which tags count as right for each word.

    A fully annotated word allows only its gold tag (plain cross-entropy). With
    ``partial``, a word its corpus left ``O`` may also carry any label that the
    corpus does not annotate: NCBI-disease's ``O`` words include every chemical,
    and teaching the model that "cisplatin" there is *not* a chemical is what
    mixing the corpora naively does.
    """
    index = {t: i for i, t in enumerate(tags)}
    out = np.zeros((len(gold), len(tags)), dtype=bool)
    others = (
        [i for i, t in enumerate(tags) if t != "O" and t[2:] not in annotated]
        if partial and annotated is not None
        else []
    )
    for w, g in enumerate(gold):
        out[w, index[g]] = True
        if g == "O" and others:
            out[w, others] = True
    return out


def partial_label_loss(logits: Any, allowed: Any) -> Any:
    """Mean over words of ``-log P(any allowed tag)``: the marginal likelihood of
    a partly annotated word (cross-entropy where one tag is allowed). Words
    with no allowed tag (padding, no piece) are left out."""
    valid = allowed.any(-1)
    if not bool(valid.any()):
        return logits.sum() * 0.0
    logits, allowed = logits[valid].float(), allowed[valid]
    total = logits.logsumexp(-1)
    kept = logits.masked_fill(~allowed, float("-inf")).logsumexp(-1)
    return (total - kept).mean()


@dataclass
class TrfNerConfig:
    encoder: str = "default"
    epochs: int = 5
    batch_size: int = 32
    lr_body: float = 1e-4
    lr_head: float = 1e-3
    warmup: float = 0.1
    weight_decay: float = 0.01
    freeze_layers: int = 0
    #: Case/shape/affix (and gazetteer, when one is given) features beside the
    #: transformer's. Off here; ``medkg train ner`` (:func:`.recipes.train_ner`)
    #: turns them on with the vocabulary gazetteer (docs/decisions/0020).
    word_features: bool = False
    #: Words a corpus left ``O`` may be a label it does not annotate
    #: (``allowed_tags``); ``False``: every ``O`` is a negative, as before.
    partial_labels: bool = True
    #: Choose the decoder's outside bias on the dev set after training
    #: (:mod:`.calibration`); ``False`` leaves it at 0.
    calibrate: bool = True
    seed: int = 0
    device: str = "auto"
    #: ``medkg.encoders.precision``: bf16 autocast on a GPU by default, fp32 on CPU.
    precision: str = "auto"


def _freeze(encoder: Any, layers: int) -> None:
    if layers <= 0:
        return
    for p in encoder.embeddings.parameters():
        p.requires_grad = False
    for layer in encoder.encoder.layer[:layers]:
        for p in layer.parameters():
            p.requires_grad = False


def train_transformer_ner(
    train: list[BioSentence],
    dev: list[BioSentence],
    output: Path,
    config: TrfNerConfig | None = None,
    progress: bool = True,
    gazetteer: Gazetteer | None = None,
    training_data: dict | None = None,
) -> tuple[Path, dict]:
    """Fine-tune, keep the epoch with the best dev entity F1, write a spaCy pipeline
    folder to ``output/model-best`` (through a temporary folder, so an interrupted
    run leaves no half-written model) and return it with its training log.

    ``gazetteer`` (names -> types) is saved inside the model, so the features
    it gives are the same when the model runs elsewhere. ``training_data`` (the
    corpora's paths and hashes, :meth:`.recipes.NerCorpora.record`) goes into
    the model's meta as it is."""
    cfg = config or TrfNerConfig()
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    device = resolve_device(cfg.device)
    mp = MixedPrecision.resolve(cfg.precision, device)
    tags = bio_tags()
    features = WordFeatureConfig() if cfg.word_features else None
    tagger = TokenTagger(cfg.encoder, tags, features=features, gazetteer=gazetteer).to(device)
    _freeze(tagger.encoder, cfg.freeze_layers)
    train_chunks = [c for s in train for c in chunk_sentence(s.words, s.tags, s.annotated)]
    dev_chunks = [c for s in dev for c in chunk_sentence(s.words, s.tags, s.annotated)]
    # What counts as right for each training word never changes: worked out once.
    train_allowed = [allowed_tags(c[1], tags, c[2], cfg.partial_labels) for c in train_chunks]
    body = [p for p in tagger.encoder.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(
        [
            {"params": body, "lr": cfg.lr_body},
            {"params": tagger.head_parameters(), "lr": cfg.lr_head},
        ],
        weight_decay=cfg.weight_decay,
    )
    # Batches of similar length (less padding), in shuffled order each epoch.
    by_len = sorted(range(len(train_chunks)), key=lambda i: len(train_chunks[i][0]))
    batches = [by_len[i : i + cfg.batch_size] for i in range(0, len(by_len), cfg.batch_size)]
    sched = warmup_linear_decay(optim, cfg.epochs * len(batches), cfg.warmup)
    log: list[dict] = []
    trained = [m for m in (tagger.encoder, tagger.head, tagger.embed) if m is not None]
    best_f1, best_state = -1.0, None
    step = 0
    for epoch in range(cfg.epochs):
        random.shuffle(batches)
        tagger.train(True)
        t0, running = time.perf_counter(), 0.0
        for b, idx in enumerate(batches):
            words = [train_chunks[i][0] for i in idx]
            wb = tagger.batch(words, device)
            allowed = np.zeros((*wb.index.shape, len(tags)), dtype=bool)
            for row, i in enumerate(idx):
                for w, j in enumerate(wb.firsts[row]):
                    if j >= 0:
                        allowed[row, w] = train_allowed[i][w]
            with mp.autocast():
                logits = tagger.logits(wb)
            loss = partial_label_loss(logits.float(), torch.from_numpy(allowed).to(device))
            mp.step(loss, optim, clip=([*body, *tagger.head_parameters()], 1.0))
            sched.step()
            step += 1
            running += loss.item()
            if progress and (b + 1) % 50 == 0:
                print(
                    f"epoch {epoch + 1} batch {b + 1}/{len(batches)} loss {running / (b + 1):.4f} "
                    f"({time.perf_counter() - t0:.0f} s)",
                    file=sys.stderr, flush=True,
                )  # fmt: skip
        train_s = time.perf_counter() - t0
        tagger.train(False)
        pred = tagger.predict([c[0] for c in dev_chunks], device)
        f1 = tag_f1([c[1] for c in dev_chunks], pred, [c[2] for c in dev_chunks])
        log.append(
            {"epoch": epoch + 1, "loss": running / len(batches), "dev_f1": f1, "train_s": train_s}
        )
        if progress:
            print(
                f"epoch {epoch + 1}: dev entity F1 {100 * f1:.2f} ({train_s:.0f} s)",
                file=sys.stderr,
            )
        if f1 > best_f1:
            best_f1 = f1
            best_state = [
                {k: v.detach().cpu().clone() for k, v in m.state_dict().items()} for m in trained
            ]
    assert best_state is not None
    for m, state in zip(trained, best_state, strict=True):
        m.load_state_dict(state)
    tagger.train(False)
    calibration = None
    if cfg.calibrate:
        calibration = calibrate_outside_bias(tagger, dev, device).as_record()
        if progress:
            print(
                f"outside bias {tagger.outside_bias:+.2f}: dev entity F1 "
                f"{100 * calibration['dev_f1']:.2f} (uncalibrated {100 * best_f1:.2f})",
                file=sys.stderr,
            )
    tagger.to("cpu")

    meta = {
        "config": asdict(cfg),
        "precision": mp.name,
        "gazetteer_names": len(tagger.gazetteer.names) if tagger.gazetteer else 0,
        "log": log,
        "dev_f1": best_f1,
        "calibration": calibration,
    }
    if training_data is not None:
        meta["training_data"] = training_data
    record = {"dev_f1": best_f1, "log": log, "calibration": calibration}
    return write_ner_pipeline(tagger, output, meta), record
