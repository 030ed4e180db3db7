"""The document-level CID model on real BC5CDR abstracts: markers and chunks point
at the right pieces, training lowers the loss, a saved model scores the same
after loading, and the extractor calls CAUSES across sentences with it, cites
both sentences, and still makes no relation from a negated mention."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from medkg.artifacts import ModelFiles, update_json
from medkg.kg.store.embedded import EmbeddedStore
from medkg.nlp import Extractor, NoteInput
from medkg.nlp.corpora.pubtator import split_training_set
from medkg.nlp.documents import ExtractedDocument, ExtractedRelation
from medkg.nlp.ingest import ingest_documents
from medkg.nlp.relations.document_cid import (
    CHEMICAL,
    DISEASE,
    METHOD,
    DocumentCid,
    DocumentCidConfig,
    EntityMention,
    entity_pairs,
    marked_chunks,
    prepare,
    train_document_cid,
)
from medkg.settings import Settings
from tests.conftest import SHARED

BC5CDR = SHARED / "bc5cdr"
pytestmark = pytest.mark.skipif(
    not (BC5CDR / "CDR_TrainingSet.PubTator.txt").exists(), reason="no BC5CDR PubTator files"
)


def _loss(model: DocumentCid, prepared) -> float:  # type: ignore[no-untyped-def]
    import torch

    model.train(False)
    total, n = 0.0, 0
    with torch.inference_mode():
        for p in prepared:
            _, logits = model.pair_logits(p.chunks)
            target = torch.tensor(p.labels)
            total += float(
                torch.nn.functional.binary_cross_entropy_with_logits(
                    logits.float(), target, reduction="sum"
                )
            )
            n += len(p.labels)
    return total / n


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import torch

    train, _ = split_training_set(
        BC5CDR / "CDR_TrainingSet.PubTator.txt", BC5CDR / "CDR_DevelopmentSet.PubTator.txt"
    )
    docs = train[:24]
    torch.manual_seed(DocumentCidConfig().seed)
    fresh = DocumentCid()
    fixed = [p for p in prepare(fresh, docs[:8]) if p.pairs]
    before = _loss(fresh, fixed)
    model = train_document_cid(docs, DocumentCidConfig(epochs=2, max_steps=8))
    folder = tmp_path_factory.mktemp("cid") / "cid-document"
    model.save(folder)
    return model, folder, fixed, before


def _served_with_threshold_zero(folder: Path, tmp_path: Path) -> tuple[Settings, Path]:
    """Settings whose trained document model is a copy of ``folder`` with threshold 0:
    every affirmed drug-problem entity pair is kept, so what a test checks is the
    path (pairs across sentences, method, evidence, filters), not how well 8
    training steps learned. Returns the settings and the copy's folder."""
    settings = Settings(data_dir=tmp_path, shared_data_dir=SHARED)
    target = ModelFiles.of(settings).cid_document
    shutil.copytree(folder, target)
    update_json(target / "cid.json", {"threshold": 0.0})
    return settings, target


#: A cause one sentence apart from its drug, and the same with the condition denied.
CAUSE_NOTE = "Amiodarone was started in March. Two months later she developed hypothyroidism."
DENIED_NOTE = "Amiodarone was started in March. She denies hypothyroidism."


def _served_extractor(folder: Path, store: EmbeddedStore, tmp_path: Path, kind: type) -> Extractor:
    """The extractor over ``store`` serving the model in ``folder`` (threshold 0),
    checked to have loaded it as ``kind`` and to name it in its version."""
    settings, _ = _served_with_threshold_zero(folder, tmp_path)
    extractor = Extractor(store, settings)
    assert isinstance(extractor.classifier, kind)
    assert "+ciddoc-" in extractor.version
    return extractor


def _causes(extractor: Extractor, note: str) -> tuple[ExtractedDocument, list[ExtractedRelation]]:
    """The extracted document of ``note`` and its CAUSES relations."""
    (doc,) = extractor.extract([NoteInput("n", note)])
    return doc, [r for r in doc.relations if r.rel_type == "CAUSES"]


def test_chunks_hold_whole_sentences_and_marks_point_at_the_markers(trained) -> None:  # type: ignore[no-untyped-def]
    tok = trained[0].tokenizer
    text = "Cisplatin was given. Renal failure followed. Cisplatin was stopped."
    sents = [(0, 20), (21, 44), (45, 67)]
    mentions = [
        EntityMention(("C1",), CHEMICAL, 0, 9),
        EntityMention(("D1",), DISEASE, 21, 34),
        EntityMention(("C1",), CHEMICAL, 45, 54),
    ]
    (one,) = marked_chunks(tok, text, sents, mentions)
    pieces = tok.convert_ids_to_tokens(one.piece_ids)
    assert pieces[0] == tok.cls_token and pieces[-1] == tok.sep_token
    assert [pieces[j] for _, _, j in one.marks] == ["@", "#", "@"]
    assert [(keys, role) for keys, role, _ in one.marks] == [
        (("C1",), CHEMICAL), (("D1",), DISEASE), (("C1",), CHEMICAL),
    ]  # fmt: skip
    assert entity_pairs([one]) == [("C1", "D1")]
    # a small chunk size: one sentence per chunk, each mark still on its marker
    small = marked_chunks(tok, text, sents, mentions, max_pieces=12)
    assert len(small) == 3
    for chunk in small:
        (mark,) = chunk.marks
        assert tok.convert_ids_to_tokens(chunk.piece_ids)[mark[2]] in ("@", "#")
    assert entity_pairs(small) == [("C1", "D1")]  # the pair spans chunks


