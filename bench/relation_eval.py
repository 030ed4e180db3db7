"""Benchmark: chemical-induced-disease relation F1 on BC5CDR (document level).

Rows, on the same evaluation abstracts and gold entities, in this run:

* ``sentence co-occurrence`` - the named baseline: every chemical-disease pair
  that shares a sentence is called a relation;
* ``medkg CID classifier`` - the logistic regression ``medkg train relations``
  builds, trained here on the training abstracts that are not in the
  evaluation file;
* ``medkg trigger rules`` - the CAUSES trigger patterns the extractor applies to
  notes, alone;
* ``medkg CID transformer`` - the fine-tuned MiniLM with entity markers
  (``medkg train relations --arch transformer``): ``--transformer DIR`` loads one
  (default: the trained model, when there is one), ``--train-transformer``
  trains it here on the same training abstracts; its own threshold, chosen on
  training abstracts held out from its training;
* ``medkg CID document model`` - the fine-tuned MiniLM over whole abstracts
  (``medkg train relations --arch document``): every chemical-disease entity
  pair of an abstract, across sentences too; ``--document DIR`` loads one
  (default: the trained model, when there is one), ``--train-document`` trains
  it here; ``--runtime torch onnx-int8`` scores it on each inference path
  (rows tagged ``[onnx-int8]``); ``, hypernym filter``: less each chemical's diseases that are MeSH
  ancestors of another disease predicted for it (nlp/relations/hypernyms.py),
  as the extractor predicts with the graph's IS_A edges;
* ``medkg extractor`` - what the extractor does: a rule match or the classifier
  (the transformer, or the document model, when there is one);
  ``, known-treatment veto`` - less the pairs whose chemical the graph
  (Hetionet and the vocabularies, built here) gives for the disease or its
  parent by an imported TREATS/PALLIATES edge (nlp/relations/known_treatments.py),
  as the extractor serves it; a gold MeSH id stands for every node carrying it.

Also printed: the transformer's training time (from its record) and the pairs
per second it scores at inference in this run.

``--end-to-end``: what a user gets. A fresh store with Hetionet and the
vocabularies, and the names ``medkg train linker`` learns from ``--train``
(the evaluated abstracts left out; ``--no-learned-names`` to go without, as
before session 16), with ``--dense-index DIR`` the condition names by meaning
(an index ``bench/link_eval.py --dense-index`` or ``medkg train linker
--dense`` built for the same graph); the extractor (its NER:
``MEDKG_NER_MODEL`` or the trained default, else the graph-name rules; its
rows are marked ``[TRAINED ON THIS FILE]`` when that NER learned from the
evaluated abstracts, as the served default does from BC5CDR devel, decision
0046: name a ``medkg train ner --hold-out-devel`` model to measure devel) reads
each evaluation abstract's raw text,
links its own mentions and calls CAUSES with each classifier above. A
predicted (drug node, disease node) pair is right when the two nodes carry the
gold chemical's and disease's MeSH ids (as id or xref; a gold id that
current MeSH retired, as the current ids of the nodes its annotated texts
name: ``medkg.nlp.retired_mesh``, since session 36). Every gold pair missed
is charged to the first stage that lost it: *NER* (no extracted mention
overlaps a gold mention of the chemical, or of the disease), *linking*
(mentions found, none linked to a node carrying the gold id), or the
*classifier* (both linked right, no relation called).

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

from _ner_paths import SEEN_MARK, model_record, seen_by_model
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
    ap.add_argument("--transformer", type=Path, default=None, help="a trained CID transformer")
    ap.add_argument("--train-transformer", action="store_true", help="train one in this run")
    ap.add_argument("--epochs", type=int, default=2, help="transformer epochs")
    ap.add_argument(
        "--document", type=Path, nargs="+", default=None,
        help="a trained CID document model; several: scored as one ensemble (mean "
        "probability, threshold chosen on the abstracts they all held out of --train)",
    )  # fmt: skip
    ap.add_argument("--train-document", action="store_true", help="train one in this run")
    ap.add_argument("--document-epochs", type=int, default=12)
    ap.add_argument("--end-to-end", action="store_true", help="the extractor on raw abstracts")
    ap.add_argument(
        "--runtime", nargs="+", default=["torch"], choices=["torch", "onnx", "onnx-int8"],
        help="inference paths of the document model, each its rows (ONNX: CPU only)",
    )  # fmt: skip
    ap.add_argument("--no-learned-names", action="store_true",
                    help="end to end without the names `medkg train linker` learns")
    ap.add_argument("--dense-index", type=Path, default=None,
                    help="end to end with this condition-name index (linking by meaning)")
    args = ap.parse_args()

    from medkg.nlp.corpora.pubtator import split_training_set
    from medkg.nlp.relations.training import (
        candidates,
        gold_pairs,
        pair_prf,
        predicted_cid,
        rules_find,
        train_cid,
    )  # fmt: skip

    train, dev = split_training_set(args.train, args.eval)
    clf = train_cid(train)
    cands = list(candidates(dev))  # every system scores the same candidates

    def rules(k) -> float:  # type: ignore[no-untyped-def]
        return float(rules_find(k, "CAUSES"))

    systems = {
        "sentence co-occurrence (baseline)": (lambda k: 1.0, args.threshold),
        "medkg trigger rules": (rules, args.threshold),
        "medkg CID classifier": (
            lambda k: clf.probability(k.sentence, k.chem, k.dis), args.threshold
        ),
        "medkg extractor (rules or classifier)": (
            lambda k: max(rules(k), clf.probability(k.sentence, k.chem, k.dis)), args.threshold
        ),
    }
    extra: dict = {}
    trf = _finetuned("transformer", train, args.transformer, args.train_transformer, args.epochs)
    if trf is not None:
        import time

        t0 = time.perf_counter()
        probs = trf.probabilities([(k.sentence, k.chem, k.dis) for k in cands])
        pairs_per_s = len(cands) / (time.perf_counter() - t0)
        score = dict(zip([(k.pmid, k.sentence, k.chem, k.dis) for k in cands], probs, strict=True))

        def trf_score(k) -> float:  # type: ignore[no-untyped-def]
            return score[(k.pmid, k.sentence, k.chem, k.dis)]

        # The rules' 1.0 passes any threshold: "rules or transformer", as extracted.
        systems["medkg CID transformer"] = (trf_score, trf.threshold)
        systems["medkg extractor (rules or transformer)"] = (
            lambda k: max(rules(k), trf_score(k)), trf.threshold
        )
        extra = {
            "transformer": {
                "threshold": trf.threshold, "dev_f1": trf.record.get("dev_f1"),
                "training_seconds": trf.record.get("seconds"),
                "training_pairs": trf.record.get("pairs"),
                "inference_pairs_per_s": round(pairs_per_s, 1),
            }
        }  # fmt: skip
    rows = []
    print(f"train: {len(train)} abstracts; eval: {args.eval.name}, {len(dev)} abstracts")
    print(f"{'system':<40} {'P':>6} {'R':>6} {'F1':>6}")

    def row(name: str, s) -> None:  # type: ignore[no-untyped-def]
        rows.append({"system": name, "precision": round(100 * s.precision, 2),
                     "recall": round(100 * s.recall, 2), "f1": round(100 * s.f1, 2)})  # fmt: skip
        print(f"{name:<40} {rows[-1]['precision']:>6} {rows[-1]['recall']:>6} {rows[-1]['f1']:>6}")

    store = _graph_store()
    from medkg.nlp.lexicon import Lexicon

    lexicon = Lexicon.from_store(store)  # the graph's names, read once for both
    mesh = _mesh_of_nodes(store, lexicon, dev)
    indicated = _known_treatments(lexicon, mesh)
    gold = gold_pairs(dev)
    for name, (scorer, threshold) in systems.items():
        predicted = predicted_cid(cands, scorer, threshold)
        row(name, pair_prf(predicted, gold))
        if name.startswith("medkg extractor"):
            kept = {p for p in predicted if not indicated(p[1], p[2])}
            row(name + ", known-treatment veto", pair_prf(kept, gold))
    doc_model = _finetuned(
        "document", train, args.document, args.train_document, args.document_epochs
    )
    if doc_model is not None:
        for runtime in args.runtime:
            model = doc_model if runtime == "torch" else _on_onnx(doc_model, runtime)
            doc_rows, info = _document_rows(model, dev, cands, rules, indicated)
            tag = "" if runtime == "torch" else f" [{runtime}]"
            extra["document" + tag] = info
            for name, s in doc_rows.items():
                row(name + tag, s)
    print(f"{'BioCreative V CDR best run (published)':<40} {'':>6} {'':>6} {PUBLISHED_F1:>6}")
    if args.end_to_end:
        classifiers = {"rules + logistic regression": (clf, args.threshold)}
        if trf is not None:
            classifiers["rules + transformer"] = (trf, trf.threshold)
        if doc_model is not None:
            classifiers["rules + document model"] = (doc_model, doc_model.threshold)
        learn_from = None if args.no_learned_names else (args.train, args.eval)
        extra["end_to_end"] = _end_to_end(
            store, mesh, dev, classifiers, learn_from, args.dense_index, args.eval
        )
    store.close()
    if extra.get("transformer"):
        t = extra["transformer"]
        print(
            f"transformer: threshold {t['threshold']}, trained in {t['training_seconds']} s "
            f"on {t['training_pairs']} pairs; {t['inference_pairs_per_s']} pairs/s scored"
        )
    for key, t in extra.items():
        if key.startswith("document"):
            print(
                f"{key} model: threshold {t['threshold']}, {t['steps']} steps, trained in "
                f"{t['training_seconds']} s; {t['inference_abstracts_per_s']} abstracts/s scored"
            )
    write_results(
        args.out,
        {"eval": str(args.eval), "rows": rows, "published_best_f1": PUBLISHED_F1, **extra},
    )
    return 0


def _graph_store():  # type: ignore[no-untyped-def]
    """A fresh store with Hetionet and the vocabularies (the README's graph), with
    the user's NER model named for the end-to-end extractor."""
    from _store import fresh_hetionet_store

    from medkg.kg.importers.vocabularies import import_vocabularies
    from medkg.settings import Settings

    user = Settings()
    print("building the graph (Hetionet and the vocabularies)...", file=sys.stderr)
    store = fresh_hetionet_store("relation-eval", user.hetionet_dir, ner_model=user.ner_model)
    import_vocabularies(store)
    return store


def _mesh_of_nodes(store, lexicon, docs):  # type: ignore[no-untyped-def]
    """Node id -> the MeSH ids it carries, and the retired ids of ``docs``' MeSH
    that read as one of them by ``lexicon``'s names (``medkg.nlp.retired_mesh``)."""
    from link_eval import TYPES, mesh_ids_by_node

    from medkg.nlp.retired_mesh import retired_mesh_ids, with_retired

    mesh = mesh_ids_by_node(store, ("Drug", "Disease", "Symptom", "SideEffect"))
    labels = {t: graph_labels for t, (_, graph_labels) in TYPES.items()}
    retired = retired_mesh_ids(docs, lexicon, mesh, labels)
    print(f"{len(retired)} retired MeSH ids read by name", file=sys.stderr)
    return with_retired(mesh, retired)


def _known_treatments(lexicon, mesh):  # type: ignore[no-untyped-def]
    """``indicated(chemical MeSH id, disease MeSH id)``: does the graph give a drug
    carrying the first for a node carrying the second (or its parent), as the
    extractor's known-treatment veto decides on the nodes it linked? ``mesh``:
    node id -> the MeSH ids it carries; ``lexicon``: the graph's."""
    from medkg.nlp.relations.known_treatments import treated_node

    nodes: dict[str, set[str]] = {}
    for node, ids in mesh.items():
        tied = lexicon.same_as.get(node)  # linking goes to the node it is the same as
        for mesh_id in ids:
            nodes.setdefault(mesh_id, set()).update({node, tied.node_id} if tied else {node})

    def indicated(chemical: str, disease: str) -> bool:
        return any(
            treated_node(lexicon.treatments, lexicon.parents, c, d) is not None
            for c in nodes.get(chemical, ()) for d in nodes.get(disease, ())
        )  # fmt: skip

    return indicated


def _end_to_end(store, mesh, docs, classifiers, learn_from, dense_index, evaluated) -> list[dict]:  # type: ignore[no-untyped-def]
    """Extract from raw abstracts; score pairs through MeSH ids; charge each miss.

    The extractor runs once per classifier with the known-treatment rule off, and
    each run gives two rows: its CAUSES pairs, and those less the pairs the rule
    drops (the rule is a filter on the final (drug node, disease node) pairs, so
    this is what the extractor serves with it on)."""
    import shutil
    import time

    from medkg.artifacts import ModelFiles
    from medkg.nlp.corpora.pubtator import training_abstracts
    from medkg.nlp.documents import NoteInput
    from medkg.nlp.learned_names import learn_names
    from medkg.nlp.pipeline import Extractor
    from medkg.nlp.relations.known_treatments import treated_node
    from medkg.nlp.relations.training import gold_pairs

    files = ModelFiles.of(store.settings)
    if learn_from is not None:  # what `medkg train linker` writes
        learn_names(training_abstracts(*learn_from), store).save(files.learned_names)
    if dense_index is not None:  # what `medkg train linker --dense` writes
        shutil.copytree(dense_index, files.dense_names)
    settings = store.settings.model_copy(update={"cid_known_treatments": False})
    extractor = Extractor(store, settings)
    lex = extractor.lexicon
    linking = ("learned names" if learn_from else "no learned names") + (
        ", nearest meaning" if extractor.dense is not None else ""
    )
    print(f"end to end: {extractor.version} ({linking})", file=sys.stderr)
    seen = seen_by_model(model_record(extractor.ner_model), Path(evaluated))
    if seen:  # decision 0046: the served NER learns from BC5CDR devel
        print(f"note: the NER has seen {evaluated.name}{SEEN_MARK[seen]}", file=sys.stderr)
    gold = gold_pairs(docs)
    notes = [NoteInput(d.pmid, d.text) for d in docs]
    rows = []
    for name, (classifier, threshold) in classifiers.items():
        extractor.classifier, extractor.cid_threshold = classifier, threshold
        t0 = time.perf_counter()
        extracted = {x.doc_id: x for x in extractor.extract(notes)}
        seconds = time.perf_counter() - t0
        predicted = {
            (pmid, x.mentions[r.head].node_id, x.mentions[r.tail].node_id)
            for pmid, x in extracted.items()
            for r in x.relations
            if r.rel_type == "CAUSES"
        }
        vetoed = {p for p in predicted if treated_node(lex.treatments, lex.parents, p[1], p[2])}
        variants = ((name, predicted), (name + ", known-treatment veto", predicted - vetoed))
        for label, pairs in variants:
            rows.append({
                "system": f"extractor end to end: {label}" + SEEN_MARK.get(seen or "", ""),
                "linking": linking, "ner_seen_in_training": seen,
                **_end_to_end_scores(docs, extracted, mesh, gold, pairs),
                "abstracts_per_s": round(len(docs) / seconds, 1),
            })  # fmt: skip
            got = rows[-1]
            print(f"{got['system']:<48} {got['precision']:>6} {got['recall']:>6} "
                  f"{got['f1']:>6}  missed {got['missed']}: {got['lost_to']}")  # fmt: skip
    return rows


def _end_to_end_scores(docs, extracted, mesh, gold, predicted) -> dict:  # type: ignore[no-untyped-def]
    """P/R/F1 of predicted (PubMed id, drug node, disease node) pairs against the
    gold MeSH pairs, and each missed gold pair charged to a stage."""
    hits = {
        (pmid, c, d)
        for pmid, h, t in predicted
        for c in mesh.get(h, ())
        for d in mesh.get(t, ())
        if (pmid, c, d) in gold
    }
    tp = sum(
        any((pmid, c, d) in gold for c in mesh.get(h, ()) for d in mesh.get(t, ()))
        for pmid, h, t in predicted
    )
    p = tp / len(predicted) if predicted else 0.0
    r = len(hits) / len(gold)
    return {
        "precision": round(100 * p, 2),
        "recall": round(100 * r, 2),
        "f1": round(100 * (2 * p * r / (p + r) if p + r else 0), 2),
        "gold_pairs": len(gold),
        "missed": len(gold - hits),
        "lost_to": _losses(docs, extracted, mesh, gold - hits),
    }


def _losses(docs, extracted, mesh, missed) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Charge each missed gold pair to NER, linking or the classifier."""
    by_pmid = {d.pmid: d for d in docs}
    out = {"ner": 0, "linking": 0, "classifier": 0, "linking_chemical": 0, "linking_disease": 0}
    for pmid, chem, dis in missed:
        doc, x = by_pmid[pmid], extracted[pmid]
        stage, wrong = "classifier", []
        for role, gold_id in (("chemical", chem), ("disease", dis)):
            spans = [(m.start, m.end) for m in doc.mentions if gold_id in m.ids]
            found = [m for m in x.mentions
                     if any(m.start < e and s < m.end for s, e in spans)]  # fmt: skip
            if not found:
                stage = "ner"
                break
            if not any(gold_id in mesh.get(m.node_id, ()) for m in found):
                stage = "linking"
                wrong.append(role)
        out[stage] += 1
        if stage == "linking":  # which side was linked wrong (both: counted twice)
            for role in wrong:
                out[f"linking_{role}"] += 1
    return out


def _finetuned(arch: str, train, given, train_here: bool, epochs: int):  # type: ignore[no-untyped-def]
    """A fine-tuned CID model to score: trained here, given (several document
    models: joined into one ensemble on ``train``), or the trained default."""
    from medkg.artifacts import ModelFiles
    from medkg.nlp.relations.cid_models import FINETUNED
    from medkg.nlp.relations.document_ensemble import join_document_models
    from medkg.settings import Settings

    kind = FINETUNED[arch]
    if train_here:
        return kind.train(train, kind.config(epochs=epochs))
    if isinstance(given, list) and len(given) > 1:
        return join_document_models([kind.model.load(f) for f in given], train)
    if isinstance(given, list):
        given = given[0]
    folder = given or kind.folder(ModelFiles.of(Settings()))
    return kind.load(folder) if (folder / "cid.json").is_file() else None


def _on_onnx(model, runtime: str):  # type: ignore[no-untyped-def]
    """A fresh copy of a saved model on ONNX Runtime (fp32 or int8), as the
    extractor runs it with ``MEDKG_NER_RUNTIME=onnx|onnx-int8``."""
    from medkg.settings import Settings

    if model.folder is None:
        raise SystemExit("error: --runtime onnx* needs a saved model (--document DIR)")
    copy = type(model).load(model.folder)
    copy.use_onnx("int8" if runtime == "onnx-int8" else "fp32", Settings().cache_dir)
    return copy


def _document_rows(model, dev, cands, rules, indicated):  # type: ignore[no-untyped-def]
    """The document model alone, with the hypernym filter (MeSH trees), with
    the trigger rules as the extractor runs it, and with the known-treatment veto."""
    import time

    from medkg.nlp.relations.document_cid import predicted_pairs, prepare, score_documents
    from medkg.nlp.relations.hypernyms import mesh_hierarchy
    from medkg.nlp.relations.training import gold_pairs, pair_prf

    prepared = prepare(model, dev)
    t0 = time.perf_counter()
    scores = score_documents(model, prepared)
    per_s = len(prepared) / (time.perf_counter() - t0)
    predicted = predicted_pairs(prepared, scores, model.threshold)
    by_rules = {(k.pmid, c, d) for k in cands if rules(k) for c in k.chem_ids for d in k.dis_ids}
    gold = gold_pairs(dev)
    rows = {"medkg CID document model": pair_prf(predicted, gold)}
    is_ancestor = mesh_hierarchy() if model.filters_hypernyms else None
    if is_ancestor is not None:
        predicted = predicted_pairs(prepared, scores, model.threshold, is_ancestor)
        rows["medkg CID document model, hypernym filter"] = pair_prf(predicted, gold)
    served = predicted | by_rules
    rows["medkg extractor (rules or document model)"] = pair_prf(served, gold)
    kept = {p for p in served if not indicated(p[1], p[2])}
    rows["medkg extractor (rules or document model), known-treatment veto"] = pair_prf(kept, gold)
    info = {
        "threshold": model.threshold, "dev_f1": model.record.get("dev_f1"),
        "steps": model.record.get("steps"), "training_seconds": model.record.get("seconds"),
        "training_pairs": model.record.get("pairs"),
        "ancestor_negatives": model.record.get("ancestor_negatives"),
        "hypernym_filter": is_ancestor is not None,
        "inference_abstracts_per_s": round(per_s, 1),
    }  # fmt: skip
    return rows, info


if __name__ == "__main__":
    sys.exit(main())
