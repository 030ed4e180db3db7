"""Shared fixtures: real embedded stores in temporary folders, real Hetionet data."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from medkg.kg.importers.hetionet import HetionetSource, import_hetionet
from medkg.kg.store.embedded import EmbeddedStore
from medkg.kg.store.fingerprint import store_fingerprint  # noqa: F401  (shared by tests)
from medkg.settings import Settings, get_settings

# In-process test apps answer at once; the warm start has its own tests.
os.environ.setdefault("MEDKG_WARM_START", "false")

SHARED = Path(os.environ.get("MEDKG_SHARED_DATA_DIR", Settings().shared_data_dir))
HETIONET = SHARED / "hetionet"

needs_hetionet = pytest.mark.skipif(
    not (HETIONET / "hetionet-v1.0-nodes.tsv").exists(),
    reason=f"Hetionet not found under {HETIONET} (set MEDKG_SHARED_DATA_DIR)",
)


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (``-n N``), each worker gets its share of the cores, so
    N workers of torch's default thread pool do not fight over the same ones."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0)
    if workers > 1:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


#: A GPU test's marks: ``cuda``, so ``pytest -m cuda`` runs all of them on a GPU
#: machine, and skipped (with the reason) where there is none.
CUDA_MARKS = (
    pytest.mark.cuda,
    pytest.mark.skipif(not _cuda_available(), reason="no CUDA device"),
)


def needs_cuda(test: Callable[..., None]) -> Callable[..., None]:
    """``@needs_cuda``: give a test ``CUDA_MARKS``."""
    for mark in CUDA_MARKS:
        test = mark(test)
    return test


#: ``@half_precision_cases``: a trainer test runs its half-precision branch on CPU
#: (bf16 autocast, the branch a GPU takes by default) and, where CUDA is present,
#: on the GPU with ``auto`` precision; arguments ``device`` and ``precision``.
half_precision_cases = pytest.mark.parametrize(
    ("device", "precision"),
    [("cpu", "bf16"), pytest.param("cuda", "auto", marks=CUDA_MARKS)],
)


#: Test files that take minutes, started first: with two workers (scripts/test.sh
#: runs ``-n 2 --dist loadfile``), a long file collected last would run alone at
#: the end while the other worker idles.
LONG_FIRST = ("tests/test_demo.py", "tests/nlp/test_bulk_ingest.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in LONG_FIRST)  # stable
    if os.environ.get("MEDKG_RUN_SLOW") or "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow test: run with -m slow or MEDKG_RUN_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", shared_data_dir=SHARED, backend="embedded")


@pytest.fixture
def store(settings: Settings) -> Iterator[EmbeddedStore]:
    s = EmbeddedStore(settings.graph_dir / "medkg.lbug", settings)
    yield s
    s.close()


@contextmanager
def hetionet_store(root: Path, **settings: object) -> Iterator[EmbeddedStore]:
    """A fresh, writable embedded store in ``root`` holding the whole shipped Hetionet.

    For module fixtures whose tests write (ingest): each module gets its own copy.
    """
    s = Settings(data_dir=root, shared_data_dir=SHARED, backend="embedded", **settings)
    store = EmbeddedStore(s.graph_dir / "medkg.lbug", s)
    try:
        import_hetionet(store, HetionetSource.from_dir(HETIONET))
        yield store
    finally:
        store.close()


@pytest.fixture(scope="session")
def slice_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """A real Hetionet slice (first 300 edges of each type); treat as read-only."""
    if not (HETIONET / "hetionet-v1.0-nodes.tsv").exists():
        pytest.skip(f"Hetionet not found under {HETIONET}")
    root = tmp_path_factory.mktemp("slice")
    s = Settings(data_dir=root, shared_data_dir=SHARED, backend="embedded")
    store = EmbeddedStore(s.graph_dir / "medkg.lbug", s)
    import_hetionet(store, HetionetSource.from_dir(HETIONET), max_edges_per_type=300)
    # All 755 treats edges too, so that the classic examples (metformin) are inside.
    full = HetionetSource.from_dir(HETIONET).read()
    treats = full.edges[("TREATS", "Drug", "Disease")]
    for label, idx in (("Drug", 0), ("Disease", 1)):
        ids = {pair[idx] for pair in treats}
        store.import_nodes(label, [full.nodes[label][i] for i in ids])
    store.import_edges("TREATS", "Drug", "Disease", list(treats.values()))
    yield store
    store.close()


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Point the CLI's process-wide settings at a temporary data folder."""
    monkeypatch.setenv("MEDKG_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("MEDKG_SHARED_DATA_DIR", str(SHARED))
    monkeypatch.setenv("MEDKG_BACKEND", "embedded")
    monkeypatch.delenv("NEO4J_URI", raising=False)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def vocab_inputs():  # type: ignore[no-untyped-def]
    """The vocabulary files from the installed packages, read once per session."""
    from medkg.kg.importers.vocabularies import read_inputs

    return read_inputs()


@pytest.fixture(scope="session")
def vocab_store(
    tmp_path_factory: pytest.TempPathFactory,
    vocab_inputs,  # type: ignore[no-untyped-def]
) -> Iterator[EmbeddedStore]:
    """A Hetionet slice plus every vocabulary (about a minute): the graph users get
    from the README's main command, at slice size. Tests may add documents and
    re-import; none removes anything."""
    from medkg.kg.importers.vocabularies import import_vocabularies

    if not (HETIONET / "hetionet-v1.0-nodes.tsv").exists():
        pytest.skip(f"Hetionet not found under {HETIONET}")
    root = tmp_path_factory.mktemp("vocab")
    s = Settings(data_dir=root, shared_data_dir=SHARED, backend="embedded")
    store = EmbeddedStore(s.graph_dir / "medkg.lbug", s)
    source = HetionetSource.from_dir(HETIONET)
    import_hetionet(store, source, max_edges_per_type=300)
    # Hetionet's edgeless side effect named like a disease (the search complaint),
    # its side effect named as a procedure is (decision 0041), and the one named
    # like MeSH's Hemorrhage (decision 0050)
    side_effects = source.read().nodes["SideEffect"]
    store.import_nodes(
        "SideEffect", [side_effects[i] for i in ("C0011860", "C0543467", "C0019080")]
    )
    summary, report = import_vocabularies(store, inputs=vocab_inputs)
    store.first_summary = summary  # type: ignore[attr-defined]
    store.report = report  # type: ignore[attr-defined]
    yield store
    store.close()



@pytest.fixture(scope="session")
def vocab_extractor(vocab_store: EmbeddedStore):  # type: ignore[no-untyped-def]
    """The extractor over :func:`vocab_store` (about 15 s to build): for tests
    that only extract; one that changes settings or learns names builds its own."""
    from medkg.nlp import Extractor

    return Extractor(vocab_store, vocab_store.settings)
