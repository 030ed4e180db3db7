"""Hetionet import on real rows: slice, idempotence, other layouts, bad input."""

from __future__ import annotations

import bz2
import gzip
import json
import shutil
from pathlib import Path

import pytest

from medkg.kg.importers.hetionet import (
    HetionetSource,
    ImportFormatError,
    import_hetionet,
)
from medkg.kg.store.embedded import EmbeddedStore
from tests.conftest import HETIONET, needs_hetionet

pytestmark = needs_hetionet


def _real_lines(path: Path, n: int) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        return [next(fh) for _ in range(n)]


@pytest.fixture
def small_dir(tmp_path: Path) -> Path:
    """A copy of real Hetionet rows: every node touched by 50 treats + 50 binds edges."""
    src = HetionetSource.from_dir(HETIONET).read(max_edges_per_type=50)
    out = tmp_path / "het"
    (out / "edges").mkdir(parents=True)
    kinds = {"Drug": "Compound", "Disease": "Disease", "Gene": "Gene"}
    with (out / "hetionet-v1.0-nodes.tsv").open("w") as fh:
        fh.write("id\tname\tkind\n")
        for label, kind in kinds.items():
            for node_id, row in src.nodes[label].items():
                fh.write(f"{kind}::{node_id}\t{row['name']}\t{kind}\n")
    for rel, start, end, fname in (
        ("TREATS", "Drug", "Disease", "Compound_Treats_Disease.tsv"),
        ("BINDS", "Drug", "Gene", "Compound_Binds_Gene.tsv"),
    ):
        with (out / "edges" / fname).open("w") as fh:
            fh.write(f":START_ID({kinds[start]})\t:END_ID({kinds[end]})\n")
            for s, e in src.edges[(rel, start, end)]:
                fh.write(f"{s}\t{e}\n")
    return out


def test_slice_import_counts_and_idempotence(store: EmbeddedStore, small_dir: Path) -> None:
    source = HetionetSource.from_dir(small_dir)
    summary = import_hetionet(store, source)
    nodes, edges = summary.totals()
    assert edges.created == 100 and nodes.created > 0
    before = store.stats()
    again = import_hetionet(store, source)
    n2, e2 = again.totals()
    assert (n2.created, e2.created, n2.updated) == (0, 0, 0)
    assert store.stats() == before
    assert before["relationships"]["TREATS"] == 50 and before["relationships"]["BINDS"] == 50


def test_interrupted_import_completes_on_rerun(store: EmbeddedStore, small_dir: Path) -> None:
    """Simulate a crash after the nodes and half the edge types, then re-run."""
    batch = HetionetSource.from_dir(small_dir).read()
    for label, rows in batch.nodes.items():
        store.import_nodes(label, list(rows.values()))
    store.import_edges(
        "TREATS", "Drug", "Disease", list(batch.edges[("TREATS", "Drug", "Disease")].values())
    )
    summary = import_hetionet(store, HetionetSource.from_dir(small_dir))
    assert summary.edges["BINDS"].created == 50 and summary.edges["TREATS"].created == 0
    assert store.stats()["relationships"]["BINDS"] == 50


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: (
                (d / "hetionet-v1.0-nodes.tsv").open("a").write("Disease::DOID:1\tonly two\n")
            ),
            "3 tab-separated",
        ),
        (
            lambda d: (
                (d / "hetionet-v1.0-nodes.tsv")
                .open("a")
                .write("Spaceship::X1\tEnterprise\tSpaceship\n")
            ),
            "unknown node kind",
        ),
        (lambda d: (d / "hetionet-v1.0-nodes.tsv").unlink(), "file not found"),
        (
            lambda d: (
                (d / "edges" / "Compound_Treats_Disease.tsv")
                .open("a")
                .write("DB99999\tDOID:9352\n")
            ),
            "no Drug node",
        ),
        (
            lambda d: (d / "edges" / "Compound_Binds_Gene.tsv").open("a").write("DB00331\n"),
            "two non-empty ids",
        ),
        (lambda d: shutil.rmtree(d / "edges"), "directory not found"),
    ],
    ids=[
        "malformed-row",
        "unknown-kind",
        "missing-file",
        "dangling-edge",
        "short-edge",
        "missing-dir",
    ],
)
def test_bad_input_errors_and_leaves_store_unchanged(
    store: EmbeddedStore, small_dir: Path, mutate, message: str
) -> None:
    import_hetionet(store, HetionetSource.from_dir(small_dir))
    before = store.stats()
    mutate(small_dir)
    with pytest.raises(ImportFormatError, match=message):
        import_hetionet(store, HetionetSource.from_dir(small_dir))
    assert store.stats() == before


def test_official_sif_and_json_layouts(
    store: EmbeddedStore, tmp_path: Path, small_dir: Path
) -> None:
    nodes = small_dir / "hetionet-v1.0-nodes.tsv"
    treats = _real_lines(small_dir / "edges" / "Compound_Treats_Disease.tsv", 6)[1:]
    sif = tmp_path / "hetionet-v1.0-edges.sif.gz"
    with gzip.open(sif, "wt") as fh:
        fh.write("source\tmetaedge\ttarget\n")
        for line in treats:
            s, e = line.split()
            fh.write(f"Compound::{s}\tCtD\tDisease::{e}\n")
    summary = import_hetionet(store, HetionetSource(nodes=nodes, sif=sif))
    assert summary.edges["TREATS"].created == 5

    graph = {
        "nodes": [
            {"kind": "Compound", "identifier": "DB00331", "name": "Metformin",
             "data": {"url": "http://www.drugbank.ca/drugs/DB00331", "source": "DrugBank"}},
            {"kind": "Gene", "identifier": 5468, "name": "PPARG",
             "data": {"description": "peroxisome proliferator activated receptor gamma"}},
            {"kind": "Disease", "identifier": "DOID:9352", "name": "type 2 diabetes mellitus"},
        ],
        "edges": [
            {"source_id": ["Disease", "DOID:9352"], "target_id": ["Gene", 5468],
             "kind": "associates", "direction": "both", "data": {}},
        ],
    }  # fmt: skip
    path = tmp_path / "hetionet-v1.0.json.bz2"
    path.write_bytes(bz2.compress(json.dumps(graph).encode()))
    summary = import_hetionet(store, HetionetSource.from_dir(tmp_path))
    assert summary.edges["ASSOCIATES"].created == 1
    assert store.get_node("5468")["description"].startswith("peroxisome")
    assert store.get_node("DB00331")["url"].endswith("DB00331")

    bad = tmp_path / "bad" / "hetionet-v1.0.json.bz2"
    bad.parent.mkdir()
    bad.write_bytes(b"not bzip2 at all")
    with pytest.raises(ImportFormatError, match="not a Hetionet JSON"):
        HetionetSource.from_dir(bad.parent).read()


def test_full_shipped_hetionet_import(store: EmbeddedStore) -> None:
    """All 47,031 nodes and 765,796 edges; a second run adds nothing (about 35 s)."""
    source = HetionetSource.from_dir(HETIONET)
    nodes, edges = import_hetionet(store, source).totals()
    assert (nodes.created, edges.created) == (47_031, 765_796)
    counts = store.stats()
    assert sum(counts["nodes"].values()) == 47_031
    assert sum(counts["relationships"].values()) == 765_796
    assert counts["relationships"]["TREATS"] == 755 and counts["relationships"]["PALLIATES"] == 390
    nodes2, edges2 = import_hetionet(store, source).totals()
    assert (nodes2.created, nodes2.updated, edges2.created) == (0, 0, 0)
    assert store.stats() == counts
