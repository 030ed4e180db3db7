"""Benchmark: the jointly trained three-task fusion model against one-task training.

One run, one graph, one split per task:

* diagnosis - Symptom2Disease's fixed stratified split (any CSV with
  label,text by ``--csv``), top-1/top-5;
* treatment - fold ``--fold`` of the by-disease split of ``bench/eval_treatment.py``
  (5 folds, seed 0): the fold's diseases have none of their TREATS edges in
  anything trained here (graph encoder included); MRR, Hits@10, AUROC over all
  drugs;
* trials - TrialGPT's layout (``--corpus``, ``--patients``, ``--qrels``; the
  shipped SIGIR sample by default), NDCG@10 / P@10 on each patient's judged
  candidates. No model trains on trials: they are scored zero-shot.

Models, same architecture (``medkg.fusion.multitask``), means over ``--seeds``:
``joint`` (diagnosis + treatment losses), ``diagnosis only``, ``treatment
only``; a model not trained on a task still answers it through the shared
towers, which shows what transfers. Baselines in the same run: TF-IDF +
logistic regression (diagnosis), drug degree and the served similar-disease
ranker (treatment), BM25 and MiniLM cosine (trials).

    python bench/eval_multitask.py [--fold 0] [--seeds 3] [--steps 300] [--graph-steps 100]

Results go to ``bench/results/eval_multitask.json``.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

from _results import write_results

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    from medkg.settings import Settings

    user = Settings()
    sigir = user.shared_data_dir / "trialgpt" / "sigir"
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--csv", type=Path, default=user.shared_data_dir / "symptom2disease/Symptom2Disease.csv"
    )
    ap.add_argument("--corpus", type=Path, default=sigir / "corpus-sample.jsonl")
    ap.add_argument("--patients", type=Path, default=sigir / "queries.jsonl")
    ap.add_argument("--qrels", type=Path, default=sigir / "qrels" / "test.tsv")
    ap.add_argument("--fold", type=int, default=0)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--graph-steps", type=int, default=100)
    ap.add_argument("--steps", type=int, default=300, help="fusion training steps")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--treatment-weight", type=float, default=1.0)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/eval_multitask.json")
    args = ap.parse_args()

    import torch
    from _store import fresh_hetionet_store, node_names
    from rank_bm25 import BM25Okapi
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from medkg.encoders.device import resolve_device
    from medkg.encoders.graph_export import export_hetero
    from medkg.encoders.graph_train import (
        TREATS,
        embeddings,
        ranking_metrics,
        train_link_prediction,
    )
    from medkg.encoders.text import TextEncoder
    from medkg.fusion.diagnosis import (
        build_diagnosis_data,
        fixed_split,
        load_symptom2disease,
        mean_context,
        topk_accuracy,
    )  # fmt: skip
    from medkg.fusion.model import FusionConfig
    from medkg.fusion.multitask import (
        DiagnosisTask,
        MultiTaskConfig,
        Side,
        TreatmentTask,
        predict,
        train_multitask,
    )  # fmt: skip
    from medkg.fusion.treatment_model import (
        similarity_channels,
        train_treatment_ranker,
        treats_matrix,
    )  # fmt: skip
    from medkg.fusion.trial_eval import (
        evaluate_rankings,
        rank_all,
        read_patients,
        read_qrels,
        trial_text,
    )  # fmt: skip
    from medkg.kg.importers.trials import link_trial_texts, read_trials
    from medkg.nlp import Extractor, NoteInput

    device = str(resolve_device(args.device))
    print("building the graph...", file=sys.stderr)
    store = fresh_hetionet_store("mt", user.hetionet_dir)
    data = export_hetero(store)
    n_drugs, n_diseases = data["Drug"].num_nodes, data["Disease"].num_nodes
    full = data[TREATS].edge_index
    treated = sorted(set(full[1].tolist()))
    random.Random(0).shuffle(treated)
    test_dis = sorted(treated[args.fold :: args.folds])
    held = torch.isin(full[1], torch.tensor(test_dis))
    train_edges = full[:, ~held]
    train_dis = sorted(set(train_edges[1].tolist()))
    known = treats_matrix(train_edges, n_drugs, n_diseases)
    held_pos = treats_matrix(full[:, held], n_drugs, n_diseases)[:, test_dis].T.bool()

    print("training the graph encoder without the held-out treatments...", file=sys.stderr)
    edges = {et: data[et].edge_index for et in data.edge_types}
    edges[TREATS] = train_edges
    g = train_link_prediction(data, edges, layers=2, epochs=args.graph_steps, device=device)
    z = {k: v.cpu() for k, v in embeddings(g.model, edges).items()}
    where = {nid: (t, i) for t in data.node_types for i, nid in enumerate(data[t].node_ids)}

    def lookup(nid: str) -> torch.Tensor | None:
        hit = where.get(nid)
        return z[hit[0]][hit[1]] if hit else None

    print("linking and encoding text...", file=sys.stderr)
    enc = TextEncoder()
    ex = Extractor(store, store.settings)
    examples = load_symptom2disease(args.csv)
    dx_train, dx_test = fixed_split(examples)
    labels = sorted({e.label for e in examples})
    d, _ = build_diagnosis_data(
        examples, labels, ex, enc, lookup, g.model.dim, lexical_fit_idx=dx_train
    )
    lex = d.lexical_features
    assert lex is not None and d.lexical is not None
    all_patients = Side(d.text, d.graph, d.graph_mask, d.lexical)
    label_side = Side(d.cand_text, d.cand_graph, d.cand_graph_mask)
    dx_task = DiagnosisTask(all_patients.take(torch.tensor(dx_train)), d.y[dx_train], label_side)
    dx_test_side = all_patients.take(torch.tensor(dx_test))

    disease_names = node_names(store, data, "Disease")
    drugs = Side(enc.encode(node_names(store, data, "Drug")), z["Drug"], torch.ones(n_drugs))
    diseases = Side(
        enc.encode(disease_names), z["Disease"], torch.ones(n_diseases),
        lex.transform(disease_names),
    )  # fmt: skip
    tx_task = TreatmentTask(
        diseases.take(torch.tensor(train_dis)), known[:, train_dis].T.bool(), drugs
    )
    tx_test_side = diseases.take(torch.tensor(test_dis))

    trials = {t.nct_id: t for t in read_trials(args.corpus)}
    patients = read_patients(args.patients)
    qrels = read_qrels(args.qrels)
    docs = ex.extract([NoteInput(p.id, p.text) for p in patients])
    p_linked = [[m.node_id for m in doc.mentions if m.is_positive_fact] for doc in docs]
    links = link_trial_texts(list(trials.values()), ex.link_texts)
    t_linked = [
        sorted({i for x in [*tr.conditions, tr.title] for _, i in links[x]})
        for tr in trials.values()
    ]
    store.close()
    pg, pm = mean_context(p_linked, lookup, g.model.dim)
    tg, tm = mean_context(t_linked, lookup, g.model.dim)
    p_texts = [p.text for p in patients]
    t_texts = [trial_text(t) for t in trials.values()]
    p_side = Side(enc.encode(p_texts), pg, pm, lex.transform(p_texts))
    t_side = Side(enc.encode(t_texts), tg, tm)
    p_row = {p.id: i for i, p in enumerate(patients)}
    t_row = {t: i for i, t in enumerate(trials)}

    def trial_scorer(model):  # type: ignore[no-untyped-def]
        def score(p, cands):  # type: ignore[no-untyped-def]
            rows = torch.tensor([t_row[c.nct_id] for c in cands])
            pside = p_side.take(torch.tensor([p_row[p.id]]))
            return predict(model, pside, t_side.take(rows), "trials")[0].tolist()

        return score

    dx_rows: dict[str, list[tuple[float, float]]] = defaultdict(list)
    tx_rows: dict[str, list] = defaultdict(list)
    tr_rows: dict[str, list] = defaultdict(list)
    seconds: dict[str, float] = defaultdict(float)

    def dx_metrics(scores: torch.Tensor) -> tuple[float, float]:
        y = d.y[dx_test]
        return topk_accuracy(scores, y, 1), topk_accuracy(scores, y, 5)

    def tx_metrics(scores: torch.Tensor):  # type: ignore[no-untyped-def]
        return ranking_metrics(scores, held_pos)

    def trial_metrics(scorer):  # type: ignore[no-untyped-def]
        return evaluate_rankings(rank_all(patients, trials, qrels, scorer), qrels)

    # Baselines.
    t0 = time.perf_counter()
    tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    lr = LogisticRegression(C=10, max_iter=5000).fit(
        tfidf.fit_transform([examples[i].text for i in dx_train]), d.y[dx_train].numpy()
    )
    probs = torch.zeros(len(dx_test), len(labels))
    probs[:, torch.tensor(lr.classes_)] = torch.tensor(
        lr.predict_proba(tfidf.transform([examples[i].text for i in dx_test])),
        dtype=torch.float32,
    )
    dx_rows["TF-IDF + logistic regression (baseline)"].append(dx_metrics(probs))
    seconds["TF-IDF + logistic regression (baseline)"] = time.perf_counter() - t0
    tx_rows["drug degree (baseline)"].append(
        tx_metrics(known.sum(1).expand(len(test_dis), -1).clone())
    )
    _, sims = similarity_channels(data)
    res = train_treatment_ranker(sims, train_edges, n_drugs)
    seconds["medkg treatment ranker (served)"] = res.seconds
    with torch.no_grad():
        tx_rows["medkg treatment ranker (served)"].append(
            tx_metrics(res.model(sims, torch.tensor(test_dis), known))
        )

    def tokens(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    bm25_docs = {t: tokens(x) for t, x in zip(trials, t_texts, strict=True)}

    def bm25(p, cands):  # type: ignore[no-untyped-def]
        return list(BM25Okapi([bm25_docs[c.nct_id] for c in cands]).get_scores(tokens(p.text)))

    def dense(p, cands):  # type: ignore[no-untyped-def]
        pv = p_side.text[p_row[p.id]]
        return [float(pv @ t_side.text[t_row[c.nct_id]]) for c in cands]

    tr_rows["BM25 (baseline)"].append(trial_metrics(bm25))
    tr_rows["dense text (MiniLM)"].append(trial_metrics(dense))

    fusion = FusionConfig(
        text_dim=d.text.size(1), graph_dim=g.model.dim, lexical_dim=d.lexical.size(1),
        input_dropout=0.2,
    )  # fmt: skip
    cfg = MultiTaskConfig(fusion, len(labels), n_drugs, treatment_weight=args.treatment_weight)
    variants = {
        "joint (diagnosis + treatment)": (dx_task, tx_task),
        "diagnosis only": (dx_task, None),
        "treatment only": (None, tx_task),
    }
    for name, (dx, tx) in variants.items():
        print(f"training {name}...", file=sys.stderr)
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            model, _ = train_multitask(cfg, dx, tx, steps=args.steps, seed=seed, device=device)
            seconds[name] += (time.perf_counter() - t0) / args.seeds
            dx_rows[name].append(dx_metrics(predict(model, dx_test_side, label_side, "diagnosis")))
            tx_rows[name].append(tx_metrics(predict(model, tx_test_side, drugs, "treatment")))
            tr_rows[name].append(trial_metrics(trial_scorer(model)))
    t0 = time.perf_counter()
    one = dx_test_side.take(torch.tensor([0]))
    for _ in range(50):
        predict(model, one, label_side, "diagnosis")
        predict(model, one, drugs, "treatment")
    per_patient_ms = (time.perf_counter() - t0) / 50 * 1000  # both rankings, encoders excluded

    def mean(xs: list[float]) -> float:
        return round(sum(xs) / len(xs), 3)

    out: dict[str, list[dict]] = {"diagnosis": [], "treatment": [], "trials": []}
    for name, runs in dx_rows.items():
        out["diagnosis"].append({
            "model": name, "top1": mean([r[0] for r in runs]), "top5": mean([r[1] for r in runs]),
            "train_s": round(seconds.get(name, 0.0), 2),
        })  # fmt: skip
    for name, runs in tx_rows.items():
        out["treatment"].append({
            "model": name, "mrr": mean([m.mrr for m in runs]),
            "hits_at_10": mean([m.hits_at_10 for m in runs]),
            "auroc": mean([m.auroc for m in runs]), "train_s": round(seconds.get(name, 0.0), 2),
        })  # fmt: skip
    for name, runs in tr_rows.items():
        out["trials"].append({
            "model": name, "ndcg@10": mean([m.ndcg10 for m in runs]),
            "p@10": mean([m.p10 for m in runs]), "patients": runs[0].patients,
        })  # fmt: skip

    print(
        f"diagnosis: {len(dx_train)} train / {len(dx_test)} test; treatment fold "
        f"{args.fold + 1}/{args.folds}: {len(train_dis)} training / {len(test_dis)} held-out "
        f"diseases, {n_drugs} drugs; trials: {len(trials)} trials; {args.seeds} seeds on {device}"
    )
    print(f"\n{'diagnosis':<40} {'top-1':>6} {'top-5':>6} {'train s':>8}")
    for r in out["diagnosis"]:
        print(f"{r['model']:<40} {r['top1']:>6} {r['top5']:>6} {r['train_s']:>8}")
    head = f"{'MRR':>6} {'H@10':>6} {'AUROC':>6} {'train s':>8}"
    print(f"\n{'treatment (held-out diseases)':<40} {head}")
    for r in out["treatment"]:
        print(
            f"{r['model']:<40} {r['mrr']:>6} {r['hits_at_10']:>6} {r['auroc']:>6} {r['train_s']:>8}"
        )
    print(f"\n{'trials (zero-shot)':<40} {'NDCG@10':>8} {'P@10':>6}")
    for r in out["trials"]:
        print(f"{r['model']:<40} {r['ndcg@10']:>8} {r['p@10']:>6}")
    print(
        f"\nranking one patient (diagnosis + treatment, encoders excluded): {per_patient_ms:.2f} ms"
    )
    write_results(
        args.out,
        {
            **out,
            "fold": args.fold,
            "folds": args.folds,
            "seeds": args.seeds,
            "steps": args.steps,
            "graph_steps": args.graph_steps,
            "device": device,
            "ms_per_patient": round(per_patient_ms, 2),
            "data_version": data.data_version,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
