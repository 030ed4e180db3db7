"""The chemical-induced-disease (CAUSES) classifier as a fine-tuned transformer.

What: the packaged MiniLM (the encoder the NER fine-tunes) reads a sentence in
which the chemical is wrapped in ``@ ... @`` and the disease in ``# ... #``
(typed-marker input, Zhou and Chen 2021); the states of the two opening markers,
concatenated, go through a linear layer to one logit: the probability that this
sentence says the chemical induces the disease. Document-level pairs are called
when any of their sentence pairs scores at or above the threshold, as for the
logistic regression (:mod:`.training`), so both are evaluated the same way.

Why markers and their states: the encoder must know *which* chemical and which
disease the question is about when a sentence names several, and the marker
states are where it gathers that (the representation that published CID
systems found best). Why the threshold is chosen on a development split carved
from the training abstracts by document: the evaluation file must never tune
the model (``bench/relation_eval.py`` scores it on BC5CDR devel).

Saved layout: :mod:`.finetuned` (shared with the document model).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from medkg.nlp.corpora.pubtator import PtDocument
from medkg.nlp.relations.finetuned import (
    CONFIG_FILE,
    FineTuneConfig,
    FineTunedEncoder,
    TrainingRecord,
    data_sha256,
    split_development,
)
from medkg.nlp.relations.training import Candidate, best_threshold, candidates, evaluate_cid

__all__ = ["CONFIG_FILE", "TransformerCid", "TransformerCidConfig", "train_transformer_cid"]
#: The name written into each relation's evidence.
METHOD = "cid-transformer"
#: Characters kept either side of the pair: long sentences are cut to a window.
CONTEXT_CHARS = 250
MAX_PIECES = 160

Pair = tuple[str, tuple[int, int], tuple[int, int]]  # sentence, chemical span, disease span


@dataclass
class TransformerCidConfig(FineTuneConfig):
    batch_size: int = 16
    #: 1: also train on pairs across two neighbouring sentences (see ``candidates``).
    window: int = 0


def mark(sentence: str, chem: tuple[int, int], dis: tuple[int, int]) -> tuple[str, int, int]:
    """The sentence (cut to a window around the pair) with the markers in, and
    the character offsets of the chemical's and the disease's opening marker."""
    lo = max(0, min(chem[0], dis[0]) - CONTEXT_CHARS)
    hi = min(len(sentence), max(chem[1], dis[1]) + CONTEXT_CHARS)
    text = sentence[lo:hi]
    spans = sorted([(chem[0] - lo, chem[1] - lo, "@"), (dis[0] - lo, dis[1] - lo, "#")])
    out, at, starts = [], 0, {}
    for start, end, sign in spans:
        start, end = max(start, at), max(end, at)  # overlapping mentions: no crossing
        out.append(text[at:start])
        starts[sign] = sum(len(p) for p in out)
        out.append(f"{sign} {text[start:end]} {sign}")
        at = end
    out.append(text[at:])
    return "".join(out), starts["@"], starts["#"]


class TransformerCid(FineTunedEncoder):
    """Encoder + linear head over the two marker states; see the module docstring."""

    method = METHOD

    def make_head(self, hidden: int) -> Any:
        return self.torch.nn.Linear(2 * hidden, 1)

    def logits(self, pairs: Sequence[Pair]) -> Any:
        torch = self.torch
        marked = [mark(*p) for p in pairs]
        enc = self.tokenizer(
            [m[0] for m in marked], padding=True, truncation=True, max_length=MAX_PIECES,
            return_offsets_mapping=True, return_tensors="pt",
        )  # fmt: skip
        offsets = enc.pop("offset_mapping")
        index = torch.zeros((len(pairs), 2), dtype=torch.long)
        for row, (_, at_chem, at_dis) in enumerate(marked):
            starts = offsets[row, :, 0].tolist()
            ends = offsets[row, :, 1].tolist()
            for col, at in enumerate((at_chem, at_dis)):
                hit = [j for j, (a, b) in enumerate(zip(starts, ends, strict=True))
                       if a == at and b > a]  # fmt: skip
                index[row, col] = hit[0] if hit else 0  # cut by truncation: [CLS]
        hidden = self.encoder(**enc.to(self.device)).last_hidden_state
        idx = index.to(self.device).unsqueeze(-1).expand(-1, -1, hidden.shape[-1])
        states = hidden.gather(1, idx).flatten(1)
        return self.head(self.dropout(states)).squeeze(-1)

    def probabilities(self, pairs: Sequence[Pair], batch_size: int = 32) -> list[float]:
        torch = self.torch
        out: list[float] = []
        self.train(False)
        with torch.inference_mode():
            for start in range(0, len(pairs), batch_size):
                logits = self.logits(pairs[start : start + batch_size]).float()
                out += torch.sigmoid(logits).cpu().tolist()
        return out

    def probability(self, sentence: str, chem: tuple[int, int], dis: tuple[int, int]) -> float:
        """One pair: what :func:`.rules.find_relations` asks of any CID classifier."""
        return self.probabilities([(sentence, chem, dis)])[0]


def train_transformer_cid(
    docs: Sequence[Any],
    config: TransformerCidConfig | None = None,
    device: Any = "cpu",
    on_step: Callable[[int, int, float], None] | None = None,
) -> TransformerCid:
    """Fine-tune on the sentence pairs of ``docs`` (PubTator abstracts with gold
    entities), leaving ``dev_share`` of the abstracts out to pick the epoch and
    the threshold (document-level F1). ``on_step(step, total, loss)`` for progress."""
    import torch

    cfg = config or TransformerCidConfig()
    t0 = time.perf_counter()
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    order, dev_docs, train_docs = split_development(docs, cfg.dev_share, cfg.split_seed)
    cands = list(candidates(list(train_docs), cfg.window))
    positives = sum(k.label for k in cands)
    if not cands or not positives:
        raise ValueError("no positive CID sentence pairs in the training abstracts")
    dev_cands = list(candidates(list(dev_docs), cfg.window))

    model = TransformerCid(cfg.encoder, dropout=cfg.dropout).to(device)
    optim = torch.optim.AdamW(model.parameter_groups(cfg.lr, cfg.head_lr), weight_decay=0.01)
    pos_weight = torch.tensor((len(cands) - positives) / positives, device=device)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    steps_per_epoch = (len(cands) + cfg.batch_size - 1) // cfg.batch_size
    total = steps_per_epoch * cfg.epochs
    if cfg.max_steps is not None:
        total = min(total, cfg.max_steps)
    losses: list[float] = []
    best: tuple[float, float, dict] | None = None
    step = 0
    for _epoch in range(cfg.epochs):
        model.train(True)
        random.shuffle(cands)
        for start in range(0, len(cands), cfg.batch_size):
            if step >= total:
                break
            batch = cands[start : start + cfg.batch_size]
            logits = model.logits([(k.sentence, k.chem, k.dis) for k in batch])
            target = torch.tensor([float(k.label) for k in batch], device=device)
            loss = loss_fn(logits.float(), target)
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.encoder.parameters(), 1.0)
            optim.step()
            losses.append(round(loss.item(), 4))
            step += 1
            if on_step:
                on_step(step, total, losses[-1])
        threshold, f1 = _choose_threshold(model, dev_docs, dev_cands)
        if best is None or f1 > best[1]:
            best = (threshold, f1, model.snapshot())
        if step >= total:
            break
    assert best is not None
    model.restore(best[2])
    model.threshold = best[0]
    model.record = asdict(TrainingRecord(
        config=asdict(cfg), documents=len(train_docs), dev_documents=len(dev_docs),
        pairs=len(cands), positives=positives, dev_f1=round(best[1], 4),
        losses=losses, seconds=round(time.perf_counter() - t0, 1),
        data_sha256=data_sha256(order),
    ))  # fmt: skip
    model.train(False)
    return model


def _choose_threshold(
    model: TransformerCid, dev_docs: list[PtDocument], dev_cands: list[Candidate]
) -> tuple[float, float]:
    """The threshold with the best document-level F1 on the development abstracts."""
    probs = model.probabilities([(k.sentence, k.chem, k.dis) for k in dev_cands])
    by_pair = {(k.sentence, k.chem, k.dis): p for k, p in zip(dev_cands, probs, strict=True)}

    def scorer(k: Candidate) -> float:
        return by_pair[(k.sentence, k.chem, k.dis)]

    return best_threshold(lambda t: evaluate_cid(dev_docs, scorer, t, cands=dev_cands).f1)
