"""Benchmark (simulation): phenotype-driven diagnosis over every annotated disease.

Simulated patients, by the Phenomizer protocol (Köhler et al. 2009): a disease
is drawn among those with at least ``--terms`` phenotype annotations
(``PRESENTS`` edges from the HPO annotations), ``--terms`` of its phenotypes
are drawn; *imprecision* replaces each, with probability ``--imprecision``, by
its parent in the HPO hierarchy; *noise* adds ``--noise`` phenotypes of other
diseases that are not among this disease's phenotypes or their ancestors. The
simulated patient's phenotypes are ranked against all annotated diseases.

Rows, in one run, per condition (exact / + noise / + imprecision / + both):

* ``term overlap`` - the named baseline: diseases by the count of the
  patient's phenotypes annotated to them exactly;
* ``information content`` - mean best information content of a common
  ancestor (Phenomizer's score);
* ``IC, exact matches in full`` - the served ranker
  (:mod:`medkg.fusion.phenotype_ranker`): the same, a match through a common
  ancestor at half weight.

The true disease's rank among all annotated diseases (ties share the mean of
their ranks); top-1, top-10 and median rank. This is a simulation: real
patients' phenotypes are fewer, vaguer and come from text.

``--from-text N`` adds, for the first N patients of each condition, the row
``served ranker, from text``: the patient's phenotypes are written by name into
a one-sentence note ("The patient has A, B, C, D and E."), the real extractor
(the store's lexicon, the configured NER) links it, and the served ranker
ranks from what was linked (affirmed symptoms, and the phenotypes tied to
affirmed diseases by ``SAME_AS``), beside the same ranker on the same
patients' ids. ``recovered`` is the share of the simulated phenotypes found
again by id: what linking loses before ranking starts.

    python bench/eval_phenotypes.py [--patients 500] [--terms 5] [--noise 2]
        [--imprecision 0.5] [--data-dir DIR] [--from-text 200]

Results go to ``bench/results/eval_phenotypes.json``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from _results import write_results

ROOT = Path(__file__).resolve().parents[1]


def rank_of(scores: dict[str, float], target: str, n_diseases: int) -> float:
    """1-based rank of ``target``; ties share their mean rank; unscored diseases
    all tie at the bottom."""
    mine = scores.get(target, 0.0)
    above = sum(1 for s in scores.values() if s > mine)
    tied = sum(1 for s in scores.values() if s == mine) if mine > 0 else n_diseases - len(scores)
    return above + (max(tied, 1) + 1) / 2


def simulate(index, rng: random.Random, disease: str, n_terms: int, noise: int,  # type: ignore[no-untyped-def]
             imprecision: float, pool: list[str]) -> list[str]:  # fmt: skip
    terms = rng.sample(sorted(index.annotations[disease]), n_terms)
    out = []
    for t in terms:
        parents = index.parents.get(t, [])
        out.append(rng.choice(sorted(parents)) if parents and rng.random() < imprecision else t)
    related = set().union(*(index.ancestors(t) for t in index.annotations[disease]))
    while noise:
        t = rng.choice(pool)
        if t not in related and t not in out:
            out.append(t)
            noise -= 1
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--patients", type=int, default=500)
    ap.add_argument("--terms", type=int, default=5)
    ap.add_argument("--noise", type=int, default=2)
    ap.add_argument("--imprecision", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--data-dir", type=Path, default=None, help="an existing store with the vocabularies"
    )
    ap.add_argument(
        "--from-text", type=int, default=0, metavar="N",
        help="also rank the first N patients of each condition from a note naming their "
        "phenotypes, through the extractor",
    )  # fmt: skip
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/eval_phenotypes.json")
    args = ap.parse_args()

    from medkg.fusion.phenotype_ranker import PhenotypeIndex
    from medkg.kg.store import open_store
    from medkg.settings import Settings

    if args.data_dir is None:
        from _store import fresh_hetionet_store

        from medkg.kg.importers.vocabularies import import_vocabularies

        store = fresh_hetionet_store("phenotypes")
        import_vocabularies(store)
    else:
        store = open_store(Settings(data_dir=args.data_dir, backend="embedded"))
    t0 = time.perf_counter()
    index = PhenotypeIndex.from_store(store)
    build_s = time.perf_counter() - t0
    extractor = None
    if args.from_text:
        from medkg.nlp import Extractor

        print("building the extractor over the store...", file=sys.stderr)
        extractor = Extractor(store, store.settings)
    if not len(index):
        print("error: the store has no PRESENTS annotations: run medkg import vocabularies",
              file=sys.stderr)  # fmt: skip
        return 2
    eligible = sorted(d for d, ts in index.annotations.items() if len(ts) >= args.terms)
    pool = sorted({t for ts in index.annotations.values() for t in ts})
    conditions = {
        "exact": (0, 0.0),
        "+ noise": (args.noise, 0.0),
        "+ imprecision": (0, args.imprecision),
        "+ noise + imprecision": (args.noise, args.imprecision),
    }
    rows = []
    query_ms: list[float] = []
    for cond, (noise, imprecision) in conditions.items():
        rng = random.Random(args.seed)
        patients = [
            (d, simulate(index, rng, d, args.terms, noise, imprecision, pool))
            for d in rng.sample(eligible, min(args.patients, len(eligible)))
        ]
        for method, name in (("overlap", "term overlap (baseline)"),
                             ("ic", "information content"),
                             ("served", "IC, exact matches in full")):  # fmt: skip
            ranks = []
            for disease, terms in patients:
                t = time.perf_counter()
                scores = index.scores(terms, method)
                query_ms.append(1000 * (time.perf_counter() - t))
                ranks.append(rank_of(scores, disease, len(index)))
            rows.append(_row(cond, name, ranks))
        if extractor is not None:
            some = patients[: args.from_text]
            terms_from_text = _terms_from_text(extractor, index, [t for _, t in some])
            ids = [rank_of(index.scores(t, "served"), d, len(index)) for d, t in some]
            pairs = list(zip(some, terms_from_text, strict=True))
            # nothing linked: the true disease ties with every other at the bottom
            text = [rank_of(index.scores(f, "served"), d, len(index)) for (d, _), f in pairs]
            recovered = sum(len(set(t) & set(found)) for (_, t), found in pairs)
            total = sum(len(set(t)) for _, t in some)
            rows.append(_row(cond, "served ranker, from ids", ids))
            rows.append(_row(cond, "served ranker, from text", text)
                        | {"recovered": round(recovered / max(total, 1), 3)})  # fmt: skip
    print(f"simulated patients (Phenomizer protocol): {args.terms} phenotypes, noise "
          f"{args.noise}, imprecision {args.imprecision}; {len(index):,} annotated diseases, "
          f"{len(eligible):,} eligible")  # fmt: skip
    print(f"{'condition':<24} {'method':<26} {'top-1':>6} {'top-10':>7} {'median rank':>12}"
          f" {'recovered':>10}")  # fmt: skip
    for r in rows:
        print(f"{r['condition']:<24} {r['method']:<26} {r['top1']:>6} {r['top10']:>7} "
              f"{r['median_rank']:>12} {r.get('recovered', ''):>10}")  # fmt: skip
    store.close()
    median_ms = statistics.median(query_ms)
    print(f"index built in {build_s:.1f} s; one query {median_ms:.1f} ms (median)")
    write_results(args.out, {
        "rows": rows, "annotated_diseases": len(index), "eligible": len(eligible),
        "terms": args.terms, "noise": args.noise, "imprecision": args.imprecision,
        "seed": args.seed, "index_build_s": round(build_s, 1),
        "query_ms_median": round(statistics.median(query_ms), 2),
        "from_text": args.from_text,
    })  # fmt: skip
    return 0


def _row(condition: str, method: str, ranks: list[float]) -> dict:
    return {
        "condition": condition, "method": method, "patients": len(ranks),
        "top1": round(sum(r <= 1 for r in ranks) / len(ranks), 3),
        "top10": round(sum(r <= 10 for r in ranks) / len(ranks), 3),
        "median_rank": statistics.median(ranks),
    }  # fmt: skip


def note_of(names: list[str]) -> str:
    """One sentence naming the phenotypes, as a clinician's list would."""
    listed = ", ".join(names[:-1]) + (f" and {names[-1]}" if len(names) > 1 else names[0])
    return f"The patient has {listed}."


def _terms_from_text(extractor, index, patients: list[list[str]]) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The phenotypes the service would rank each patient's note by: its
    affirmed symptoms, and the phenotypes tied to its affirmed diseases, read
    through the same patient context the diagnosis endpoint builds (the notes
    are extracted in one batch, which the endpoint does one at a time)."""
    from medkg.fusion.patient import PatientContext, entities_from_document
    from medkg.fusion.recommend import DISEASE, SYMPTOM
    from medkg.nlp import NoteInput

    notes = [
        NoteInput(f"sim-{i}", note_of([index.names.get(t, t) for t in terms]))
        for i, terms in enumerate(patients)
    ]  # fmt: skip
    out = []
    for note, doc in zip(notes, extractor.extract(notes), strict=True):
        ctx = PatientContext(text=note.text, entities=entities_from_document(doc))
        out.append(index.query_terms(ctx.weights(SYMPTOM), ctx.weights(DISEASE)))
    return out


if __name__ == "__main__":
    sys.exit(main())
