"""Benchmark: treatment recommendation on held-out Hetionet Compound-treats-Disease edges.

The treats edges are split **by disease** (20 % of diseases, seed 0): a test
disease has none of its treatments in the graph the models see. Every model
ranks all drugs for each test disease. Rows, in this run, on the same split:

* ``drug degree`` - the named baseline: drugs ranked by how many training
  diseases they treat (popularity);
* ``DistMult`` - a knowledge-graph-embedding baseline (no message passing),
  same decoder, sampler and number of steps as the GNN;
* ``hetero GraphSAGE`` - medkg's graph encoder (2 layers of message passing).

Metrics: AUROC and AUPRC over all test (disease, drug) pairs; MRR and Hits@10
per held-out treatment, ranked against the disease's non-treatments.
Reference, not comparable split: Project Rephetio's AUROC 0.974 (Himmelstein
et al. 2017, all treatments, with a permuted-network null).

    python bench/eval_treatment.py [--steps 300] [--device auto] [--data-dir DIR]

Results go to ``bench/results/eval_treatment.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPHETIO_AUROC = 0.974


def main() -> int:
    from medkg.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--device", default="auto")
    ap.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="a data dir with Hetionet imported (default: import into a fresh one)",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/eval_treatment.json")
    args = ap.parse_args()

    import torch
    from _store import fresh_hetionet_store

    from medkg.encoders.graph_export import export_hetero
    from medkg.encoders.graph_train import (
        TREATS,
        embeddings,
        ranking_metrics,
        score_treatments,
        split_treats_by_disease,
        train_link_prediction,
    )  # fmt: skip
    from medkg.kg.store import open_store

    user = Settings()
    if args.data_dir is None:
        store = fresh_hetionet_store("tx", user.hetionet_dir)
    else:
        store = open_store(Settings(data_dir=args.data_dir, backend="embedded"))
    data = export_hetero(store)
    store.close()
    split = split_treats_by_disease(data)
    edges = {et: data[et].edge_index for et in data.edge_types}
    edges[TREATS] = split.train
    n_drugs = data["Drug"].num_nodes
    col = {d: i for i, d in enumerate(split.test_diseases)}
    positive = torch.zeros(len(split.test_diseases), n_drugs, dtype=torch.bool)
    for drug, disease in split.test.t().tolist():
        positive[col[disease], drug] = True

    rows = []

    def add(name: str, scores: torch.Tensor, extra: dict | None = None) -> None:
        m = ranking_metrics(scores, positive)
        rows.append(
            {
                "model": name,
                "auroc": round(m.auroc, 3),
                "auprc": round(m.auprc, 3),
                "mrr": round(m.mrr, 3),
                "hits_at_10": round(m.hits_at_10, 3),
                **(extra or {}),
            }
        )

    degree = torch.bincount(split.train[0], minlength=n_drugs).float()
    add("drug degree (baseline)", degree.expand(len(split.test_diseases), -1))
    device = None
    for name, layers in (("DistMult (KG embedding baseline)", 0), ("hetero GraphSAGE (medkg)", 2)):
        res = train_link_prediction(
            data, edges, dim=args.dim, layers=layers, epochs=args.steps, device=args.device
        )
        z = embeddings(res.model, edges)
        sec = sum(res.epoch_seconds) / len(res.epoch_seconds)
        add(
            name,
            score_treatments(res.model, z, split.test_diseases).cpu(),
            {"seconds_per_step": round(sec, 3), "device": res.device},
        )
        device = res.device
    print(
        f"{len(split.test_diseases)} test diseases, {split.test.size(1)} held-out treatments, "
        f"{n_drugs} candidate drugs; {args.steps} steps on {device}"
    )
    print(f"{'model':<36} {'AUROC':>6} {'AUPRC':>6} {'MRR':>6} {'H@10':>6} {'s/step':>7}")
    for r in rows:
        print(
            f"{r['model']:<36} {r['auroc']:>6} {r['auprc']:>6} {r['mrr']:>6} "
            f"{r['hits_at_10']:>6} {r.get('seconds_per_step', ''):>7}"
        )
    print(f"{'Project Rephetio (published, other split)':<36} {REPHETIO_AUROC:>6}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "rows": rows,
                "data_version": data.data_version,
                "test_diseases": len(split.test_diseases),
                "machine": platform.platform(),
            },
            indent=2,
        )
    )
    print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
