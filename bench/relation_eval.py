"""Benchmark: chemical-induced-disease relation F1 on BC5CDR (document level).

Rows, on the same evaluation abstracts and gold entities, in this run:

* ``sentence co-occurrence`` - the named baseline: every chemical-disease pair
  that shares a sentence is called a relation;
* ``medkg CID classifier`` - the logistic regression ``medkg train relations``
  builds, trained here on the training abstracts that are not in the
  evaluation file;
* ``medkg trigger rules`` - the CAUSES trigger patterns the extractor applies to
  notes, alone;
* ``medkg extractor`` - what the extractor does: a rule match or the classifier.

Reference, not re-run: the best BioCreative V CDR official run, 57.03 F1
(Xu et al. 2016; predicted entities, cross-sentence relations included).

    python bench/relation_eval.py [--train PUBTATOR] [--eval PUBTATOR]

BC5CDR's test file is held back for acceptance: pass it with --eval when you
have it. Results go to ``bench/results/relation_eval.json``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _results import write_results

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED_F1 = 57.03


def main() -> int:
    from medkg.settings import Settings

    bc5 = Settings().shared_data_dir / "bc5cdr"
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", type=Path, default=bc5 / "CDR_TrainingSet.PubTator.txt")
    ap.add_argument("--eval", type=Path, default=bc5 / "CDR_DevelopmentSet.PubTator.txt")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/relation_eval.json")
    args = ap.parse_args()

    from medkg.nlp.corpora.pubtator import split_training_set
    from medkg.nlp.relations.rules import SpanRef, find_relations
    from medkg.nlp.relations.training import evaluate_cid, train_cid

    train, dev = split_training_set(args.train, args.eval)
    clf = train_cid(train)

    def rules(k) -> float:  # type: ignore[no-untyped-def]
        refs = [SpanRef(0, "Drug", *k.chem, 1.0), SpanRef(1, "Disease", *k.dis, 1.0)]
        return float(any(r.rel_type == "CAUSES" for r in find_relations(k.sentence, refs)))

    systems = {
        "sentence co-occurrence (baseline)": lambda k: 1.0,
        "medkg trigger rules": rules,
        "medkg CID classifier": lambda k: clf.probability(k.sentence, k.chem, k.dis),
        "medkg extractor (rules or classifier)": lambda k: max(
            rules(k), clf.probability(k.sentence, k.chem, k.dis)
        ),
    }
    rows = []
    print(f"train: {len(train)} abstracts; eval: {args.eval.name}, {len(dev)} abstracts")
    print(f"{'system':<40} {'P':>6} {'R':>6} {'F1':>6}")
    for name, score in systems.items():
        s = evaluate_cid(dev, score, args.threshold)
        rows.append(
            {
                "system": name,
                "precision": round(100 * s.precision, 2),
                "recall": round(100 * s.recall, 2),
                "f1": round(100 * s.f1, 2),
            }
        )
        print(f"{name:<40} {rows[-1]['precision']:>6} {rows[-1]['recall']:>6} {rows[-1]['f1']:>6}")
    print(f"{'BioCreative V CDR best run (published)':<40} {'':>6} {'':>6} {PUBLISHED_F1:>6}")
    write_results(
        args.out, {"eval": str(args.eval), "rows": rows, "published_best_f1": PUBLISHED_F1}
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
