"""Bulk ingest: the Ray Data engine gives the same graph as the local engine, a
re-run writes nothing, an interrupted run resumes without extracting again, and
a note a worker fails on (an exception, or the worker process dying) is reported
by id while everything else is written.

Real parts throughout: the shipped Hetionet in an embedded store, real
MTSamples reports, the real extraction pipeline, a real local Ray cluster.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from medkg.kg.importers.hetionet import HetionetSource, import_hetionet
from medkg.kg.store.embedded import EmbeddedStore
from medkg.nlp.bulk_ingest import ingest_notes
from medkg.nlp.documents import NoteInput
from medkg.nlp.ingest import pending_notes
from medkg.nlp.pipeline import Extractor
from medkg.settings import Settings
from tests.conftest import HETIONET, SHARED, needs_hetionet, store_fingerprint

MTSAMPLES = SHARED / "mtsamples" / "mtsamples.csv"
pytestmark = [
    needs_hetionet,
    pytest.mark.skipif(not MTSAMPLES.exists(), reason="no MTSamples"),
]


def _notes(n: int) -> list[NoteInput]:
    with MTSAMPLES.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if (r.get("transcription") or "").strip()]
    return [NoteInput(f"mts-{i}", r["transcription"][:3000]) for i, r in enumerate(rows[:n])]


@pytest.fixture(scope="module")
def ray_session() -> Iterator[None]:
    """One local Ray cluster for the module (each call would otherwise start one)."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


Opener = Callable[[Path], AbstractContextManager[EmbeddedStore]]


@pytest.fixture(scope="module")
def fresh_store(tmp_path_factory: pytest.TempPathFactory) -> Opener:
    """Opens a new writable copy of one Hetionet slice (imported once per module)."""
    template = tmp_path_factory.mktemp("template")
    s = Settings(data_dir=template, shared_data_dir=SHARED, backend="embedded")
    store = EmbeddedStore(s.graph_dir / "medkg.lbug", s)
    import_hetionet(store, HetionetSource.from_dir(HETIONET), max_edges_per_type=2000)
    store.close()

    @contextmanager
    def open_copy(root: Path) -> Iterator[EmbeddedStore]:
        shutil.copytree(template, root)
        s = Settings(data_dir=root, shared_data_dir=SHARED, backend="embedded")
        copy = EmbeddedStore(s.graph_dir / "medkg.lbug", s)
        try:
            yield copy
        finally:
            copy.close()

    return open_copy


@pytest.fixture
def two_stores(
    fresh_store: Opener, tmp_path: Path
) -> Iterator[tuple[EmbeddedStore, EmbeddedStore]]:
    with fresh_store(tmp_path / "local") as a, fresh_store(tmp_path / "ray") as b:
        yield a, b


def test_ray_ingest_gives_the_local_graph_and_a_rerun_writes_nothing(
    ray_session: None, two_stores: tuple[EmbeddedStore, EmbeddedStore]
) -> None:
    local_store, ray_store = two_stores
    notes = _notes(6)
    local = ingest_notes(local_store, notes, local_store.settings, engine="local")
    remote = ingest_notes(
        ray_store, notes, ray_store.settings, engine="ray", processes=2, batch_size=2
    )
    assert local.created == remote.created == 6 and not remote.failures
    assert remote.facts == local.facts > 0 and remote.relations == local.relations
    assert store_fingerprint(ray_store) == store_fingerprint(local_store)
    before = store_fingerprint(ray_store)
    again = ingest_notes(ray_store, notes, ray_store.settings, engine="ray", processes=2)
    assert (again.created, again.replaced, again.unchanged, again.facts) == (0, 0, 6, 0)
    assert store_fingerprint(ray_store) == before


def test_failing_notes_are_reported_and_the_rest_written_then_resumed(
    ray_session: None, two_stores: tuple[EmbeddedStore, EmbeddedStore]
) -> None:
    """One note raises in Python, another kills its worker process outright (as
    a segfault or the OOM killer would): both are reported by id, the job ends,
    and the other notes are written."""
    reference, store = two_stores
    notes = _notes(5)
    raises, kills = notes[1].doc_id, notes[3].doc_id

    def failing_factory(lexicon, settings):  # type: ignore[no-untyped-def]
        # Defined here so that Ray ships it by value to its workers.
        import os

        class FailsOnTwoNotes(Extractor):
            def extract_batch(self, batch, **kwargs):  # type: ignore[no-untyped-def]
                ids = {n.doc_id for n in batch}
                if kills in ids:
                    os._exit(1)
                if raises in ids:
                    raise RuntimeError("worker fault on purpose")
                return super().extract_batch(batch, **kwargs)

        return FailsOnTwoNotes(None, settings, lexicon=lexicon)

    first = ingest_notes(
        store, notes, store.settings, engine="ray", processes=1, batch_size=5,
        factory=failing_factory,
    )  # fmt: skip
    errors = {f.doc_id: f.error for f in first.failures}
    assert set(errors) == {raises, kills}, errors
    assert "worker fault on purpose" in errors[raises]
    assert "worker process died" in errors[kills]
    assert first.created == 3
    stored = {r[0] for r in store.query("MATCH (d:Document) RETURN d.id").rows}
    assert stored == {n.doc_id for n in notes} - {raises, kills}
    # The re-run extracts only the notes that failed, and the graph is then the
    # graph of one clean run.
    todo, skipped = pending_notes(store, notes, Extractor(store, store.settings).version)
    assert {n.doc_id for n in todo} == {raises, kills} and skipped == 3
    second = ingest_notes(store, notes, store.settings, engine="ray", processes=1)
    assert (second.created, second.unchanged, second.failures) == (2, 3, [])
    ingest_notes(reference, notes, reference.settings, engine="local")
    assert store_fingerprint(store) == store_fingerprint(reference)


def test_local_ingest_resumes_after_an_interruption(fresh_store: Opener, tmp_path: Path) -> None:
    """Notes already stored with the same text and extractor are not extracted again."""
    with fresh_store(tmp_path / "g") as store:
        notes = _notes(4)
        ingest_notes(store, notes[:2], store.settings)  # the run that was interrupted
        seen: list[str] = []
        result = ingest_notes(
            store, notes, store.settings, on_document=lambda d: seen.append(d.doc_id)
        )
        assert (result.created, result.unchanged) == (2, 2)
        assert seen == [n.doc_id for n in notes[2:]]  # only these were extracted
        changed = [NoteInput(notes[0].doc_id, notes[0].text + " Denies fever."), *notes[1:]]
        result = ingest_notes(store, changed, store.settings)
        assert (result.replaced, result.unchanged) == (1, 3)


def test_an_unknown_engine_is_refused_before_anything_runs(store: EmbeddedStore) -> None:
    if True:
        with pytest.raises(ValueError, match="unknown engine 'spark'"):
            ingest_notes(store, _notes(1), store.settings, engine="spark")  # type: ignore[arg-type]
        assert store.query("MATCH (d:Document) RETURN count(d)").rows == [[0]]
