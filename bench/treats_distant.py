"""Benchmark: TREATS by distant supervision against the trigger patterns (issue 19).

Nothing here annotates TREATS by hand, so the labels are distant: a
(chemical, disease) pair co-mentioned in one sentence of a BC5CDR abstract is
TREATS when Hetionet has a ``TREATS`` edge between the Drug and the Disease
nodes that carry the two gold MeSH ids (through the vocabularies' xrefs).
Pairs whose chemical or disease no graph node carries are left out: their
label is unknown, not false.

Rows, document-level (PubMed id, chemical id, disease id) pairs, scored against
the distant labels of the evaluation abstracts, in one run:

* ``sentence co-occurrence`` - every covered pair (the baseline);
* ``trigger patterns`` - the extractor's TREATS rules (what is served);
* ``distant logistic regression`` - the CID classifier's sparse sentence
  features, trained on the distant labels of the training abstracts, threshold
  chosen on 10 % of them held out (never on the evaluation file);
* ``patterns or classifier``.

The distant label says that the pair is a curated indication, not that the
sentence states it: a model can agree with it by learning which drugs treat
which diseases rather than reading the sentence, so a win here is necessary,
not sufficient, for serving the classifier.

    python bench/treats_distant.py [--train FILE] [--eval FILE] [--out FILE]

Results go to ``bench/results/treats_distant.json``.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from _results import write_results

ROOT = Path(__file__).resolve().parents[1]


def mesh_holders(store, label: str, docs, lexicon) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """MeSH id -> the ``label`` nodes carrying it (own id or xref); an id of
    ``docs`` that current MeSH retired reads as the ids of the nodes its
    annotated texts name in ``lexicon`` (``medkg.nlp.retired_mesh``, as
    bench/relation_eval.py scores CID: BC5CDR codes quetiapine by a 2015 id
    that no node carries)."""
    from link_eval import TYPES, mesh_ids_by_node

    from medkg.nlp.retired_mesh import retired_mesh_ids, with_retired

    by_node = mesh_ids_by_node(store, (label,))
    labels = {t: (label,) for t, (_, graph_labels) in TYPES.items() if label in graph_labels}
    retired = retired_mesh_ids(docs, lexicon, by_node, labels)
    out: dict[str, set[str]] = defaultdict(set)
    for node, ids in with_retired(by_node, retired).items():
        for mesh in ids:
            out[mesh].add(node)
    return out


def main() -> int:
    from medkg.settings import Settings

    settings = Settings()
    bc5 = settings.shared_data_dir / "bc5cdr"
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", type=Path, default=bc5 / "CDR_TrainingSet.PubTator.txt")
    ap.add_argument("--eval", type=Path, default=bc5 / "CDR_DevelopmentSet.PubTator.txt")
    ap.add_argument("--hetionet", type=Path, default=settings.hetionet_dir)
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/treats_distant.json")
    args = ap.parse_args()
    for path in (args.train, args.eval):
        if not path.is_file():
            print(f"error: {path}: no such file", file=sys.stderr)
            return 2

    import numpy as np
    from _store import fresh_hetionet_store

    from medkg.kg.importers.vocabularies import import_vocabularies
    from medkg.nlp.corpora.pubtator import split_training_set
    from medkg.nlp.lexicon import Lexicon
    from medkg.nlp.relations.finetuned import split_development
    from medkg.nlp.relations.training import (
        best_threshold,
        candidates,
        fit_pair_classifier,
        pair_prf,
        rules_find,
    )

    train, dev = split_training_set(args.train, args.eval)
    store = fresh_hetionet_store("treats", args.hetionet)
    import_vocabularies(store)
    lexicon = Lexicon.from_store(store)  # the graph's names, read once for both
    drugs = mesh_holders(store, "Drug", train + dev, lexicon)
    diseases = mesh_holders(store, "Disease", train + dev, lexicon)
    treats = {
        (a, b)
        for a, b in store.query(
            "MATCH (a:Drug)-[:TREATS]->(b:Disease) RETURN a.id, b.id", row_cap=10_000_000
        ).rows
    }
    store.close()

    def pairs_of(k):  # type: ignore[no-untyped-def]
        """The candidate's covered (chemical id, disease id) pairs and their labels."""
        out = {}
        for ci in k.chem_ids:
            for di in k.dis_ids:
                ds, ss = drugs.get(ci, set()), diseases.get(di, set())
                if ds and ss:
                    out[(ci, di)] = any((d, s) in treats for d in ds for s in ss)
        return out

    _, held, fit = split_development(train, 0.1, 13)

    def covered(docs):  # type: ignore[no-untyped-def]
        return [(k, p) for k in candidates(docs) if (p := pairs_of(k))]

    fit_c, held_c, dev_c = covered(fit), covered(held), covered(dev)
    y = [any(p.values()) for _, p in fit_c]
    if not any(y):
        print("error: no distant TREATS label among the training candidates", file=sys.stderr)
        return 1
    model = fit_pair_classifier([k for k, _ in fit_c], y)

    def prob(cands):  # type: ignore[no-untyped-def]
        return np.array(model.probabilities([(k.sentence, k.chem, k.dis) for k, _ in cands]))

    def gold(cands):  # type: ignore[no-untyped-def]
        return {(k.pmid, *pair) for k, p in cands for pair, lab in p.items() if lab}

    def predicted(cands, chosen):  # type: ignore[no-untyped-def]
        return {(k.pmid, *pair) for (k, p), on in zip(cands, chosen, strict=True) if on
                for pair in p}  # fmt: skip

    held_p = prob(held_c)
    threshold, held_f1 = best_threshold(
        lambda t: pair_prf(predicted(held_c, held_p >= t), gold(held_c)).f1
    )
    dev_p = prob(dev_c)
    by_pattern = [rules_find(k, "TREATS") for k, _ in dev_c]
    by_model = list(dev_p >= threshold)
    systems = {
        "sentence co-occurrence (baseline)": [True] * len(dev_c),
        "trigger patterns (served)": by_pattern,
        "distant logistic regression": by_model,
        "patterns or classifier": [a or b for a, b in zip(by_pattern, by_model, strict=True)],
    }
    truth = gold(dev_c)
    print(f"train: {len(fit)} abstracts ({len(fit_c)} covered sentence pairs, {sum(y)} "
          f"TREATS); threshold {threshold} (held-out F1 {held_f1:.3f} on {len(held)}); "
          f"eval: {args.eval.name}, {len(dev_c)} covered pairs, {len(truth)} TREATS "
          f"document pairs")  # fmt: skip
    print(f"{'system':<36} {'P':>6} {'R':>6} {'F1':>6}")
    rows = []
    for name, chosen in systems.items():
        s = pair_prf(predicted(dev_c, chosen), truth)
        rows.append({"system": name, "precision": round(100 * s.precision, 2),
                     "recall": round(100 * s.recall, 2), "f1": round(100 * s.f1, 2)})  # fmt: skip
        print(f"{name:<36} {rows[-1]['precision']:>6} {rows[-1]['recall']:>6} {rows[-1]['f1']:>6}")
    write_results(args.out, {
        "train": str(args.train), "eval": str(args.eval), "threshold": threshold,
        "held_out_f1": round(held_f1, 4), "training_candidates": len(fit_c),
        "training_positives": int(sum(y)), "eval_document_pairs": len(truth), "rows": rows,
    })  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
