"""CAUSES decided per document: every chemical-disease entity pair of a note,
scored from one encoder pass over the whole text.

What: every chemical mention is wrapped in ``@ ... @`` and every disease
mention in ``# ... #``; the packaged MiniLM reads the marked text in chunks of
whole sentences (up to 510 word pieces each); an entity's vector is the
log-sum-exp of its mentions' opening-marker states wherever they occur; each
(chemical, disease) entity pair goes through a small head (a projection of
each entity with the document's context, then their product and difference)
to one logit. This is the entity-marker, pooled-mention design of
document-level relation extractors (ATLOP, Zhou et al. 2021), cut to what runs
on two CPU cores.

Why per document: a quarter of BC5CDR's CID relations are stated across
sentences ("Nifedipine was given. ... Two patients developed hypotension."),
which a sentence-pair classifier cannot see (recall cap 76 % on BC5CDR
devel); here every pair of the note is a candidate. It is also cheaper: one
encoder pass per chunk of text instead of one per mention pair.

Selection: the threshold with the best document-level F1 on abstracts held
out from the training file (after the last epoch); the evaluation file never
tunes the model. Figures: docs/results.md (Relations); decision 0017.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from medkg.nlp.corpora.pubtator import PtDocument
from medkg.nlp.metrics import PRF
from medkg.nlp.relations.finetuned import (
    FineTuneConfig,
    FineTunedEncoder,
    TrainingRecord,
    data_sha256,
    split_development,
)
from medkg.nlp.relations.hypernyms import (
    IsAncestor,
    ancestor_negatives,
    drop_ancestors,
    mesh_hierarchy,
)
from medkg.nlp.relations.training import DocPair, best_threshold, gold_pairs, pair_prf

#: The name written into each relation's evidence.
METHOD = "cid-document"
#: Word pieces per chunk, leaving room for [CLS] and [SEP] within 512 positions.
MAX_PIECES = 510
CHEMICAL, DISEASE = "chemical", "disease"
MARKER = {CHEMICAL: "@", DISEASE: "#"}

EntityPair = tuple[str, str]  # (chemical key, disease key)


@dataclass(frozen=True)
class EntityMention:
    """One mention the model marks: the entity keys it names (MeSH ids in
    training, graph node ids in the extractor; a composite mention such as
    "ovarian and breast cancer" names two), its role and its character span."""

    keys: tuple[str, ...]
    role: str
    start: int
    end: int


@dataclass
class Chunk:
    """Consecutive whole sentences, tokenised with their markers."""

    piece_ids: list[int]
    #: (entity keys, role, index of the opening marker's piece)
    marks: list[tuple[tuple[str, ...], str, int]] = field(default_factory=list)


@dataclass
class DocumentCidConfig(FineTuneConfig):
    epochs: int = 12  # 8 gave 55.58 on BC5CDR devel, 12 gave 57.13 (docs/results.md)
    lr: float = 5e-5
    #: Documents per optimiser step.
    batch_docs: int = 4
    #: Share of the steps spent warming the learning rate up (then linear decay).
    warmup: float = 0.06
    #: Hypernym filtering (relations/hypernyms.py): leave ancestor negatives out
    #: of the loss, and drop ancestor diseases from the predictions.
    hypernyms: bool = True


@dataclass
class DocumentTrainingRecord(TrainingRecord):
    arch: str = "document"
    steps: int = 0
    #: Negatives left out of the loss as ancestors of a positive (hypernyms.py).
    ancestor_negatives: int = 0


def marked_chunks(
    tokenizer: Any,
    text: str,
    sentences: Sequence[tuple[int, int]],
    mentions: Iterable[EntityMention],
    max_pieces: int = MAX_PIECES,
) -> list[Chunk]:
    """The text as chunks of whole sentences with every mention marked.

    Each sentence is marked and tokenised alone (a sentence longer than
    ``max_pieces`` is cut), then sentences are packed into chunks up to
    ``max_pieces``. Overlapping mentions are clipped so that markers never cross.
    """
    ordered = sorted(mentions, key=lambda m: (m.start, -m.end))
    chunks: list[Chunk] = []
    current = Chunk([])
    for s0, s1 in sentences:
        inside = [m for m in ordered if s0 <= m.start < s1]
        parts: list[str] = []
        at, marks = s0, []
        for m in inside:
            start, end = max(m.start, at), min(max(m.end, at), s1)
            parts.append(text[at:start])
            marks.append((sum(len(p) for p in parts), m))
            sign = MARKER[m.role]
            parts.append(f"{sign} {text[start:end]} {sign}")
            at = end
        parts.append(text[at:s1])
        enc = tokenizer("".join(parts), add_special_tokens=False, return_offsets_mapping=True)
        ids, offsets = enc["input_ids"][:max_pieces], enc["offset_mapping"][:max_pieces]
        first_piece = {a: j for j, (a, b) in reversed(list(enumerate(offsets))) if b > a}
        if current.piece_ids and len(current.piece_ids) + len(ids) > max_pieces:
            chunks.append(current)
            current = Chunk([])
        base = len(current.piece_ids) + 1  # +1: the [CLS] piece put in front
        for char_at, m in marks:
            if char_at in first_piece:  # else cut off by a sentence over max_pieces
                current.marks.append((m.keys, m.role, base + first_piece[char_at]))
        current.piece_ids += ids
    if current.piece_ids:
        chunks.append(current)
    for c in chunks:
        c.piece_ids = [tokenizer.cls_token_id, *c.piece_ids, tokenizer.sep_token_id]
    return chunks


def entity_pairs(chunks: Sequence[Chunk]) -> list[EntityPair]:
    """Every (chemical, disease) pair of entities marked in the chunks, sorted."""
    chems = sorted({k for c in chunks for keys, r, _ in c.marks if r == CHEMICAL for k in keys})
    diss = sorted({k for c in chunks for keys, r, _ in c.marks if r == DISEASE for k in keys})
    return [(c, d) for c in chems for d in diss]


class DocumentCid(FineTunedEncoder):
    """Encoder + entity pooling + pair head; see the module docstring."""

    method = METHOD

    def make_head(self, hidden: int) -> Any:
        nn = self.torch.nn
        return nn.ModuleDict({
            "chemical": nn.Linear(2 * hidden, hidden),
            "disease": nn.Linear(2 * hidden, hidden),
            "out": nn.Linear(4 * hidden, 1),
        })  # fmt: skip

    def chunks(
        self, text: str, sentences: Sequence[tuple[int, int]], mentions: Iterable[EntityMention]
    ) -> list[Chunk]:
        return marked_chunks(self.tokenizer, text, sentences, mentions)

    def pair_logits(self, chunks: Sequence[Chunk]) -> tuple[list[EntityPair], Any]:
        """The document's entity pairs and one logit each (None when it has no pair)."""
        torch = self.torch
        pairs = entity_pairs(chunks)
        if not pairs:
            return [], None
        width = max(len(c.piece_ids) for c in chunks)
        ids = torch.full((len(chunks), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(chunks), width), dtype=torch.long)
        for i, c in enumerate(chunks):
            ids[i, : len(c.piece_ids)] = torch.tensor(c.piece_ids)
            mask[i, : len(c.piece_ids)] = 1
        states = self.encoder(
            input_ids=ids.to(self.device), attention_mask=mask.to(self.device)
        ).last_hidden_state
        found: dict[tuple[str, str], list[Any]] = {}
        for i, c in enumerate(chunks):
            for keys, role, j in c.marks:
                for k in keys:
                    found.setdefault((role, k), []).append(states[i, j])
        entity = {k: torch.logsumexp(torch.stack(v), 0) for k, v in found.items()}
        context = states[:, 0].mean(0)
        chem = torch.stack([entity[(CHEMICAL, c)] for c, _ in pairs])
        dis = torch.stack([entity[(DISEASE, d)] for _, d in pairs])
        ctx = context.expand_as(chem)
        zc = torch.tanh(self.head["chemical"](torch.cat([chem, ctx], -1)))
        zd = torch.tanh(self.head["disease"](torch.cat([dis, ctx], -1)))
        joint = torch.cat([zc, zd, zc * zd, (zc - zd).abs()], -1)
        return pairs, self.head["out"](self.dropout(joint)).squeeze(-1)

    @property
    def filters_hypernyms(self) -> bool:
        """Drop a chemical's ancestor diseases from the predictions? (As trained;
        models saved before the option filter too: it only needs a hierarchy.)"""
        return bool(self.record.get("config", {}).get("hypernyms", True))

    def score_chunks(self, chunks: Sequence[Chunk]) -> dict[EntityPair, float]:
        torch = self.torch
        self.train(False)
        with torch.inference_mode():
            pairs, logits = self.pair_logits(chunks)
            if logits is None:
                return {}
            probs = torch.sigmoid(logits.float()).cpu().tolist()
        return dict(zip(pairs, probs, strict=True))

    def score(
        self, text: str, sentences: Sequence[tuple[int, int]], mentions: Iterable[EntityMention]
    ) -> dict[EntityPair, float]:
        """P(chemical causes disease) for every entity pair the mentions name."""
        return self.score_chunks(self.chunks(text, sentences, mentions))


