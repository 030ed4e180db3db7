"""A fine-tuned transformer NER, packaged as a spaCy pipeline component.

What: a Hugging Face encoder (the packaged MiniLM by default) with a linear BIO
tag head over each word's first word piece, fine-tuned on the same corpora and
split as the spaCy NER (``ner_train``), and saved as a normal spaCy pipeline
folder whose ``ner`` component is ``medkg_transformer_ner``; the extractor
loads it like any other NER model.

Why: the project's NER target is scispaCy's published ``en_ner_bc5cdr_md``
(83.92 F1), built on PubMed word vectors this machine cannot download. Frozen
MiniLM features under spaCy's CNN tok2vec (``trf_features``) reach about 80;
fine-tuning the transformer itself is what moves contextual encoders from
feature extraction to state of the art on NER. spaCy's own route
(spacy-transformers) pins transformers 4.x, and spaCy's trainer uses one
learning rate for everything, far too high for a pretrained transformer; a
small PyTorch loop with the usual recipe (AdamW, warm-up, linear decay, lower
rate for the body than the head) is shorter than working around both. The
bottom layers can stay frozen (``freeze_layers``) to save backward passes on
CPU.

Optionally (``TrfNerConfig.word_features``) each word's own case/shape, affix
and gazetteer features (``word_features``) sit beside its encoder vector.

Like spaCy's NER, the component keeps entities already set (the graph-name
rulers run before it and give linked ids) and adds only non-overlapping ones.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from medkg.kg.extract.bio import BioSentence, entity_spans
from medkg.kg.extract.trf_features import max_pieces, sentence_chunks
from medkg.kg.extract.word_features import (
    FeatureEmbed,
    Gazetteer,
    WordFeatureConfig,
    feature_ids,
    gazetteer_tag_names,
)

LABELS = ("CHEMICAL", "DISEASE")
#: Words per encoded chunk; sentences are cut here so no chunk passes 512 pieces.
MAX_WORDS = 128


def bio_tags(labels: Sequence[str] = LABELS) -> list[str]:
    return ["O"] + [f"{p}-{lab}" for lab in labels for p in ("B", "I")]


def bio_transitions(tags: Sequence[str]) -> np.ndarray:
    """``allowed[a, b]``: may tag ``b`` follow tag ``a``? Row ``len(tags)`` is the start."""
    n = len(tags)
    allowed = np.ones((n + 1, n), dtype=bool)
    for b, tb in enumerate(tags):
        if tb.startswith("I-"):
            for a in range(n + 1):
                ta = tags[a] if a < n else "O"
                allowed[a, b] = ta[2:] == tb[2:] and ta != "O"
    return allowed


def viterbi(scores: np.ndarray, allowed: np.ndarray) -> list[int]:
    """Best tag path for ``(words, tags)`` log-scores under the allowed transitions."""
    n_words, n_tags = scores.shape
    if n_words == 0:
        return []
    penalty = np.where(allowed, 0.0, -1e9)
    best = scores[0] + penalty[n_tags]
    back = np.zeros((n_words, n_tags), dtype=np.int64)
    for w in range(1, n_words):
        cand = best[:, None] + penalty[:n_tags]  # (previous, next)
        back[w] = cand.argmax(0)
        best = cand.max(0) + scores[w]
    path = [int(best.argmax())]
    for w in range(n_words - 1, 0, -1):
        path.append(int(back[w, path[-1]]))
    return path[::-1]


def decode(
    log_probs: Sequence[np.ndarray], tags: Sequence[str], outside_bias: float = 0.0
) -> list[list[str]]:
    """The best valid BIO sequence per chunk (``viterbi`` under ``bio_transitions``).

    ``outside_bias`` is added to every word's ``O`` score first: the decoder's
    threshold, chosen per model on development data (``ner_calibration``)."""
    allowed = bio_transitions(tags)
    outside = list(tags).index("O")
    out = []
    for scores in log_probs:
        if outside_bias:
            scores = np.array(scores, dtype=np.float64, copy=True)
            scores[:, outside] += outside_bias
        out.append([tags[k] for k in viterbi(scores, allowed)])
    return out


@dataclass
class WordBatch:
    """A tokenised batch and where each word sits in it."""

    enc: Any  # the tokenizer's BatchEncoding, on the device
    firsts: list[list[int]]  # per chunk, each word's first piece (-1: none)
    index: Any  # (chunks, words) long: first piece, 0 where there is none
    features: Any | None  # (chunks, words, 4) long feature ids, or None


class TokenTagger:
    """Encoder + linear head over each word's first piece, optionally beside
    the word's own features (``word_features``)."""

    def __init__(
        self,
        encoder_name: str,
        tags: list[str],
        dropout: float = 0.1,
        features: WordFeatureConfig | None = None,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        import torch

        from medkg.encoders.text import load_pretrained

        self.torch = torch
        self.tags = tags
        #: Added to the ``O`` score before decoding (``ner_calibration``); 0 = none.
        self.outside_bias = 0.0
        _, self.tokenizer, self.encoder = load_pretrained(encoder_name, fast_tokenizer=True)
        hidden = int(self.encoder.config.hidden_size)
        self.dropout = torch.nn.Dropout(dropout)
        self.features = features
        self.gazetteer = gazetteer if features else None
        self.embed = (
            FeatureEmbed(features, len(gazetteer_tag_names(self.gazetteer))) if features else None
        )
        width = hidden + (self.embed.out_dim if self.embed is not None else 0)
        self.head = torch.nn.Linear(width, len(tags))
        self.max_pieces = max_pieces(self.encoder)

    def modules(self) -> list[Any]:
        extra = [self.embed] if self.embed is not None else []
        return [self.encoder, self.head, self.dropout, *extra]

    def head_parameters(self) -> list[Any]:
        """Parameters trained from scratch (the head's learning rate)."""
        params = list(self.head.parameters())
        if self.embed is not None:
            params += list(self.embed.parameters())
        return params

    def to(self, device: Any) -> TokenTagger:
        for m in self.modules():
            m.to(device)
        return self

    def train(self, mode: bool = True) -> None:
        for m in self.modules():
            m.train(mode)

    def batch(self, chunks: Sequence[Sequence[str]], device: Any) -> WordBatch:
        """Tokenise ``chunks`` (lists of words) and locate each word's first piece
        (-1 for a word with no piece, e.g. cut by truncation)."""
        torch = self.torch
        enc = self.tokenizer(
            [list(c) for c in chunks], is_split_into_words=True, padding=True,
            truncation=True, max_length=self.max_pieces, return_tensors="pt",
        )  # fmt: skip
        firsts = []
        for row, words in enumerate(chunks):
            first = [-1] * len(words)
            for j, w in enumerate(enc.word_ids(row)):
                if w is not None and first[w] < 0:
                    first[w] = j
            firsts.append(first)
        width = max((len(c) for c in chunks), default=0)
        index = torch.zeros((len(chunks), width), dtype=torch.long)
        for row, first in enumerate(firsts):
            for w, j in enumerate(first):
                if j >= 0:
                    index[row, w] = j
        feats = None
        if self.features is not None:
            feats = torch.zeros((len(chunks), width, 4), dtype=torch.long)
            for row, words in enumerate(chunks):
                if words:
                    ids = feature_ids(words, self.features, self.gazetteer)
                    feats[row, : len(words)] = torch.tensor(ids, dtype=torch.long)
            feats = feats.to(device)
        return WordBatch(enc.to(device), firsts, index.to(device), feats)

    def logits(self, batch: WordBatch) -> Any:
        """``(chunks, words, tags)`` scores; rows of words without a piece are junk
        (``batch.firsts`` is -1 there)."""
        hidden = self.encoder(**batch.enc).last_hidden_state
        words = hidden.gather(1, batch.index.unsqueeze(-1).expand(-1, -1, hidden.shape[-1]))
        if self.embed is not None and batch.features is not None:
            words = self.torch.cat([words, self.embed(batch.features).to(words.dtype)], -1)
        return self.head(self.dropout(words))

    def log_probs(
        self, chunks: Sequence[Sequence[str]], device: Any, batch_size: int = 32
    ) -> list[np.ndarray]:
        """``(words, tags)`` log-probabilities per chunk; a word with no piece
        (cut by truncation) is certain to be ``O``."""
        torch = self.torch
        out: list[np.ndarray] = [np.zeros((0, len(self.tags))) for _ in chunks]
        order = sorted(range(len(chunks)), key=lambda i: len(chunks[i]))
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                wb = self.batch([chunks[i] for i in idx], device)
                logp = torch.log_softmax(self.logits(wb).float(), -1).cpu().numpy()
                for row, i in enumerate(idx):
                    scores = logp[row, : len(wb.firsts[row])].copy()
                    for w, j in enumerate(wb.firsts[row]):
                        if j < 0:
                            scores[w] = -1e4
                            scores[w, 0] = 0.0  # "O"
                    out[i] = scores
        return out

    def predict(
        self, chunks: Sequence[Sequence[str]], device: Any, batch_size: int = 32
    ) -> list[list[str]]:
        """BIO tags per word of each chunk: the best *valid* tag sequence (no ``I-X``
        after ``O`` or another type) under the per-word log-probabilities, by
        Viterbi."""
        return decode(self.log_probs(chunks, device, batch_size), self.tags, self.outside_bias)

    def save(self, folder: Path, config: dict) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(folder / "encoder")
        self.tokenizer.save_pretrained(folder / "encoder")
        self.torch.save(self.head.state_dict(), folder / "head.pt")
        meta = {
            **config, "tags": self.tags, "features": None, "gazetteer": False,
            "outside_bias": self.outside_bias,
        }  # fmt: skip
        if self.embed is not None and self.features is not None:
            self.torch.save(self.embed.state_dict(), folder / "features.pt")
            meta["features"] = asdict(self.features)
        if self.gazetteer is not None:
            self.gazetteer.save(folder / "gazetteer.json")
            meta["gazetteer"] = True
        (folder / "tagger.json").write_text(json.dumps(meta, indent=1))

    @classmethod
    def load(cls, folder: Path) -> TokenTagger:
        """Load a saved tagger; folders from before word features (or before
        calibration: no bias) load unchanged."""
        import torch

        meta = json.loads((folder / "tagger.json").read_text())
        features = WordFeatureConfig(**meta["features"]) if meta.get("features") else None
        gazetteer = Gazetteer.load(folder / "gazetteer.json") if meta.get("gazetteer") else None
        tagger = cls(str(folder / "encoder"), meta["tags"], features=features, gazetteer=gazetteer)
        tagger.head.load_state_dict(torch.load(folder / "head.pt", map_location="cpu"))
        tagger.outside_bias = float(meta.get("outside_bias", 0.0))
        if tagger.embed is not None:
            tagger.embed.load_state_dict(torch.load(folder / "features.pt", map_location="cpu"))
        tagger.train(False)
        return tagger


def _chunk_sentence(
    words: Sequence[str],
    tags: Sequence[str] | None = None,
    annotated: frozenset[str] | None = None,
) -> Iterator[tuple]:
    """``(words, tags, annotated labels)`` pieces of at most ``MAX_WORDS`` words."""
    for i in range(0, len(words), MAX_WORDS):
        part = tuple(tags[i : i + MAX_WORDS]) if tags else None
        yield tuple(words[i : i + MAX_WORDS]), part, annotated


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


# -- spaCy component ---------------------------------------------------------------


@Language.factory(
    "medkg_transformer_ner",
    assigns=["doc.ents"],
    default_config={"batch_size": 32},
)
def make_transformer_ner(nlp: Language, name: str, batch_size: int) -> TransformerNer:
    return TransformerNer(name, batch_size)


class TransformerNer:
    """spaCy component: predicts CHEMICAL/DISEASE spans, keeping entities already set."""

    def __init__(self, name: str, batch_size: int = 32) -> None:
        self.name = name
        self.batch_size = batch_size
        self.tagger: Any = None  # a TokenTagger or a TaggerEnsemble
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
            taken = {i for e in existing for i in range(e.start, e.end)}
            new = [s for s in filter_spans(found) if not taken & set(range(s.start, s.end))]
            doc.set_ents(sorted(existing + new, key=lambda s: s.start))
        return docs

    def to_disk(self, path: Path, exclude: Iterable[str] = ()) -> None:
        if self.tagger is None:
            raise ValueError(f"{self.name}: nothing to save")
        self.tagger.save(Path(path), {})

    def from_disk(self, path: Path, exclude: Iterable[str] = ()) -> TransformerNer:
        """Load one tagger, or an ensemble of them (a folder with ``ensemble.json``)."""
        from medkg.kg.extract.tagger_ensemble import ENSEMBLE_FILE, TaggerEnsemble

        path = Path(path)
        if (path / ENSEMBLE_FILE).is_file():
            self.tagger = TaggerEnsemble.load(path)
        else:
            self.tagger = TokenTagger.load(path)
        return self


# -- training ----------------------------------------------------------------------


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
    #: transformer's. Off by default: +0.45 F1 on BC5CDR devel but -1.6 on
    #: NCBI-disease test at 3 epochs (docs/results.md).
    word_features: bool = False
    #: Words a corpus left ``O`` may be a label it does not annotate
    #: (``allowed_tags``); ``False``: every ``O`` is a negative, as before.
    partial_labels: bool = True
    #: Choose the decoder's outside bias on the dev set after training
    #: (``ner_calibration``); ``False`` leaves it at 0.
    calibrate: bool = True
    seed: int = 0
    device: str = "auto"
    #: ``medkg.encoders.precision``: bf16 autocast on a GPU by default, fp32 on CPU.
    precision: str = "auto"


def _entity_f1(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    annotated: Sequence[frozenset[str] | None] | None = None,
) -> float:
    """Micro entity F1; a chunk's predictions of labels its corpus does not
    annotate are not counted (as ``bench/ner_eval.py`` scores NCBI-disease)."""
    tp = fp = fn = 0
    for k, (g, p) in enumerate(zip(gold, pred, strict=True)):
        gs, ps = entity_spans(list(g)), entity_spans(list(p))
        labels = annotated[k] if annotated is not None else None
        if labels is not None:
            ps = {e for e in ps if e[0] in labels}
        tp += len(gs & ps)
        fp += len(ps - gs)
        fn += len(gs - ps)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


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
) -> tuple[Path, dict]:
    """Fine-tune, keep the epoch with the best dev entity F1, write a spaCy pipeline
    folder to ``output/model-best`` (through a temporary folder, so an interrupted
    run leaves no half-written model) and return it with its training log.

    ``gazetteer`` (names -> types) is saved inside the model, so the features
    it gives are the same when the model runs elsewhere."""
    import torch

    from medkg.encoders.device import resolve_device
    from medkg.encoders.precision import MixedPrecision

    cfg = config or TrfNerConfig()
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    device = resolve_device(cfg.device)
    mp = MixedPrecision.resolve(cfg.precision, device)
    tags = bio_tags()
    features = WordFeatureConfig() if cfg.word_features else None
    tagger = TokenTagger(cfg.encoder, tags, features=features, gazetteer=gazetteer).to(device)
    _freeze(tagger.encoder, cfg.freeze_layers)
    train_chunks = [c for s in train for c in _chunk_sentence(s.words, s.tags, s.annotated)]
    dev_chunks = [c for s in dev for c in _chunk_sentence(s.words, s.tags, s.annotated)]
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
    total = cfg.epochs * len(batches)
    warm = max(1, int(cfg.warmup * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
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
        f1 = _entity_f1([c[1] for c in dev_chunks], pred, [c[2] for c in dev_chunks])
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
        from medkg.kg.extract.ner_calibration import calibrate_outside_bias

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
    record = {"dev_f1": best_f1, "log": log, "calibration": calibration}
    return write_ner_pipeline(tagger, output, meta), record


def write_ner_pipeline(tagger: Any, output: Path, meta: dict) -> Path:
    """Write ``tagger`` (a ``TokenTagger`` or ``TaggerEnsemble``) as a spaCy pipeline
    folder ``output/model-best`` and return that path.

    Written into a temporary folder beside ``output`` and moved into place at
    the end, so an interrupted run never leaves a half-written model where the
    extractor would load it (and a model being replaced stays whole until then).
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".ner-train-") as tmp:
        nlp = spacy.blank("en")
        component = nlp.add_pipe("medkg_transformer_ner", name="ner")
        component.tagger = tagger
        nlp.meta["name"] = "medkg_transformer_ner"
        nlp.meta["medkg"] = meta
        (Path(tmp) / "out").mkdir()
        nlp.to_disk(Path(tmp) / "out/model-best")
        if output.exists():
            shutil.rmtree(output)
        shutil.move(str(Path(tmp) / "out"), output)
    return output / "model-best"
