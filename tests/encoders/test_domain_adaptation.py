"""In-domain masked-word training of the packaged MiniLM, on real text, a few steps."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from medkg.encoders.domain_adaptation import (
    ADAPTATION_FILE,
    AdaptationConfig,
    adapt_encoder,
    mask_words,
    pack_sequences,
    word_starts,
)
from medkg.encoders.text import load_pretrained
from medkg.nlp.corpora.adaptation_text import (
    adaptation_corpus,
    obo_definitions,
    plain_texts,
)
from medkg.nlp.corpora.pubtator import BC5CDR_DEV, BC5CDR_TRAIN, read_pubtator
from tests.conftest import SHARED

pytestmark = pytest.mark.skipif(
    not (SHARED / BC5CDR_TRAIN).is_file(), reason="BC5CDR PubTator files not in the shared data"
)


@pytest.fixture(scope="module")
def tokenizer():  # type: ignore[no-untyped-def]
    return load_pretrained("default", fast_tokenizer=True)[1]


@pytest.fixture(scope="module")
def abstracts() -> list[str]:
    return [d.text for d in read_pubtator(SHARED / BC5CDR_TRAIN)[:40]]


def test_packed_blocks_cover_the_text_and_never_split_a_word(tokenizer, abstracts) -> None:  # type: ignore[no-untyped-def]
    blocks = pack_sequences(abstracts[:10], tokenizer, max_len=64)
    sep = tokenizer.sep_token_id
    stream = [t for text in abstracts[:10]
              for t in [*tokenizer(text, add_special_tokens=False)["input_ids"], sep]]  # fmt: skip
    assert len(blocks) > 10 and all(len(b) <= 64 for b in blocks)
    assert all(b[0] == tokenizer.cls_token_id and b[-1] == tokenizer.sep_token_id for b in blocks)
    assert [t for b in blocks for t in b[1:-1]] == stream  # nothing lost, nothing repeated
    firsts = tokenizer.convert_ids_to_tokens([b[1] for b in blocks])
    assert not any(p.startswith("##") for p in firsts)


def test_whole_words_are_masked_together_and_specials_never(tokenizer, abstracts) -> None:  # type: ignore[no-untyped-def]
    block = pack_sequences(abstracts[:1], tokenizer, max_len=128)[0]
    pieces = tokenizer.convert_ids_to_tokens(block)
    words = word_starts(pieces)
    rng = random.Random(0)
    masked_share = []
    for _ in range(20):
        ids, labels = mask_words(block, tokenizer, 0.15, rng)
        predicted = [i for i, y in enumerate(labels) if y != -100]
        assert predicted and labels[0] == -100 and labels[-1] == -100
        assert all(labels[i] == block[i] for i in predicted)
        hit = {words[i] for i in predicted}
        # every piece of a chosen word is predicted, no piece of another word is
        inner = range(1, len(block) - 1)
        assert {i for i in inner if words[i] in hit} == set(predicted)
        assert sum(ids[i] == tokenizer.mask_token_id for i in predicted) >= 0.5 * len(predicted)
        masked_share.append(len(hit) / (words[-2] + 1))
    assert 0.10 < sum(masked_share) / len(masked_share) < 0.20


def test_adapting_lowers_held_out_loss_and_saves_a_loadable_encoder(  # type: ignore[no-untyped-def]
    tmp_path, abstracts
) -> None:
    out = tmp_path / "adapted"
    cfg = AdaptationConfig(max_len=64, batch_size=8, max_steps=6, lr=3e-4, device="cpu")
    steps: list[int] = []
    record = adapt_encoder(abstracts[:30], out, cfg, held_out=abstracts[30:34],
                           on_step=lambda s, total, loss: steps.append(s))  # fmt: skip
    # the masked-word head starts untrained: a few steps already predict held-out words better
    assert record["held_out_loss_after"] < record["held_out_loss_before"] - 0.5
    assert steps == list(range(1, 7)) and record["steps"] == 6
    saved = json.loads((out / ADAPTATION_FILE).read_text())
    assert saved["corpus_digest"] == record["corpus_digest"] and saved["texts"] == 30
    _, tok, model = load_pretrained(str(out), fast_tokenizer=True)
    assert type(model).__name__ == "BertModel" and tok.vocab_size == 30522
    base = load_pretrained("default")[2]
    changed = [n for n, p in model.state_dict().items()
               if not (p == base.state_dict()[n]).all()]  # fmt: skip
    assert any("encoder.layer" in n for n in changed)  # the encoder itself moved
    # the masked-word model has no pooler: the saved folder keeps the original one
    assert not any(n.startswith("pooler.") for n in changed)
    from transformers import AutoModel

    _, info = AutoModel.from_pretrained(out, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]


def test_a_failed_adaptation_leaves_the_previous_folder(tmp_path, abstracts) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "adapted"
    out.mkdir()
    (out / "keep.txt").write_text("previous")
    with pytest.raises(ValueError, match="no text"):
        adapt_encoder([], out, AdaptationConfig(max_steps=1))
    assert (out / "keep.txt").read_text() == "previous"


def test_adaptation_corpus_reads_no_evaluation_text() -> None:
    corpus = adaptation_corpus(SHARED)
    assert set(corpus.sources) >= {"bc5cdr-train-abstracts", "ncbi-disease-train"}
    dev = {d.text for d in read_pubtator(SHARED / BC5CDR_DEV)}
    assert len(corpus.sources["bc5cdr-train-abstracts"]) == 500
    assert not dev & set(corpus.sources["bc5cdr-train-abstracts"])
    defs = corpus.sources.get("hpo-definitions", [])
    assert not defs or len(defs) > 10_000


def test_obo_definitions_and_plain_texts(tmp_path: Path) -> None:
    obo = tmp_path / "t.obo"
    obo.write_text('[Term]\nid: HP:1\ndef: "A \\"quoted\\" sign." [PMID:1]\n\n[Term]\nid: HP:2\n')
    assert obo_definitions(obo) == ['A "quoted" sign.']
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.txt").write_text("First note.\n\n\nSecond note,\nsame paragraph.\n")
    (notes / "b.md").write_text("not read")
    assert plain_texts(notes) == ["First note.", "Second note,\nsame paragraph."]
    (notes / "c.txt").write_bytes(b"\xff\xfe bad")
    with pytest.raises(ValueError, match="not UTF-8"):
        plain_texts(notes)
    with pytest.raises(ValueError, match="no such file"):
        plain_texts(tmp_path / "missing")
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(ValueError, match="no text found"):
        plain_texts(tmp_path / "empty.txt")
