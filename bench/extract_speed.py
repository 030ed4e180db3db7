"""Benchmark: extraction throughput on real clinical notes (MTSamples), 1 and 2 processes.

Rows, all on the same notes in this run:

* ``tokenize+sentences`` - the named baseline and cost floor: scispaCy's tokenizer
  and the sentencizer alone;
* ``medkg extractor [runtime]`` - the whole extraction (names + symbol rulers, the
  trained NER when one exists, abbreviations, ConText, linking, relations,
  masking), with 1 and 2 worker processes, for each NER inference path
  (``--runtime torch int8 onnx-int8``: full precision, PyTorch int8, ONNX
  Runtime int8; ``medkg.nlp.ner.runtime``), and for ``onnx-int8`` one row per
  ``--recheck-margin`` (0: int8 alone; the default: the served setting, with
  the share of sentences tagged again at full precision). Graph writes are not
  included: they are the store's cost, measured by the import benchmark;
* ``ray [runtime]`` (``--engine local ray``) - the same extraction on Ray Data
  actors of a local cluster (started before timing), 1 and 2 workers, for the
  first runtime given: seconds including the workers' pipeline load, the time
  to the first document (that load: paid once per job), the rate after it, and
  the projected hours for one million notes at that rate.

    python bench/extract_speed.py [--notes mtsamples.csv] [--repeat 3] [--engine local ray]
        [--vocabularies]

Results go to ``bench/results/extract_speed.json``.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

from _ner_paths import add_ner_path_options, ner_paths
from _results import write_results

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    from medkg.settings import Settings

    user = Settings()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--notes", type=Path, default=user.shared_data_dir / "mtsamples/mtsamples.csv")
    ap.add_argument("--text-column", default="transcription")
    ap.add_argument("--repeat", type=int, default=3, help="runs per row; the best is kept")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/extract_speed.json")
    add_ner_path_options(ap, user.ner_recheck_margin)
    ap.add_argument("--engine", nargs="+", default=["local"], choices=["local", "ray"])
    ap.add_argument("--max-notes", type=int, default=None, help="the first N notes only")
    ap.add_argument(
        "--vocabularies",
        action="store_true",
        help="import the vocabularies too (the README's main graph: 230,000 names to match)",
    )
    args = ap.parse_args()
    if not args.notes.is_file():
        print(f"error: {args.notes}: no such file", file=sys.stderr)
        return 2

    import spacy
    from _store import fresh_hetionet_store
    from scispacy.custom_tokenizer import combined_rule_tokenizer

    from medkg.artifacts import resolve_ner_model
    from medkg.nlp import Extractor, NoteInput

    with args.notes.open(encoding="utf-8", newline="") as fh:
        texts = [r[args.text_column] for r in csv.DictReader(fh) if r[args.text_column].strip()]
    texts = texts[: args.max_notes] if args.max_notes else texts
    notes = [NoteInput(str(i), t) for i, t in enumerate(texts)]

    ner = resolve_ner_model(user)
    store = fresh_hetionet_store(
        "extract-bench",
        user.hetionet_dir,
        models_from=user.models_dir,
        ner_model=str(ner) if ner else None,
    )
    if args.vocabularies:
        from medkg.kg.importers.vocabularies import import_vocabularies

        import_vocabularies(store)
    configs = ner_paths(args.runtime if ner else ["torch"], args.recheck_margin)
    extractors = {
        (rt, margin): Extractor(
            store,
            store.settings.model_copy(update={"ner_runtime": rt, "ner_recheck_margin": margin}),
        )
        for rt, margin in configs
    }
    floor = spacy.blank("en")
    floor.tokenizer = combined_rule_tokenizer(floor)
    floor.add_pipe("sentencizer")
    n_tokens = sum(len(d) for d in floor.pipe(texts))

    def best_of(fn, reset=lambda: None) -> float:  # type: ignore[no-untyped-def]
        times = []
        for _ in range(args.repeat):
            reset()  # an extractor tags repeated sentences once: each run starts afresh
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    rows = [("tokenize+sentences (baseline)", 1, best_of(lambda: list(floor.pipe(texts))))]
    rechecked = {}
    for (_, margin), extractor in extractors.items():
        name = f"medkg extractor [{extractor.ner_runtime or 'no NER'}"
        name += f", recheck {margin:g}]" if extractor.ner_runtime == "onnx-int8" else "]"
        for n in (1, 2):
            secs = best_of(
                lambda n=n, e=extractor: list(e.extract(notes, n_process=n)),
                extractor.forget_tagged,
            )
            rows.append((name, n, secs))
        share = _recheck_share(extractor)
        if share is not None:
            rechecked[name] = share
    first = next(iter(extractors.values()))
    ray_rows = _ray_rows(notes, first, args.repeat) if "ray" in args.engine else []
    store.close()

    print(
        f"{len(notes)} notes, {n_tokens} tokens; NER model: {ner or 'none (rules only)'}; "
        f"graph: Hetionet{' + vocabularies' if args.vocabularies else ''}; {os.cpu_count()} CPUs"
    )
    print(f"{'pipeline':<44} {'procs':>5} {'seconds':>8} {'docs/s':>8} {'tokens/s':>9}")
    results = []
    for name, procs, secs in rows:
        results.append(
            {
                "pipeline": name,
                "processes": procs,
                "seconds": round(secs, 2),
                "docs_per_s": round(len(notes) / secs, 1),
                "tokens_per_s": round(n_tokens / secs),
            }
        )
        if name in rechecked:
            results[-1]["sentences_rechecked"] = rechecked[name]
        r = results[-1]
        print(
            f"{name:<44} {procs:>5} {r['seconds']:>8} {r['docs_per_s']:>8} {r['tokens_per_s']:>9}"
        )
    for name, share in rechecked.items():
        print(
            f"{name}: {100 * share:.1f} % of sentences tagged again at full precision (1 process)"
        )
    if ray_rows:
        print(f"\n{'engine':<32} {'workers':>7} {'seconds':>8} {'docs/s':>8} "
              f"{'first doc s':>11} {'docs/s after':>12} {'1M notes h':>10}")  # fmt: skip
        for r in ray_rows:
            print(f"{r['pipeline']:<32} {r['processes']:>7} {r['seconds']:>8} "
                  f"{r['docs_per_s']:>8} {r['first_document_s']:>11} "
                  f"{r['steady_docs_per_s']:>12} {r['million_notes_hours']:>10}")  # fmt: skip
    write_results(
        args.out,
        {
            "notes": str(args.notes),
            "documents": len(notes),
            "tokens": n_tokens,
            "ner_model": str(ner) if ner else None,
            "graph": "hetionet+vocabularies" if args.vocabularies else "hetionet",
            "rows": results,
            "ray_rows": ray_rows,
        },
    )
    return 0


def _recheck_share(extractor) -> float | None:  # type: ignore[no-untyped-def]
    """Share of the NER's chunks tagged again at full precision in this process
    (the one-process runs; forked workers count in their own memory)."""
    from medkg.nlp.ner.component import TransformerNer
    from medkg.nlp.ner.runtime import tagger_members

    ner = extractor.nlp.get_pipe("ner") if "ner" in extractor.nlp.pipe_names else None
    if not isinstance(ner, TransformerNer) or ner.tagger is None:
        return None
    checks = [m.recheck for m in tagger_members(ner.tagger) if m.recheck is not None]
    total = sum(c.chunks for c in checks)
    return round(sum(c.rechecked for c in checks) / total, 4) if total else None


def _ray_rows(notes, extractor, repeat: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """Ray Data on a local cluster started before timing; the best of ``repeat``."""
    import ray

    from medkg.nlp.ray_engine import extract_on_ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    rows = []
    try:
        for workers in (1, 2):
            best = None
            for _ in range(repeat):
                t0 = time.perf_counter()
                first_at = None
                count = 0
                for _doc in extract_on_ray(
                    notes, extractor.lexicon, extractor.settings, workers=workers, batch_size=8
                ):
                    count += 1
                    first_at = first_at or time.perf_counter()
                end = time.perf_counter()
                assert count == len(notes), (count, len(notes))
                if best is None or end - t0 < best[0]:
                    best = (end - t0, first_at - t0, (count - 1) / max(end - first_at, 1e-9))
            secs, first_s, steady = best
            rows.append({
                "pipeline": f"ray [{extractor.ner_runtime or 'no NER'}]", "processes": workers,
                "seconds": round(secs, 2), "docs_per_s": round(len(notes) / secs, 1),
                "first_document_s": round(first_s, 1), "steady_docs_per_s": round(steady, 1),
                "million_notes_hours": round((first_s + 1e6 / steady) / 3600, 1),
            })  # fmt: skip
    finally:
        ray.shutdown()
    return rows


if __name__ == "__main__":
    sys.exit(main())
