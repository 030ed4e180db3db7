"""Benchmark: diagnosis on Symptom2Disease (any CSV with label,text columns), top-1/top-5.

Rows, on the same fixed stratified split (20 % test, seed 42), in this run:

* ``TF-IDF + logistic regression`` - the named text-only baseline;
* ``fusion, MiniLM only`` - the fusion model on the frozen sentence vector alone;
* ``fusion, MiniLM + TF-IDF`` - plus its TF-IDF channel (``fusion.lexical``,
  vocabulary fitted on the training split);
* ``fusion, MiniLM + TF-IDF + graph`` - plus the graph context: the affirmed
  entities the extraction pipeline links in each description and the candidate
  diseases' own nodes, in the graph encoder's space (trained here on the store's
  graph). This is what ``medkg train fusion`` serves.

Fusion rows are means over ``--seeds`` training seeds (the test split has 240
descriptions, so one description is 0.4 points; the min-max range is printed).
The difference between the last two rows is what the graph adds. Also prints
the share of descriptions with any linked entity, training time, and inference
latency per patient.

    python bench/eval_diagnosis.py [--csv FILE] [--graph-steps 150] [--seeds 3] [--vocabularies]

Results go to ``bench/results/eval_diagnosis.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from _results import write_results

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    from medkg.settings import Settings

    user = Settings()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--csv", type=Path, default=user.shared_data_dir / "symptom2disease/Symptom2Disease.csv"
    )
    ap.add_argument("--graph-steps", type=int, default=150)
    ap.add_argument(
        "--vocabularies",
        action="store_true",
        help="import the vocabularies (DOID, MONDO, HPO, ...) into the benchmark's graph too",
    )
    ap.add_argument("--seeds", type=int, default=3, help="fusion training seeds to average")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/eval_diagnosis.json")
    args = ap.parse_args()

    import torch
    from _store import fresh_hetionet_store
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from medkg.encoders.graph_export import export_hetero
    from medkg.encoders.graph_train import embeddings, train_link_prediction
    from medkg.encoders.text import TextEncoder
    from medkg.fusion.diagnosis import (
        build_diagnosis_data,
        fixed_split,
        load_symptom2disease,
        predict_scores,
        topk_accuracy,
        train_fusion_classifier,
    )  # fmt: skip
    from medkg.nlp import Extractor

    examples = load_symptom2disease(args.csv)
    train, test = fixed_split(examples)
    labels = sorted({e.label for e in examples})
    y = torch.tensor([labels.index(e.label) for e in examples])
    rows = []

    def row(name: str, runs: list[torch.Tensor], seconds: float) -> None:
        top1 = [topk_accuracy(s, y[test], 1) for s in runs]
        top5 = [topk_accuracy(s, y[test], 5) for s in runs]
        rows.append(
            {
                "model": name,
                "top1": round(sum(top1) / len(runs), 3),
                "top5": round(sum(top5) / len(runs), 3),
                "top1_range": f"{min(top1):.3f}-{max(top1):.3f}" if len(runs) > 1 else "",
                "train_seconds": round(seconds / len(runs), 1),
            }
        )

    t0 = time.perf_counter()
    tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    xtr = tfidf.fit_transform([examples[i].text for i in train])
    lr = LogisticRegression(C=10, max_iter=5000).fit(xtr, y[train].numpy())
    probs = lr.predict_proba(tfidf.transform([examples[i].text for i in test]))
    full = torch.zeros(len(test), len(labels))
    full[:, torch.tensor(lr.classes_)] = torch.tensor(probs, dtype=torch.float32)
    row("TF-IDF + logistic regression (baseline)", [full], time.perf_counter() - t0)

    print("building the graph and its encoder...", file=sys.stderr)
    store = fresh_hetionet_store("dx-bench", user.hetionet_dir)
    if args.vocabularies:
        from medkg.kg.importers.vocabularies import import_vocabularies

        import_vocabularies(store)
    data = export_hetero(store)
    edges = {et: data[et].edge_index for et in data.edge_types}
    g = train_link_prediction(data, edges, layers=2, epochs=args.graph_steps)
    z = embeddings(g.model, edges)
    where = {nid: (t, i) for t in data.node_types for i, nid in enumerate(data[t].node_ids)}

    def lookup(nid: str) -> torch.Tensor | None:
        hit = where.get(nid)
        return z[hit[0]][hit[1]].cpu() if hit else None

    print("linking and encoding text...", file=sys.stderr)
    enc = TextEncoder()
    d, _ = build_diagnosis_data(
        examples, labels, Extractor(store, store.settings), enc, lookup, g.model.dim,
        lexical_fit_idx=train,
    )  # fmt: skip
    store.close()
    gmask, cmask = d.graph_mask, d.cand_graph_mask
    variants = (
        ("fusion, MiniLM only", False, False),
        ("fusion, MiniLM + TF-IDF", False, True),
        ("fusion, MiniLM + TF-IDF + graph", True, True),
    )
    for name, use_graph, use_lexical in variants:
        t0 = time.perf_counter()
        runs = []
        for seed in range(args.seeds):
            model = train_fusion_classifier(
                d, train, use_graph=use_graph, use_lexical=use_lexical, seed=seed
            )
            runs.append(predict_scores(model, d, test))
        row(name, runs, time.perf_counter() - t0)
    t0 = time.perf_counter()
    for i in test[:50]:
        enc.encode([examples[i].text])
        if d.lexical_features is not None:
            d.lexical_features.transform([examples[i].text])
        predict_scores(model, d, [i])
    per_patient_ms = (time.perf_counter() - t0) / 50 * 1000

    print(f"{'model':<42} {'top-1':>6} {'top-1 range':>12} {'top-5':>6} {'train s':>8}")
    for r in rows:
        print(
            f"{r['model']:<42} {r['top1']:>6} {r['top1_range']:>12} {r['top5']:>6} "
            f"{r['train_seconds']:>8}"
        )
    coverage = float(gmask.mean())
    print(
        f"{len(train)} train / {len(test)} test descriptions, {len(labels)} diseases; "
        f"{coverage:.0%} of descriptions link to a graph entity; "
        f"{int(cmask.sum())}/{len(labels)} diseases are graph nodes; "
        f"inference {per_patient_ms:.1f} ms per patient (text encoding included), "
        f"graph encoder {sum(g.epoch_seconds) / len(g.epoch_seconds):.2f} s/step on {g.device}"
    )
    write_results(
        args.out,
        {
            "csv": str(args.csv),
            "rows": rows,
            "seeds": args.seeds,
            "linked_share": round(coverage, 3),
            "diseases_in_graph": int(cmask.sum()),
            "inference_ms_per_patient": round(per_patient_ms, 1),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