# -- BC5CDR training and scoring ---------------------------------------------------------
@dataclass
class Prepared:
    """One PubTator abstract, tokenised with gold entities, and its pair labels."""

    doc: PtDocument
    chunks: list[Chunk]
    pairs: list[EntityPair]
    labels: list[float]
    #: Per pair: 0 for a negative whose disease is an ancestor of a positive
    #: disease of the same chemical (left out of the loss), else 1.
    weights: list[float]


def gold_mentions(doc: PtDocument) -> list[EntityMention]:
    """The abstract's chemical and disease mentions that carry MeSH ids."""
    roles = {"Chemical": CHEMICAL, "Disease": DISEASE}
    return [
        EntityMention(tuple(m.ids), roles[m.type], m.start, m.end)
        for m in doc.mentions
        if m.ids and m.type in roles
    ]


def prepare(
    model: DocumentCid, docs: Sequence[PtDocument], is_ancestor: IsAncestor | None = None
) -> list[Prepared]:
    """Tokenise each abstract once (sentences: spaCy's rule sentencizer, as
    :func:`.training.candidates` splits them); with ``is_ancestor``, ancestor
    negatives get weight 0."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    out = []
    for d, sp in zip(docs, nlp.pipe(d.text for d in docs), strict=True):
        sents = [(s.start_char, s.end_char) for s in sp.sents]
        chunks = model.chunks(d.text, sents, gold_mentions(d))
        pairs = entity_pairs(chunks)
        labels = [float(p in d.cid) for p in pairs]
        skip = (
            ancestor_negatives(pairs, labels, is_ancestor) if is_ancestor else [False] * len(pairs)
        )
        out.append(Prepared(d, chunks, pairs, labels, [0.0 if x else 1.0 for x in skip]))
    return out


def score_documents(model: DocumentCid, prepared: Sequence[Prepared]) -> list[dict]:
    """Each abstract's pair probabilities, in order."""
    return [model.score_chunks(p.chunks) for p in prepared]


