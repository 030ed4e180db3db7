"""Continued masked-language-model training of the text encoder on in-domain text.

The packaged MiniLM (all-MiniLM-L6-v2) was distilled and then tuned as a
*sentence* model: its token states were shaped to pool well, not to tag words.
Before the NER and the relation models fine-tune it, a few passes of masked
language modelling over biomedical text that is here (training abstracts,
ontology definitions) move it towards the domain's vocabulary and word-level
use, without any hub (Gururangan et al. 2020, "Don't Stop Pretraining": task-
and domain-adaptive pretraining).

The masked-word head is new (the sentence checkpoint has none; its decoder is
tied to the word embeddings), and the loss is computed on the masked positions
only (by arithmetic, roughly 40 % of a step saved). Whole words are masked
together (a word's pieces all or none), so a term is predicted from context,
not from its own other pieces. The result is a plain encoder folder
(``save_pretrained``) that any ``encoder`` setting accepts.
"""

from __future__ import annotations

import hashlib
import math
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from medkg.artifacts import replace_folder, save_json
from medkg.encoders.device import resolve_device
from medkg.encoders.schedule import warmup_linear_decay
from medkg.encoders.text import load_pretrained

#: Written beside the weights: how the folder was made.
ADAPTATION_FILE = "adaptation.json"


@dataclass
class AdaptationConfig:
    encoder: str = "default"
    #: Word pieces per training sequence ([CLS] and [SEP] included).
    max_len: int = 128
    batch_size: int = 32
    epochs: int = 2
    lr: float = 1e-4
    warmup: float = 0.06
    weight_decay: float = 0.01
    #: Share of words masked (BERT's 15 %); of those, 80 % become [MASK],
    #: 10 % a random piece, 10 % stay.
    mask_prob: float = 0.15
    #: Stop after this many steps (``None``: every epoch in full).
    max_steps: int | None = None
    seed: int = 0
    device: str = "auto"


def corpus_digest(texts: Sequence[str]) -> str:
    """Hash of the training text, recorded so two folders can be told apart."""
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:16]


def pack_sequences(texts: Sequence[str], tokenizer: Any, max_len: int) -> list[list[int]]:
    """Texts tokenised, joined by [SEP] and cut into blocks of ``max_len`` pieces.

    Packing wastes no compute on padding (abstracts and definitions vary from a
    few words to a few hundred); a block boundary may cut a text, which MLM
    tolerates. Blocks are cut at a word start, so no word is split in two."""
    body = max_len - 2
    stream: list[int] = []
    for text in texts:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        if ids:
            stream.extend(ids)
            stream.append(tokenizer.sep_token_id)
    pieces = tokenizer.convert_ids_to_tokens(stream)
    blocks: list[list[int]] = []
    start = 0
    while start < len(stream):
        end = min(start + body, len(stream))
        if end < len(stream):  # back off to the start of the word the cut would split
            cut = end
            while cut > start + 1 and pieces[cut].startswith("##"):
                cut -= 1
            end = cut
        blocks.append([tokenizer.cls_token_id, *stream[start:end], tokenizer.sep_token_id])
        start = end
    return blocks


def word_starts(pieces: Sequence[str]) -> list[int]:
    """Index of the word each piece belongs to (WordPiece: ``##`` continues)."""
    word, out = -1, []
    for p in pieces:
        if not p.startswith("##"):
            word += 1
        out.append(word)
    return out


def mask_words(
    block: Sequence[int], tokenizer: Any, prob: float, rng: random.Random
) -> tuple[list[int], list[int]]:
    """(input ids, labels) with whole words masked; labels are -100 where not
    predicted. Special tokens are never masked; at least one word is, so every
    sequence contributes to the loss."""
    special = {tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id}
    pieces = tokenizer.convert_ids_to_tokens(list(block))
    words = word_starts(pieces)
    candidates = sorted({words[i] for i, t in enumerate(block) if t not in special})
    if not candidates:
        return list(block), [-100] * len(block)
    n = max(1, round(prob * len(candidates)))
    chosen = set(rng.sample(candidates, min(n, len(candidates))))
    ids, labels = list(block), [-100] * len(block)
    vocab = tokenizer.vocab_size
    for i, t in enumerate(block):
        if t in special or words[i] not in chosen:
            continue
        labels[i] = t
        r = rng.random()
        if r < 0.8:
            ids[i] = tokenizer.mask_token_id
        elif r < 0.9:
            ids[i] = rng.randrange(vocab)
    return ids, labels


