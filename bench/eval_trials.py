"""Benchmark: trial matching in TrialGPT's layout, NDCG@10, P@10 and Recall@100.

Give the trial corpus by path (TrialGPT ``corpus.jsonl`` or ClinicalTrials.gov
API v2 JSON); patients and judgements default to TrialGPT's SIGIR cohort. Each
patient's candidates are its judged trials present in the corpus. Rows, on the
same candidates, in this run:

* ``BM25`` - the named baseline (rank-bm25 over title, conditions, summary and
  inclusion criteria);
* ``dense text`` - cosine of the text encoder's patient and trial vectors;
* ``medkg hybrid`` - dense text plus graph agreement: the patient's affirmed
  diseases among the trial's linked conditions, minus exclusion hits (the
  patient's affirmed entities named in the exclusion criteria).

With only the 50-trial sample shipped here the numbers are a sanity check, not
a benchmark (54 judgements for 33 patients); pass a full corpus to measure.

    python bench/eval_trials.py [--corpus FILE] [--patients queries.jsonl] [--qrels test.tsv]

Results go to ``bench/results/eval_trials.json``.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from _results import write_results

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    from medkg.settings import Settings

    user = Settings()
    sigir = user.shared_data_dir / "trialgpt" / "sigir"
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=sigir / "corpus-sample.jsonl")
    ap.add_argument("--patients", type=Path, default=sigir / "queries.jsonl")
    ap.add_argument("--qrels", type=Path, default=sigir / "qrels" / "test.tsv")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/eval_trials.json")
    args = ap.parse_args()

    from _store import fresh_hetionet_store
    from rank_bm25 import BM25Okapi

    from medkg.encoders.text import TextEncoder
    from medkg.fusion.trial_eval import (
        evaluate_rankings,
        rank_all,
        read_patients,
        read_qrels,
        trial_text,
    )  # fmt: skip
    from medkg.fusion.trial_ranker import hybrid_score
    from medkg.kg.importers.trials import link_trial_texts, read_trials
    from medkg.nlp import Extractor, NoteInput

    trials = {t.nct_id: t for t in read_trials(args.corpus)}
    patients = read_patients(args.patients)
    qrels = read_qrels(args.qrels)

    def tokens(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    bm25_index = {t: tokens(trial_text(tr)) for t, tr in trials.items()}

    def bm25(p, cands):  # type: ignore[no-untyped-def]
        bm = BM25Okapi([bm25_index[c.nct_id] for c in cands])
        return list(bm.get_scores(tokens(p.text)))

    enc = TextEncoder()
    tvec = dict(zip(trials, enc.encode([trial_text(t) for t in trials.values()]), strict=True))
    pvec = dict(zip([p.id for p in patients], enc.encode([p.text for p in patients]), strict=True))

    def dense(p, cands):  # type: ignore[no-untyped-def]
        return [float(pvec[p.id] @ tvec[c.nct_id]) for c in cands]

    store = fresh_hetionet_store("trials", user.hetionet_dir)
    ex = Extractor(store, store.settings)
    affirmed = {}
    for p, doc in zip(
        patients, ex.extract([NoteInput(p.id, p.text) for p in patients]), strict=True
    ):
        affirmed[p.id] = {m.node_id for m in doc.mentions if m.is_positive_fact}
    links = link_trial_texts(list(trials.values()), ex.link_texts)
    conds = {
        t: {i for x in [*tr.conditions, tr.title] for _, i in links[x]} for t, tr in trials.items()
    }
    excl = {t: {i for x in tr.exclusion for _, i in links[x]} for t, tr in trials.items()}
    store.close()

    def hybrid(p, cands):  # type: ignore[no-untyped-def]
        base = dense(p, cands)
        pa = affirmed[p.id]
        return [  # the same fusion `medkg match-trials` serves
            hybrid_score(b, len(pa & conds[c.nct_id]), len(pa & excl[c.nct_id]))
            for b, c in zip(base, cands, strict=True)
        ]

    rows = []
    for name, scorer in (
        ("BM25 (baseline)", bm25),
        ("dense text (MiniLM)", dense),
        ("medkg hybrid (text + graph)", hybrid),
    ):
        m = evaluate_rankings(rank_all(patients, trials, qrels, scorer), qrels)
        rows.append(
            {
                "system": name,
                "ndcg@10": round(m.ndcg10, 4),
                "p@10": round(m.p10, 4),
                "recall@100": round(m.recall100, 4),
                "patients": m.patients,
            }
        )
    print(
        f"corpus {args.corpus.name}: {len(trials)} trials; "
        f"{rows[0]['patients']} patients with judged candidates in it"
    )
    print(f"{'system':<30} {'NDCG@10':>8} {'P@10':>7} {'R@100':>7}")
    for r in rows:
        print(f"{r['system']:<30} {r['ndcg@10']:>8} {r['p@10']:>7} {r['recall@100']:>7}")
    write_results(args.out, {"corpus": str(args.corpus), "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