def predicted_pairs(
    prepared: Sequence[Prepared],
    scores: Sequence[dict],
    threshold: float,
    is_ancestor: IsAncestor | None = None,
) -> set[DocPair]:
    """The (PubMed id, chemical id, disease id) pairs scored at or above
    ``threshold``; with ``is_ancestor``, less the ancestor diseases of each chemical."""
    out: set[DocPair] = set()
    for p, s in zip(prepared, scores, strict=True):
        kept = {pair for pair, x in s.items() if x >= threshold}
        if is_ancestor is not None:
            kept = drop_ancestors(kept, is_ancestor)
        out |= {(p.doc.pmid, c, d) for c, d in kept}
    return out


def document_prf(
    prepared: Sequence[Prepared],
    scores: Sequence[dict],
    threshold: float,
    is_ancestor: IsAncestor | None = None,
) -> PRF:
    """BC5CDR's document-level micro P/R/F1 of (chemical id, disease id) pairs."""
    return pair_prf(
        predicted_pairs(prepared, scores, threshold, is_ancestor),
        gold_pairs(p.doc for p in prepared),
    )


def train_document_cid(
    docs: Sequence[PtDocument],
    config: DocumentCidConfig | None = None,
    device: Any = "cpu",
    on_step: Callable[[int, int, float], None] | None = None,
) -> DocumentCid:
    """Fine-tune on the entity pairs of ``docs`` (PubTator abstracts with gold
    entities), leaving ``dev_share`` of them out to pick the threshold.
    ``on_step(step, total, loss)`` for progress."""
    import torch

    cfg = config or DocumentCidConfig()
    t0 = time.perf_counter()
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    order, dev_docs, train_docs = split_development(docs, cfg.dev_share, cfg.split_seed)
    model = DocumentCid(cfg.encoder, dropout=cfg.dropout).to(device)
    is_ancestor = mesh_hierarchy() if cfg.hypernyms else None
    train_set = [p for p in prepare(model, train_docs, is_ancestor) if p.pairs]
    dev_set = prepare(model, dev_docs)
    positives = int(sum(sum(p.labels) for p in train_set))
    if not positives:
        raise ValueError("no CID relations between marked entities in the training abstracts")
    steps_per_epoch = math.ceil(len(train_set) / cfg.batch_docs)
    total = steps_per_epoch * cfg.epochs
    if cfg.max_steps is not None:
        total = min(total, cfg.max_steps)
    warm = max(1, round(cfg.warmup * total))
    optim = torch.optim.AdamW(model.parameter_groups(cfg.lr, cfg.head_lr), weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (total - s) / total)
    )
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none")
    params = [*model.encoder.parameters(), *model.head.parameters()]
    losses: list[float] = []
    step = 0
    for _epoch in range(cfg.epochs):
        model.train(True)
        random.shuffle(train_set)
        for start in range(0, len(train_set), cfg.batch_docs):
            if step >= total:
                break
            batch = train_set[start : start + cfg.batch_docs]
            loss = torch.zeros((), device=device)
            for p in batch:
                _, logits = model.pair_logits(p.chunks)
                each = loss_fn(logits.float(), torch.tensor(p.labels, device=device))
                loss = loss + (each * torch.tensor(p.weights, device=device)).sum()
            loss = loss / max(1.0, sum(sum(p.weights) for p in batch))
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optim.step()
            schedule.step()
            losses.append(round(loss.item(), 4))
            step += 1
            if on_step:
                on_step(step, total, losses[-1])
    # The last epoch is kept (the schedule decays to it); the held-out abstracts
    # choose the threshold only: ~50 abstracts are too few to choose epochs by
    # (their F1 moved by 3 points between neighbouring epochs, decision 0017).
    dev_scores = score_documents(model, dev_set)
    model.threshold, dev_f1 = best_threshold(
        lambda t: document_prf(dev_set, dev_scores, t, is_ancestor).f1
    )
    model.record = asdict(DocumentTrainingRecord(
        config=asdict(cfg), documents=len(train_docs),
        dev_documents=len(dev_docs), pairs=sum(len(p.pairs) for p in train_set),
        positives=positives,
        ancestor_negatives=sum(w == 0 for p in train_set for w in p.weights),
        dev_f1=round(dev_f1, 4), steps=step, losses=losses,
        seconds=round(time.perf_counter() - t0, 1), data_sha256=data_sha256(order),
    ))  # fmt: skip
    model.train(False)
    return model
