"""Benchmark: Hetionet import speed and peak memory.

Runs each variant in its own process (so peak RSS is that variant's alone) and
prints one table:

* ``embedded COPY`` - medkg's import into the embedded store (the product path),
  full shipped Hetionet, then a re-run that must add nothing;
* ``embedded UNWIND-MERGE`` - the named baseline: the same rows written with
  batched ``UNWIND ... MERGE`` Cypher (how the Neo4j backend writes), on the
  first N edges of each type so it ends in minutes;
* ``neo4j UNWIND-MERGE`` - the Neo4j backend, only when NEO4J_URI is set.

Target (issue 2): the full shipped graph into the embedded store in under 60 s.
Results go to ``bench/results/import_hetionet.json``.

    python bench/import_hetionet.py [--hetionet DIR] [--baseline-edges 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _results import write_results

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 60.0


def _child(variant: str, hetionet: str, per_type: int | None, data_dir: str) -> dict:
    """Run inside the child process: import and report timings."""
    from medkg.kg.importers.batch import import_batch
    from medkg.kg.importers.hetionet import HetionetSource
    from medkg.kg.store import open_store
    from medkg.kg.store.base import ImportCount
    from medkg.settings import Settings

    backend = "neo4j" if variant.startswith("neo4j") else "embedded"
    settings = Settings(data_dir=Path(data_dir), backend=backend)
    store = open_store(settings)
    if variant == "embedded-merge":
        _use_merge_writes(store)
    batch = HetionetSource(
        nodes=Path(hetionet) / "hetionet-v1.0-nodes.tsv", edges_dir=Path(hetionet) / "edges"
    ).read(per_type)
    t0 = time.perf_counter()
    summary = import_batch(store, batch)
    first = time.perf_counter() - t0
    t1 = time.perf_counter()
    again = import_batch(store, batch)
    rerun = time.perf_counter() - t1
    n, e = summary.totals()
    _, e2 = again.totals()
    store.close()
    assert isinstance(n, ImportCount)
    return {
        "nodes": batch.n_nodes,
        "edges": batch.n_edges,
        "created_nodes": n.created,
        "created_edges": e.created,
        "rerun_created_edges": e2.created,
        "seconds": first,
        "rerun_seconds": rerun,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _use_merge_writes(store) -> None:  # type: ignore[no-untyped-def]
    """Swap the embedded store's COPY path for batched UNWIND ... MERGE statements."""
    from medkg.kg.store.base import ImportCount, batched

    def import_nodes(label, rows):  # type: ignore[no-untyped-def]
        for chunk in batched(list(rows), 2_000):
            store.write(
                f"UNWIND $rows AS r MERGE (n:{label} {{id: r.id}}) SET n.name = r.name, "
                "n.source = r.source",
                {"rows": [dict(r) for r in chunk]},
            )
        return ImportCount(created=len(rows))

    def import_edges(rel, sl, el, rows):  # type: ignore[no-untyped-def]
        for chunk in batched(list(rows), 2_000):
            store.write(
                f"UNWIND $rows AS r MATCH (a:{sl} {{id: r.s}}), (b:{el} {{id: r.e}}) "
                f"MERGE (a)-[e:{rel}]->(b) SET e.source = r.source",
                {"rows": [{"s": r["start"], "e": r["end"], "source": r["source"]} for r in chunk]},
            )
        return ImportCount(created=len(rows))

    store.import_nodes = import_nodes
    store.import_edges = import_edges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_het = ROOT.parent / "shared" / "data" / "hetionet"
    parser.add_argument("--hetionet", default=str(default_het), help="shipped Hetionet folder")
    parser.add_argument(
        "--baseline-edges", type=int, default=5_000, help="edges per type for the baseline"
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "import_hetionet.json"))
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        variant, het, per_type, data_dir = args.child
        result = _child(variant, het, None if per_type == "all" else int(per_type), data_dir)
        print(json.dumps(result))
        return

    variants = [("embedded COPY (medkg)", "embedded-copy", "all")]
    variants.append(
        ("embedded UNWIND-MERGE (baseline)", "embedded-merge", str(args.baseline_edges))
    )
    if os.environ.get("NEO4J_URI"):
        variants.append(("neo4j UNWIND-MERGE (medkg)", "neo4j", "all"))
    rows = []
    for title, variant, per_type in variants:
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run(
                [sys.executable, __file__, "--child", variant, args.hetionet, per_type, tmp],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
        if proc.returncode != 0:
            print(f"{title}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        r["variant"] = title
        r["nodes_per_s"] = r["nodes"] / r["seconds"]
        r["edges_per_s"] = r["edges"] / r["seconds"]
        rows.append(r)

    header = (
        f"{'variant':34} {'nodes':>7} {'edges':>8} {'seconds':>8} {'nodes/s':>9} "
        f"{'edges/s':>9} {'re-run s':>8} {'peak MB':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['variant']:34} {r['nodes']:>7} {r['edges']:>8} {r['seconds']:>8.1f} "
            f"{r['nodes_per_s']:>9.0f} {r['edges_per_s']:>9.0f} {r['rerun_seconds']:>8.1f} "
            f"{r['peak_rss_mb']:>8.0f}"
        )
    if len(rows) >= 2:
        speedup = rows[0]["edges_per_s"] / rows[1]["edges_per_s"]
        print(f"\nmedkg COPY path vs UNWIND-MERGE baseline: {speedup:.1f}x edges/s")
    full = rows[0] if rows and rows[0]["variant"].startswith("embedded COPY") else None
    if full:
        verdict = (
            "PASS" if full["seconds"] < TARGET_S and full["rerun_created_edges"] == 0 else "FAIL"
        )
        print(f"target: full import < {TARGET_S:.0f} s and idempotent re-run: {verdict}")
    write_results(Path(args.out), {"results": rows})


if __name__ == "__main__":
    main()