def _batch(
    blocks: Sequence[Sequence[int]], tokenizer: Any, prob: float, rng: random.Random
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    width = max(len(b) for b in blocks)
    ids = torch.full((len(blocks), width), tokenizer.pad_token_id, dtype=torch.long)
    labels = torch.full((len(blocks), width), -100, dtype=torch.long)
    attn = torch.zeros((len(blocks), width), dtype=torch.long)
    for r, b in enumerate(blocks):
        x, y = mask_words(b, tokenizer, prob, rng)
        ids[r, : len(x)] = torch.tensor(x)
        labels[r, : len(y)] = torch.tensor(y)
        attn[r, : len(x)] = 1
    return ids, labels, attn


def masked_lm_loss(mlm: Any, ids: torch.Tensor, labels: torch.Tensor, attn: torch.Tensor) -> Any:
    """Cross-entropy over the masked positions only: the vocabulary projection
    (30,522 x 384) of every position would cost about as much as the encoder's
    six layers, for no gradient on the unmasked words."""
    hidden = mlm.base_model(input_ids=ids, attention_mask=attn).last_hidden_state
    sel = labels != -100
    logits = mlm.cls(hidden[sel])
    return torch.nn.functional.cross_entropy(logits.float(), labels[sel])


def _masked_lm(encoder: str) -> tuple[str, Any, Any, Any]:
    """(path, tokenizer, the plain encoder, a masked-word model around a copy of
    its weights). The plain encoder is kept to save into: the masked-word model
    has no pooler, and a saved folder without one would load with a random one."""
    from transformers import AutoModelForMaskedLM

    path, tokenizer, base = load_pretrained(encoder, fast_tokenizer=True)
    local = Path(path).is_dir()
    mlm = AutoModelForMaskedLM.from_pretrained(path, local_files_only=local)
    if not hasattr(mlm, "cls"):
        raise ValueError(f"{encoder}: only BERT-style encoders (a 'cls' masked-word head) adapt")
    return path, tokenizer, base, mlm


def evaluate_masked_lm(
    mlm: Any, blocks: Sequence[Sequence[int]], tokenizer: Any, config: AdaptationConfig
) -> float:
    """Mean masked-word loss on held-out blocks, with a fixed masking seed so two
    models are scored on the same masks."""
    device = next(mlm.parameters()).device
    rng = random.Random(12345)
    mlm.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(blocks), config.batch_size):
            ids, labels, attn = _batch(blocks[i : i + config.batch_size], tokenizer,
                                       config.mask_prob, rng)  # fmt: skip
            loss = masked_lm_loss(mlm, ids.to(device), labels.to(device), attn.to(device))
            total += loss.item() * len(ids)
            n += len(ids)
    return total / max(1, n)


def adapt_encoder(
    texts: Sequence[str],
    output: Path,
    config: AdaptationConfig | None = None,
    held_out: Sequence[str] = (),
    on_step: Callable[[int, int, float], None] | None = None,
) -> dict:
    """Continue masked-word training of ``config.encoder`` on ``texts`` and save
    the encoder (without the head) and its tokenizer to ``output``.

    ``held_out`` texts are scored before and after (masked-word loss), which is
    how a user sees that the model learned the domain rather than the text.
    ``on_step(step, total, mean loss of the last 20 steps)`` reports progress.
    The folder is written through a temporary one: an interrupted run leaves
    the previous folder, if any, as it was. Returns the training record that is
    also saved as ``adaptation.json``."""
    cfg = config or AdaptationConfig()
    if not texts:
        raise ValueError("no text to adapt the encoder on")
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    device = resolve_device(cfg.device)
    source, tokenizer, base, mlm = _masked_lm(cfg.encoder)
    mlm.to(device)
    blocks = pack_sequences(texts, tokenizer, cfg.max_len)
    held = pack_sequences(held_out, tokenizer, cfg.max_len) if held_out else []
    before = evaluate_masked_lm(mlm, held, tokenizer, cfg) if held else None
    steps_per_epoch = math.ceil(len(blocks) / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    if cfg.max_steps is not None:
        total = min(total, cfg.max_steps)
    decay, no_decay = [], []
    for name, p in mlm.named_parameters():
        (no_decay if p.ndim < 2 or "LayerNorm" in name else decay).append(p)
    optim = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay},
         {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr,
    )  # fmt: skip
    sched = warmup_linear_decay(optim, total, cfg.warmup)
    rng = random.Random(cfg.seed)
    order = list(range(len(blocks)))
    losses: list[float] = []
    step, t0 = 0, time.perf_counter()
    mlm.train()
    while step < total:
        rng.shuffle(order)
        for i in range(0, len(order), cfg.batch_size):
            if step >= total:
                break
            chunk = [blocks[j] for j in order[i : i + cfg.batch_size]]
            ids, labels, attn = _batch(chunk, tokenizer, cfg.mask_prob, rng)
            loss = masked_lm_loss(mlm, ids.to(device), labels.to(device), attn.to(device))
            optim.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(mlm.parameters(), 1.0)
            optim.step()
            sched.step()
            step += 1
            losses.append(loss.item())
            if on_step is not None:
                recent = losses[-20:]
                on_step(step, total, sum(recent) / len(recent))
    after = evaluate_masked_lm(mlm, held, tokenizer, cfg) if held else None
    record = {
        "config": asdict(cfg),
        "source_encoder": source,
        "corpus_digest": corpus_digest(texts),
        "texts": len(texts),
        "sequences": len(blocks),
        "steps": step,
        "train_s": round(time.perf_counter() - t0, 1),
        "first_loss": losses[0] if losses else None,
        "last_loss": sum(losses[-20:]) / max(1, len(losses[-20:])),
        "held_out_loss_before": before,
        "held_out_loss_after": after,
    }
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".adapt-") as tmp:
        staged = Path(tmp) / "encoder"
        missing, unexpected = base.load_state_dict(mlm.base_model.state_dict(), strict=False)
        if unexpected or any(not k.startswith("pooler.") for k in missing):
            raise RuntimeError(f"adapted weights do not fit the encoder: {missing + unexpected}")
        base.save_pretrained(staged)
        tokenizer.save_pretrained(staged)
        save_json(staged / ADAPTATION_FILE, record, indent=2)
        replace_folder(staged, output)
    return record