def test_training_on_real_abstracts_lowers_the_loss(trained) -> None:  # type: ignore[no-untyped-def]
    model, _, fixed, before = trained
    assert _loss(model, fixed) < before
    record = model.record
    assert record["arch"] == "document" and len(record["losses"]) == 8
    assert record["positives"] > 0 and record["pairs"] > record["positives"]
    assert 0 < model.threshold < 1 and len(record["data_sha256"]) == 64


def test_a_saved_model_scores_the_same_after_loading(trained) -> None:  # type: ignore[no-untyped-def]
    model, folder, fixed, _ = trained
    loaded = DocumentCid.load(folder)
    assert loaded.threshold == model.threshold and loaded.record == model.record
    for p in fixed[:3]:
        got, expected = loaded.score_chunks(p.chunks), model.score_chunks(p.chunks)
        assert got.keys() == expected.keys() == set(p.pairs)
        assert list(got.values()) == pytest.approx(list(expected.values()), abs=1e-5)


def test_the_extractor_calls_causes_across_sentences_and_cites_both(
    trained, slice_store: EmbeddedStore, store: EmbeddedStore, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    extractor = _served_extractor(trained[1], slice_store, tmp_path, DocumentCid)
    doc, (cause,) = _causes(extractor, CAUSE_NOTE)
    head, tail = doc.mentions[cause.head], doc.mentions[cause.tail]
    assert (head.text.lower(), tail.text.lower()) == ("amiodarone", "hypothyroidism")
    assert cause.method == METHOD and (head.sentence_index, tail.sentence_index) == (0, 1)
    # written to a store of its own (the slice is shared, read-only)
    store.import_nodes(head.node_label, [{"id": head.node_id, "name": head.text}])
    store.import_nodes(tail.node_label, [{"id": tail.node_id, "name": tail.text}])
    ingest_documents(store, [doc])
    (row,) = store.query(
        "MATCH (:Drug {id: $h})-[r:CAUSES]->(d {id: $t}) RETURN r.sentences",
        {"h": head.node_id, "t": tail.node_id},
    ).rows
    assert len(row[0]) == 2 and "hypothyroidism" in row[0][1]
    # a negated mention is never a fact, so it is never half of a relation
    assert not _causes(extractor, DENIED_NOTE)[1]


def test_cli_trains_the_document_model(cli_env: Settings) -> None:
    from typer.testing import CliRunner

    from medkg.cli import app

    files = ModelFiles.of(cli_env)
    result = CliRunner().invoke(
        app, ["train", "relations", "--arch", "document", "--max-steps", "1"]
    )
    assert result.exit_code == 0, result.stderr
    assert "CID document model written" in result.stdout
    loaded = DocumentCid.load(files.cid_document)
    assert loaded.record["arch"] == "document" and len(loaded.record["losses"]) == 1
    assert not list(files.cid_document.parent.glob(".cid-*"))  # no staging left behind


def test_the_extractor_keeps_a_chemicals_most_specific_disease(
    trained, vocab_store: EmbeddedStore, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Hypernym filtering over the graph's IS_A edges: with every pair scored
    above the threshold, "coronary artery disease" (the parent of myocardial
    infarction in the Disease Ontology) is dropped for the drug that the note says caused
    the infarction; a model trained without the filter keeps both."""
    settings, target = _served_with_threshold_zero(trained[1], tmp_path)
    note = (
        "Amiodarone was started in March. Two months later she had a myocardial "
        "infarction, and coronary artery disease was found."
    )

    def causes(extractor: Extractor) -> set[str]:
        (doc,) = extractor.extract([NoteInput("h", note)])
        return {
            doc.mentions[r.tail].text.lower() for r in doc.relations if r.rel_type == "CAUSES"
        }

    extractor = Extractor(vocab_store, settings)
    assert extractor._is_ancestor("DOID:3393", "DOID:5844")  # coronary artery disease > MI
    assert causes(extractor) == {"myocardial infarction"}
    record = DocumentCid.load(target).record
    update_json(target / "cid.json", {"config": {**record["config"], "hypernyms": False}})
    assert causes(Extractor(vocab_store, settings)) == {
        "myocardial infarction", "coronary artery disease",
    }  # fmt: skip


# -- seed ensembles (nlp/relations/document_ensemble.py) --------------------------------
@pytest.fixture(scope="module")
def ensemble(trained, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A second member of another seed on the same 24 abstracts, joined to the first."""
    from medkg.nlp.relations.document_ensemble import join_document_models

    first = trained[0]
    docs = split_training_set(
        BC5CDR / "CDR_TrainingSet.PubTator.txt", BC5CDR / "CDR_DevelopmentSet.PubTator.txt"
    )[0][:24]
    second = train_document_cid(docs, DocumentCidConfig(epochs=2, max_steps=8, seed=14))
    joined = join_document_models([first, second], docs)
    folder = tmp_path_factory.mktemp("cid-ensemble") / "cid-document"
    joined.save(folder)
    return joined, folder, docs


def test_an_ensemble_scores_the_mean_of_its_members_and_keeps_it_saved(
    trained, ensemble
) -> None:  # type: ignore[no-untyped-def]
    from medkg.nlp.relations.document_ensemble import DocumentCidEnsemble, load_document_model

    joined, folder, _ = ensemble
    first, second = joined.members
    fixed = trained[2]
    assert second.record["config"]["seed"] == 14 and first.record["config"]["seed"] == 13
    # the same held-out abstracts (split seed), so one threshold fits the mean
    assert second.record["data_sha256"] == first.record["data_sha256"]
    assert joined.record["seeds"] == [13, 14] and joined.record["dev_documents"] == 2
    assert 0 < joined.threshold < 1
    a, b = first.score_chunks(fixed[0].chunks), second.score_chunks(fixed[0].chunks)
    assert a != b  # other seeds, other scores
    mean = joined.score_chunks(fixed[0].chunks)
    assert list(mean.values()) == pytest.approx([(a[k] + b[k]) / 2 for k in mean], abs=1e-6)
    loaded = load_document_model(folder)
    assert isinstance(loaded, DocumentCidEnsemble) and loaded.threshold == joined.threshold
    assert list(loaded.score_chunks(fixed[1].chunks).values()) == pytest.approx(
        list(joined.score_chunks(fixed[1].chunks).values()), abs=1e-5
    )
    assert isinstance(load_document_model(trained[1]), DocumentCid)  # one model stays one


def test_members_trained_apart_are_not_joined(trained, ensemble) -> None:  # type: ignore[no-untyped-def]
    """Another held-out split, or other abstracts, would let the ensemble's threshold
    be chosen on text a member trained on: refused with a reason."""
    from medkg.nlp.relations.document_ensemble import join_document_models

    first, second = ensemble[0].members
    docs = ensemble[2]
    other_split = DocumentCid.load(trained[1])
    other_split.record["config"]["split_seed"] = 99
    with pytest.raises(ValueError, match="hold out different"):
        join_document_models([first, other_split], docs)
    with pytest.raises(ValueError, match="not the ones"):
        join_document_models([first, second], docs[1:])


def test_the_extractor_runs_a_saved_ensemble_and_names_it_in_evidence(
    ensemble, slice_store: EmbeddedStore, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from medkg.nlp.relations.document_ensemble import METHOD as ENSEMBLE_METHOD
    from medkg.nlp.relations.document_ensemble import DocumentCidEnsemble

    extractor = _served_extractor(ensemble[1], slice_store, tmp_path, DocumentCidEnsemble)
    _, (cause,) = _causes(extractor, CAUSE_NOTE)
    assert cause.method == ENSEMBLE_METHOD
    assert not _causes(extractor, DENIED_NOTE)[1]


def test_cli_refuses_members_for_an_architecture_without_ensembles(cli_env: Settings) -> None:
    from typer.testing import CliRunner

    from medkg.cli import app

    result = CliRunner().invoke(app, ["train", "relations", "--members", "2"])
    assert result.exit_code == 2 and "--members" in result.stderr
    assert "Traceback" not in result.stderr
    assert not ModelFiles.of(cli_env).cid.exists()


def test_cli_trains_an_ensemble_of_seeds(cli_env: Settings, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from medkg.cli import app
    from medkg.nlp.relations.document_ensemble import DocumentCidEnsemble, load_document_model

    blocks = (BC5CDR / "CDR_TrainingSet.PubTator.txt").read_text().split("\n\n")
    small = tmp_path / "small.PubTator.txt"
    small.write_text("\n\n".join(blocks[:12]) + "\n\n")
    files = ModelFiles.of(cli_env)
    result = CliRunner().invoke(
        app,
        ["train", "relations", "--arch", "document", "--members", "2", "--seed", "5",
         "--max-steps", "1", "--train", str(small)],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    model = load_document_model(files.cid_document)
    assert isinstance(model, DocumentCidEnsemble) and model.record["seeds"] == [5, 6]
    assert [m.record["steps"] for m in model.members] == [1, 1]
    assert (files.cid_document / "member-1" / "head.pt").is_file()
    assert not list(files.cid_document.parent.glob(".cid-*"))
