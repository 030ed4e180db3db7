"""Benchmark: treatment recommendation on held-out Hetionet Compound-treats-Disease edges.

The treats edges are split **by disease** into ``--folds`` folds (seed 0): a test
disease has none of its treatments in the graph any model sees, and every
disease with a known treatment is tested once. Every model ranks all drugs for
each test disease; the metrics pool all folds. Rows, in this run, on the same
folds:

* ``drug degree`` - the named baseline: drugs ranked by how many training
  diseases they treat (popularity);
* ``DistMult`` - a knowledge-graph-embedding baseline (link prediction, no
  message passing), same decoder, sampler and steps as the GNN;
* ``hetero GraphSAGE`` - the graph encoder, trained by link prediction;
* ``similar-disease transfer, untrained`` - the treatment ranker at its initial
  parameters (equal channel weights): what the learning adds;
* ``similar-disease transfer`` - the learned similar-disease transfer alone
  (``medkg.fusion.treatment_model``, the served ranker before decision 0026);
* ``medkg treatment ranker`` - the same plus the mechanism term (drug-gene-disease
  path features, ``medkg.fusion.treatment_mechanisms``, its scale chosen on the
  fold's training diseases), the model ``medkg recommend`` uses;
* ``... + graph-encoder channel`` - the same with the GraphSAGE disease
  embeddings as one more similarity channel;
* ``fusion tower, treatment only`` (``--fusion``) - the fusion model's towers
  (``medkg.fusion.multitask``) over MiniLM name vectors and the first GNN's node
  vectors, trained with a listwise loss on the fold's training diseases;
* ``medkg treatment ranker + fusion tower`` (``--fusion``) - the sum of the two
  models' scores, each standardised per disease (no weight fitted);
* ``oracle neighbour weights`` - a ceiling, not a model: the transfer with each
  held-out disease's neighbours weighted by the Jaccard overlap of their
  treatments with the held-out disease's *own* (hidden) treatments, i.e. what
  similar-disease transfer reaches if it knew which diseases share drugs.

A second table splits the held-out treatments by whether the drug treats some
training disease of its fold: transfer can only rank a drug that treats
something it can transfer from; a drug with no other known use is ranked by the
mechanism term and nothing else.

Metrics: AUROC and AUPRC over all test (disease, drug) pairs; MRR and Hits@10
per held-out treatment, ranked against the disease's non-treatments.
Reference, not comparable split: Project Rephetio's AUROC 0.974 (Himmelstein
et al. 2017, all treatments, with a permuted-network null).

    python bench/eval_treatment.py [--folds 5] [--steps 100] [--device auto] [--data-dir DIR]

Results go to ``bench/results/eval_treatment.json``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from _results import write_results

ROOT = Path(__file__).resolve().parents[1]
REPHETIO_AUROC = 0.974


def main() -> int:
    from medkg.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=100, help="link-prediction steps per fold")
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--skip-gnn", action="store_true", help="leave out the link-prediction rows")
    ap.add_argument(
        "--convs", default="sage", help="message-passing layers to compare: sage,rgcn,hgt"
    )
    ap.add_argument("--max-folds", type=int, default=None, help="evaluate only the first N folds")
    ap.add_argument(
        "--fusion", action="store_true", help="add the fusion-tower rows (needs the GNN rows)"
    )
    ap.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="a data dir with Hetionet imported (default: import into a fresh one)",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/eval_treatment.json")
    args = ap.parse_args()

    import torch
    from _store import fresh_hetionet_store, node_names

    from medkg.encoders.graph_export import export_hetero
    from medkg.encoders.graph_train import (
        TREATS,
        embeddings,
        ranking_metrics,
        score_treatments,
        train_link_prediction,
    )  # fmt: skip
    from medkg.fusion.treatment_mechanisms import mechanism_features
    from medkg.fusion.treatment_model import (
        TreatmentRanker,
        similarity_channels,
        train_treatment_ranker,
        treatment_graph,
        treats_matrix,
    )  # fmt: skip
    from medkg.kg.store import open_store

    user = Settings()
    if args.data_dir is None:
        store = fresh_hetionet_store("tx", user.hetionet_dir)
    else:
        store = open_store(Settings(data_dir=args.data_dir, backend="embedded"))
    data = treatment_graph(export_hetero(store))  # what the served ranker ranks over
    names = {label: node_names(store, data, label) for label in ("Drug", "Disease")}
    store.close()
    n_drugs, n_diseases = data["Drug"].num_nodes, data["Disease"].num_nodes
    full = data[TREATS].edge_index
    treated = sorted(set(full[1].tolist()))
    random.Random(0).shuffle(treated)
    channels, sims = similarity_channels(data)
    mechanisms, features = mechanism_features(data)
    scales: list[float] = []

    scores: dict[str, list[torch.Tensor]] = defaultdict(list)
    seconds: dict[str, float] = defaultdict(float)
    positives, devices = [], set()
    warm = []  # (queries, drugs): the drug treats some training disease of the fold
    convs = [c.strip() for c in args.convs.split(",") if c.strip()]
    gnn_names = {"sage": "hetero GraphSAGE", "rgcn": "R-GCN", "hgt": "HGT"}
    for k in range(min(args.folds, args.max_folds or args.folds)):
        test = sorted(treated[k :: args.folds])
        held = torch.isin(full[1], torch.tensor(test))
        train = full[:, ~held]
        q = torch.tensor(test)
        positives.append(treats_matrix(full[:, held], n_drugs, n_diseases)[:, q].T.bool())
        known = treats_matrix(train, n_drugs, n_diseases)
        scores["drug degree (baseline)"].append(known.sum(1).expand(len(test), -1))
        warm.append((known.sum(1) > 0).expand(len(test), -1))
        scores["oracle neighbour weights"].append(_oracle_transfer(known, positives[-1]))

        with torch.no_grad():
            scores["similar-disease transfer, untrained"].append(
                TreatmentRanker(len(channels))(sims, q, known)
            )
        res = train_treatment_ranker(sims, train, n_drugs)
        seconds["similar-disease transfer"] += res.seconds
        with torch.no_grad():
            scores["similar-disease transfer"].append(res.model(sims, q, known))
        res = train_treatment_ranker(sims, train, n_drugs, mechanisms=features)
        seconds["medkg treatment ranker"] += res.seconds
        scales.append(round(float(res.model.mechanism_scale), 3))
        with torch.no_grad():
            scores["medkg treatment ranker"].append(res.model(sims, q, known, features))
        if args.skip_gnn:
            continue
        edges = {et: data[et].edge_index for et in data.edge_types}
        edges[TREATS] = train
        runs = [("DistMult (KG embedding baseline)", 0, "sage")]
        runs += [(gnn_names[c], 2, c) for c in convs]
        sage_z = None
        for name, layers, conv in runs:
            print(f"fold {k + 1}/{args.folds}: training {name}...", file=sys.stderr)
            t0 = time.perf_counter()
            lp = train_link_prediction(
                data, edges, dim=args.dim, layers=layers, epochs=args.steps,
                device=args.device, conv=conv,
            )  # fmt: skip
            seconds[name] += time.perf_counter() - t0
            devices.add(lp.device)
            z = embeddings(lp.model, edges)
            scores[name].append(score_treatments(lp.model, z, test).cpu())
            m = ranking_metrics(scores[name][-1], positives[-1])  # progress for long runs
            print(
                f"  {name}: MRR {m.mrr:.3f}, AUROC {m.auroc:.3f}, "
                f"{seconds[name] / (k + 1) / args.steps:.2f} s/step",
                file=sys.stderr,
            )
            if conv == convs[0] and layers:
                sage_z = z
        if sage_z is None:
            continue
        if args.fusion:
            fused = _fusion_scores(names, sage_z, train, test, n_drugs, args.device)
            scores["fusion tower, treatment only"].append(fused)
            scores["medkg treatment ranker + fusion tower"].append(
                _standardise(scores["medkg treatment ranker"][-1]) + _standardise(fused)
            )
        _, sims2 = similarity_channels(data, sage_z["Disease"].cpu())
        res2 = train_treatment_ranker(sims2, train, n_drugs)
        name = "medkg treatment ranker + graph-encoder channel"
        seconds[name] += res2.seconds + seconds[gnn_names[convs[0]]] / (k + 1)
        with torch.no_grad():
            scores[name].append(res2.model(sims2, q, known))

    n_folds = len(positives)
    pos = torch.cat(positives)
    order = [
        "drug degree (baseline)",
        "DistMult (KG embedding baseline)",
        "hetero GraphSAGE",
        "R-GCN",
        "HGT",
        "similar-disease transfer, untrained",
        "similar-disease transfer",
        "medkg treatment ranker",
        "medkg treatment ranker + graph-encoder channel",
        "fusion tower, treatment only",
        "medkg treatment ranker + fusion tower",
        "oracle neighbour weights",
    ]
    rows = []
    for name in order:
        if name not in scores:
            continue
        m = ranking_metrics(torch.cat(scores[name]), pos)
        rows.append({
            "model": name, "auroc": round(m.auroc, 3), "auprc": round(m.auprc, 3),
            "mrr": round(m.mrr, 3), "hits_at_10": round(m.hits_at_10, 3),
            "train_seconds_per_fold": (
                round(seconds[name] / n_folds, 1) if name in seconds else None),
        })  # fmt: skip
    print(
        f"{len(treated)} diseases with treatments in {args.folds} folds ({n_folds} evaluated: "
        f"{int(pos.sum())} held-out treatments), {n_drugs} candidate drugs; "
        f"link prediction: {args.steps} steps on {', '.join(sorted(devices)) or '-'}; "
        f"channels: {', '.join(c.name for c in channels)}; "
        f"mechanisms: {', '.join(m.name for m in mechanisms)}, scale per fold {scales}"
    )
    print(f"{'model':<48} {'AUROC':>6} {'AUPRC':>6} {'MRR':>6} {'H@10':>6} {'train s':>8}")
    for r in rows:
        secs = r["train_seconds_per_fold"]
        print(
            f"{r['model']:<48} {r['auroc']:>6} {r['auprc']:>6} {r['mrr']:>6} "
            f"{r['hits_at_10']:>6} {'' if secs is None else secs:>8}"
        )
    print(f"{'Project Rephetio (published, other split)':<48} {REPHETIO_AUROC:>6}")
    split = _split_by_known_use(scores, pos, torch.cat(warm), order)
    print("\nheld-out treatments by whether the drug treats a training disease of its fold:")
    print(f"{'model':<48} {'MRR, other use':>15} {'MRR, none':>10} {'H@10, none':>11}")
    for r in split:
        print(
            f"{r['model']:<48} {r['mrr_known_use']:>15} {r['mrr_no_known_use']:>10} "
            f"{r['hits_at_10_no_known_use']:>11}"
        )
    if split:
        print(
            f"({split[0]['positives_known_use']} held-out treatments by a drug with another "
            f"known use, {split[0]['positives_no_known_use']} by a drug with none)"
        )
    write_results(
        args.out,
        {
            "rows": rows,
            "folds": args.folds,
            "folds_evaluated": n_folds,
            "steps": args.steps,
            "data_version": data.data_version,
            "diseases": len(treated),
            "devices": sorted(devices),
            "mechanisms": [m.name for m in mechanisms],
            "mechanism_scale_per_fold": scales,
            "by_known_use": split,
        },
    )
    return 0


def _oracle_transfer(known: Any, positive: Any) -> Any:
    """``(queries, drugs)`` transfer scores with each training disease weighted by
    the Jaccard overlap of its treatments with the query's hidden ones: the
    ceiling of similar-disease transfer, which reads the answer (not a model).
    A tiny popularity term breaks ties among drugs no neighbour treats."""
    k, p = (known > 0).float(), positive.float()
    inter = p @ k
    union = p.sum(1, keepdim=True) + k.sum(0)[None, :] - inter
    return (inter / union.clamp(min=1)) @ k.T + 1e-3 * k.sum(1)[None, :]


def _split_by_known_use(
    scores: dict[str, list[Any]], pos: Any, warm: Any, order: list[str]
) -> list[dict[str, Any]]:
    """Per model, MRR over the held-out treatments whose drug treats some training
    disease, and over those whose drug treats none (ranked the same way as the
    pooled figures: :func:`positive_ranks`)."""
    import torch

    from medkg.encoders.graph_train import positive_ranks

    out = []
    for name in order:
        if name not in scores:
            continue
        ranks = positive_ranks(torch.cat(scores[name]), pos)
        seen = warm[ranks[:, 0], ranks[:, 1]]
        rank = ranks[:, 2].float()
        row: dict[str, Any] = {"model": name}
        for key, sel in (("known_use", seen), ("no_known_use", ~seen)):
            n = int(sel.sum())
            row[f"positives_{key}"] = n
            row[f"mrr_{key}"] = round(float((1 / rank[sel]).sum()) / max(n, 1), 3)
            row[f"hits_at_10_{key}"] = round(float((rank[sel] <= 10).sum()) / max(n, 1), 3)
        out.append(row)
    return out


_TEXT: dict[str, Any] = {}


def _fusion_scores(
    names: dict[str, list[str]],
    z: dict[str, Any],
    train: Any,
    test: list[int],
    n_drugs: int,
    device: str,
) -> Any:
    """``(test diseases, drugs)`` scores of the fusion towers trained on the
    fold's training diseases only (their text names and GNN vectors)."""
    import torch

    from medkg.encoders.device import resolve_device
    from medkg.encoders.text import TextEncoder
    from medkg.fusion.model import FusionConfig
    from medkg.fusion.multitask import (
        MultiTaskConfig,
        Side,
        TreatmentTask,
        predict,
        train_multitask,
    )
    from medkg.fusion.treatment_model import treats_matrix

    if not _TEXT:  # the names do not change between folds
        enc = TextEncoder()
        _TEXT.update({label: enc.encode(texts) for label, texts in names.items()})
    n_dis = len(names["Disease"])
    drugs = Side(_TEXT["Drug"], z["Drug"].cpu(), torch.ones(n_drugs))
    diseases = Side(_TEXT["Disease"], z["Disease"].cpu(), torch.ones(n_dis))
    seen = sorted(set(train[1].tolist()))
    known = treats_matrix(train, n_drugs, n_dis)[:, seen].T.bool()
    task = TreatmentTask(diseases.take(torch.tensor(seen)), known, drugs)
    cfg = MultiTaskConfig(
        FusionConfig(text_dim=drugs.text.size(1), graph_dim=drugs.graph.size(1), input_dropout=0.2),
        n_labels=0, n_drugs=n_drugs, tasks=("treatment",),
    )  # fmt: skip
    dev = str(resolve_device(device))
    model, _ = train_multitask(cfg, None, task, steps=300, device=dev)
    return predict(model, diseases.take(torch.tensor(test)), drugs, "treatment")


def _standardise(scores: Any) -> Any:
    """Per-row z-scores, so two models' scores can be added without a fitted weight."""
    return (scores - scores.mean(1, keepdim=True)) / (scores.std(1, keepdim=True) + 1e-9)


if __name__ == "__main__":
    sys.exit(main())
