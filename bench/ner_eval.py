"""Benchmark: entity-level NER precision/recall/F1 on BIO files, beside references.

Rows, all computed in this run on the same files:

* ``medkg NER: <arch> [runtime]`` - the trained model (``medkg train ner``;
  MEDKG_NER_MODEL or the default model path), or each ``--model`` given, named by
  the architecture that built it (transformer, minilm-features, hash); a
  transformer model gets a row per inference path (``--runtime torch int8
  onnx-int8``: full precision, PyTorch int8, ONNX Runtime int8; see
  ``medkg.nlp.ner.runtime``), with sentences per second; an ``onnx-int8`` row
  per ``--recheck-margin`` (0: int8 alone; the default: the served setting,
  which tags uncertain sentences again at full precision); every row of a
  transformer also gives its span agreement with the same model's ``torch``
  row (F1 between the two paths' spans; 1.0 = the same entities);
* ``graph-name rules`` - the named baseline: the entity ruler built from the
  graph's own names (what the extractor uses with no trained model), scored on
  the same tokens, SYMPTOM folded into DISEASE;
* ``text: <file>`` rows (``--pubtator``, default BC5CDR devel's abstracts):
  the same systems on raw text, through the extractor's tokenizer and
  sentence splitting (``medkg.nlp.pipeline.text_pipeline``), scored on exact
  character spans: what the extractor's NER finds in a note, where the BIO
  rows measure recognition on the corpus's own tokens;
* the published figure of scispaCy (Neumann et al. 2019, Table 5: en_ner_bc5cdr_md
  83.92 F1 on the BC5CDR test split; the NCBI-disease model 81.65 on its test
  split), for reference: it was measured on test splits, these defaults use
  BC5CDR devel and NCBI-disease test (BC5CDR test is held back for acceptance;
  pass it with --bio when you have it).

A model whose training record lists a file with the same bytes as an
evaluated one gets that file's rows marked ``[TRAINED ON THIS FILE]`` (or
``[SELECTED ON THIS FILE]`` for its development files; ``seen_in_training`` in
the JSON): such a score measures memory, not reading. The default model trains
on BC5CDR devel (decision 0046), so its BC5CDR devel rows are marked; the
recipe's devel figures come from a model trained with ``medkg train ner
--hold-out-devel``. A BC5CDR PubTator file counts as its BIO twin in the same
folder (``CDR_DevelopmentSet.PubTator.txt`` is ``devel.tsv``).

    python bench/ner_eval.py [--model DIR ...] [--bio PATH ...] [--hetionet DIR]

Results go to ``bench/results/ner_eval.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from _ner_paths import SEEN_MARK, add_ner_path_options, ner_paths, seen_by_model
from _results import write_results

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = {
    "bc5cdr": ("scispaCy en_ner_bc5cdr_md (paper, test)", 83.92),
    "ncbi": ("scispaCy NCBI-disease md (paper, test)", 81.65),
}


def _published(path: Path) -> tuple[str, float] | None:
    name = str(path).lower()
    for key, ref in PUBLISHED.items():
        if key in name:
            return ref
    return None


def main() -> int:
    from medkg.settings import Settings

    settings = Settings()
    shared = settings.shared_data_dir
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--model", type=Path, nargs="+", default=None,
        help="trained spaCy model folder(s); several compare architectures in one run",
    )  # fmt: skip
    ap.add_argument(
        "--bio",
        type=Path,
        nargs="+",
        default=[shared / "bc5cdr/devel.tsv", shared / "ncbi-disease/test.tsv"],
    )
    ap.add_argument(
        "--pubtator", type=Path, nargs="*",
        default=[shared / "bc5cdr/CDR_DevelopmentSet.PubTator.txt"],
        help="raw abstracts (PubTator) to tag through the extractor's tokenizer and "
        "sentences; exact character spans (none: skip)",
    )  # fmt: skip
    ap.add_argument("--hetionet", type=Path, default=shared / "hetionet")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/ner_eval.json")
    ap.add_argument("--no-baseline", action="store_true", help="skip the graph-name rules row")
    add_ner_path_options(ap, settings.ner_recheck_margin)
    args = ap.parse_args()

    from medkg.artifacts import ner_pipeline_folder, resolve_ner_model
    from medkg.nlp.ner.evaluation import evaluate_ner

    # a training output folder (holding model-best) or the pipeline folder itself
    models = (
        [ner_pipeline_folder(m) for m in args.model]
        if args.model
        else [resolve_ner_model(settings)]
    )
    if models[0] is None:
        print("error: no trained NER model: run `medkg train ner` or pass --model", file=sys.stderr)
        return 2
    from medkg.nlp.ner.component import TransformerNer
    from medkg.nlp.ner.evaluation import evaluate_ner_text, span_agreement
    from medkg.nlp.pipeline import text_pipeline

    systems = {}
    loaded_as = {}  # row name -> (model, runtime, margin), to load it again for raw text
    full_precision = {}  # row name -> the same model's torch row
    paths = ner_paths(args.runtime, args.recheck_margin)
    for model in models:
        reference = None
        for runtime, margin in paths:
            nlp = _load(model, runtime, margin, settings)
            if nlp is None:
                continue
            ner = nlp.get_pipe("ner") if "ner" in nlp.pipe_names else None
            transformer = isinstance(ner, TransformerNer)
            label = runtime + (f", recheck {margin:g}" if runtime == "onnx-int8" else "")
            name = f"medkg NER: {_arch(nlp)}" + (f" [{label}]" if transformer else "")
            if name in systems:  # two models of one architecture: tell them apart
                name += f" ({model})"
            systems[name] = nlp
            loaded_as[name] = (model, runtime, margin)
            if transformer and runtime == "torch":
                reference = name
            elif transformer and reference:
                full_precision[name] = reference
            if not transformer:
                break  # one row: the runtimes are the transformer's
    if not args.no_baseline:
        systems["graph-name rules"] = _rules_pipeline(args.hetionet)

    rows = []
    for path in args.bio:
        spans: dict[str, list] = {}
        for name, nlp in systems.items():
            t0 = time.perf_counter()
            spans[name] = []
            s = evaluate_ner(nlp, path, label_map={"SYMPTOM": "DISEASE"}, predicted=spans[name])
            rows.append({
                "file": str(path), "system": name, "sentences": s.sentences,
                "precision": round(100 * s.micro.precision, 2),
                "recall": round(100 * s.micro.recall, 2), "f1": round(100 * s.micro.f1, 2),
                "per_label_f1": {k: round(100 * v.f1, 2) for k, v in s.per_label.items()},
                "seconds": round(time.perf_counter() - t0, 1),
                "sentences_per_s": round(s.sentences / (time.perf_counter() - t0), 1),
            })  # fmt: skip
            if name in full_precision:
                agreement = span_agreement(spans[full_precision[name]], spans[name])
                rows[-1]["span_agreement_with_torch"] = round(agreement, 4)
            seen = seen_by_model(nlp.meta.get("medkg", {}), path)
            if seen:
                rows[-1]["seen_in_training"] = seen
        ref = _published(path)
        if ref:
            rows.append({"file": str(path), "system": ref[0], "f1": ref[1], "published": True})
    # each model loaded once more around the extractor's tokenizer (the graph-name
    # rules pipeline is the extractor's already)
    text_systems = {
        name: text_pipeline(_load(*loaded_as[name], settings)) if name in loaded_as else nlp
        for name, nlp in systems.items()
    } if args.pubtator else {}  # fmt: skip
    for path in args.pubtator:
        for name, nlp in text_systems.items():
            t0 = time.perf_counter()
            s = evaluate_ner_text(nlp, path, label_map={"SYMPTOM": "DISEASE"})
            rows.append({
                "file": str(path), "system": name, "raw_text": True, "abstracts": s.sentences,
                "precision": round(100 * s.micro.precision, 2),
                "recall": round(100 * s.micro.recall, 2), "f1": round(100 * s.micro.f1, 2),
                "per_label_f1": {k: round(100 * v.f1, 2) for k, v in s.per_label.items()},
                "seconds": round(time.perf_counter() - t0, 1),
            })  # fmt: skip
            seen = seen_by_model(systems[name].meta.get("medkg", {}), path)
            if seen:
                rows[-1]["seen_in_training"] = seen

    print(
        f"{'file':<28} {'system':<56} {'P':>6} {'R':>6} {'F1':>6} {'sent/s':>7} "
        f"{'agree':>6}  per label"
    )
    for r in rows:
        per = " ".join(f"{k}={v}" for k, v in r.get("per_label_f1", {}).items())
        file = Path(r["file"]).parent.name + "/" + Path(r["file"]).name
        if r.get("raw_text"):
            file = "text: " + Path(r["file"]).name.split(".")[0]
        system = r["system"] + SEEN_MARK.get(r.get("seen_in_training"), "")
        print(
            f"{file:<28} {system:<56} "
            f"{r.get('precision', ''):>6} {r.get('recall', ''):>6} {r['f1']:>6} "
            f"{r.get('sentences_per_s', ''):>7} {r.get('span_agreement_with_torch', ''):>6}  {per}"
        )
    write_results(args.out, {"models": [str(m) for m in models], "rows": rows})
    return 0


def _load(model: Path, runtime: str, margin: float, settings):  # type: ignore[no-untyped-def]
    """The model's pipeline on one inference path; None where that path does not
    apply (not a transformer, or the runtime cannot run here)."""
    import spacy

    from medkg.nlp.ner.component import TransformerNer
    from medkg.nlp.ner.runtime import apply_runtime, resolve_runtime

    nlp = spacy.load(model)
    ner = nlp.get_pipe("ner") if "ner" in nlp.pipe_names else None
    if runtime == "torch":
        return nlp
    if not isinstance(ner, TransformerNer) or resolve_runtime(runtime, "cpu") != runtime:
        return None
    if apply_runtime(ner.tagger, runtime, settings.cache_dir, margin) != runtime:
        return None
    return nlp


def _arch(nlp) -> str:  # type: ignore[no-untyped-def]
    """Which of `medkg train ner --arch` built this pipeline (others: its name)."""
    components = nlp.config["components"]
    if components.get("ner", {}).get("factory") == "medkg_transformer_ner":
        tagger = nlp.get_pipe("ner").tagger
        bias = getattr(tagger, "outside_bias", 0.0)
        calibrated = f", O bias {bias:+.2f}" if bias else ""
        if hasattr(tagger, "describe"):  # a TaggerEnsemble
            return f"ensemble of {tagger.describe()}{calibrated}"
        features = getattr(tagger, "features", None)
        return ("transformer + word features" if features else "transformer") + calibrated
    embed = components.get("tok2vec", {}).get("model", {}).get("embed", {})
    if embed.get("@architectures") == "medkg.HashAndTransformerEmbed.v1":
        return "minilm-features"
    if embed.get("@architectures", "").startswith("spacy.MultiHashEmbed"):
        return "hash"
    return nlp.meta.get("name", "?")


def _rules_pipeline(hetionet: Path):  # type: ignore[no-untyped-def]
    """The extractor's rules-only pipeline over a fresh store holding Hetionet."""
    from _store import fresh_hetionet_store

    from medkg.nlp.lexicon import Lexicon
    from medkg.nlp.pipeline import build_nlp

    store = fresh_hetionet_store("ner-eval", hetionet)
    nlp = build_nlp(Lexicon.from_store(store), None)
    store.close()
    return nlp


if __name__ == "__main__":
    sys.exit(main())
