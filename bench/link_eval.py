"""Benchmark: entity linking against gold MeSH ids (BC5CDR, any PubTator file by path).

For every Disease and Chemical mention with a gold MeSH id:

* **coverage** - the share of mentions whose gold concept some graph node carries,
  as its id (Hetionet's symptoms are MeSH ids) or in its ``xrefs``
  (``MESH:D009203``); chemicals count only through Drug nodes; a gold id that
  current MeSH retired (BC5CDR codes MeSH 2015: quetiapine C069541, now
  D000069348) counts as the current ids of the nodes its annotated texts name
  (``medkg.nlp.retired_mesh``), as before session 36 it counted as uncovered;
* **accuracy@1 among covered** - the share of covered mentions the linker sends
  to a node carrying the gold id; **accuracy@1 overall** - over all mentions.

Each mention is linked the way the extractor links a span its NER found: the
gold span's text with the gold type as NER label (Chemical -> CHEMICAL), the
long form when scispaCy's AbbreviationDetector finds it defined in the abstract,
through :class:`medkg.nlp.linking.Linker` (all names and synonyms, the stated
rules for shared names, then character 3-gram cosine).

Rows, in one run:

* ``Hetionet only`` - the graph before the vocabularies (the named baseline):
  137 diseases, no synonyms, the same linker code;
* ``Hetionet + vocabularies`` - after ``medkg import vocabularies``;
* ``char 3-gram TF-IDF only`` - the reference of scispaCy's linker: every
  mention to its nearest name by character 3-gram cosine over the same names
  (no exact lookup, no rules), at the same threshold;
* ``+ names learned from training abstracts`` - what ``medkg train linker``
  adds: mention texts annotated in ``--train`` (the evaluated file's abstracts
  left out) resolved to their annotated node first;
* ``+ nearest meaning`` - what ``medkg train linker --dense`` adds: a condition
  no name, spelling or head matches links to the nearest condition name by the
  text encoder's cosine (``--dense-index DIR`` keeps the encoded names between
  runs; ``--no-dense`` leaves the row out). Targets are read off the last row.

Targets (issue 17, BC5CDR devel): disease coverage >= 85 %, disease accuracy@1
among covered >= 90 %, chemical accuracy@1 among covered >= 90 %.

    python bench/link_eval.py [--pubtator FILE] [--out FILE] [--dense-index DIR | --no-dense]

Results go to ``bench/results/link_eval.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

from _results import write_results

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"Disease": (85.0, 90.0), "Chemical": (None, 90.0)}
#: Gold PubTator type -> (NER label the linker gets, graph labels coverage counts).
TYPES = {
    "Disease": ("DISEASE", ("Disease", "Symptom", "SideEffect")),
    "Chemical": ("CHEMICAL", ("Drug",)),
}


def mesh_ids_by_node(store, labels) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """node id -> the MeSH ids it carries (its own id when that is a MeSH id), and
    those of the nodes tied to it by ``SAME_AS``: the graph says they are the
    same concept, and the linker takes a tied node's names to the node it is tied
    to (HPO's Acidosis, Hetionet's MeSH symptom D000138, links as MONDO's
    acidosis disorder)."""
    from medkg.nlp.learned_names import mesh_ids

    out: dict[str, set[str]] = {}
    for label in labels:
        rows = store.query(f"MATCH (n:{label}) RETURN n.id, n.xrefs", row_cap=10_000_000).rows
        for node_id, xrefs in rows:
            if ids := mesh_ids(node_id, xrefs):
                out[node_id] = ids
    ties = store.query("MATCH (a)-[:SAME_AS]->(b) RETURN a.id, b.id", row_cap=10_000_000).rows
    for tied, target in ties:
        if tied in out:
            out[target] = out.get(target, set()) | out[tied]
    return out


def evaluate(  # type: ignore[no-untyped-def]
    store, docs, nlp, fuzzy_only=False, lexicon=None, dense=None, drug_context=True
) -> dict[str, dict[str, float]]:
    """``lexicon``: the graph's names with learned ones (:func:`learned_lexicon`);
    default the graph's own. The gold mentions are the doc's entities, as an
    NER's would be: the linker looks for a chemical near a learned drug-induced
    name (``drug_context``)."""
    from spacy.util import filter_spans

    from medkg.nlp.defined_abbreviations import defined_abbreviations
    from medkg.nlp.lexicon import Lexicon
    from medkg.nlp.linking import FuzzyLinker, Linker
    from medkg.nlp.retired_mesh import retired_mesh_ids, with_retired

    lexicon = Lexicon.from_store(store) if lexicon is None else lexicon
    s = store.settings
    linker = Linker(lexicon, s.link_threshold, dense, s.dense_link_threshold, drug_context)
    fuzzy = FuzzyLinker(lexicon, store.settings.link_threshold) if fuzzy_only else None
    counts: dict[str, dict[str, int]] = {t: defaultdict(int) for t in TYPES}
    carried: dict[str, set[str]] = {}
    covered_ids: dict[str, set[str]] = {}
    graph_labels = {t: labels for t, (_, labels) in TYPES.items()}
    for t, (_, labels) in TYPES.items():
        by_node = mesh_ids_by_node(store, labels)
        # gold ids of the corpus's MeSH that the current one retired: by their names
        by_node = with_retired(by_node, retired_mesh_ids(docs, lexicon, by_node, graph_labels))
        carried[t] = set().union(*by_node.values()) if by_node else set()
        covered_ids.update(by_node)
    for pt, doc in zip(docs, nlp.pipe(d.text for d in docs), strict=True):
        spans = [
            doc.char_span(m.start, m.end, label=TYPES[m.type][0], alignment_mode="expand")
            for m in pt.mentions if m.type in TYPES
        ]  # fmt: skip
        doc.ents = filter_spans([sp for sp in spans if sp is not None])
        abbr = defined_abbreviations(doc, linker.names)
        for m in pt.mentions:
            if m.type not in TYPES or not m.ids:
                continue
            c = counts[m.type]
            c["mentions"] += 1
            gold = set(m.ids)
            covered = bool(gold & carried[m.type])
            c["covered"] += covered
            span = doc.char_span(m.start, m.end, label=TYPES[m.type][0], alignment_mode="expand")
            if span is None:
                continue
            if fuzzy is not None:
                found = fuzzy.link(span.text, span.label_)
                node = found[0].entry.node_id if found else None
            else:
                link = linker.link(span, abbr)
                node = link.entry.node_id if link else None
            right = node is not None and bool(gold & covered_ids.get(node, set()))
            c["linked"] += node is not None
            c["right"] += right
            c["right_covered"] += right and covered
    out = {}
    for t, c in counts.items():
        n, cov = c["mentions"], c["covered"]
        out[t] = {
            "mentions": n,
            "coverage": round(100 * cov / n, 1) if n else 0.0,
            "acc_covered": round(100 * c["right_covered"] / cov, 1) if cov else 0.0,
            "acc_overall": round(100 * c["right"] / n, 1) if n else 0.0,
            "linked": round(100 * c["linked"] / n, 1) if n else 0.0,
        }
    return out


def learned_lexicon(store, learned):  # type: ignore[no-untyped-def]
    """The graph's names plus ``learned`` (what the extractor links with after
    ``medkg train linker``)."""
    from medkg.nlp.lexicon import Lexicon

    lexicon = Lexicon.from_store(store)
    lexicon.learn(learned.names, learned.symbols)
    return lexicon


def dense_index(lexicon, s, folder: Path | None):  # type: ignore[no-untyped-def]
    """The condition names encoded as ``medkg train linker --dense`` does (``s``:
    the settings), loaded from ``folder`` when it holds them for this lexicon,
    else built (and saved there)."""
    from medkg.encoders.text import TextEncoder
    from medkg.nlp.dense_names import META_FILE, DenseNames

    if folder is not None and (folder / META_FILE).is_file():
        index = DenseNames.load(folder, s.text_runtime, s.cache_dir)
        if index.lexicon_fingerprint == lexicon.fingerprint():
            return index
    t0 = time.perf_counter()
    encoder = TextEncoder(s.text_model, device="cpu", runtime=s.text_runtime, cache_dir=s.cache_dir)
    index = DenseNames.build(lexicon, encoder)
    print(f"encoded {len(index.keys):,} condition names in {time.perf_counter() - t0:.0f} s",
          file=sys.stderr)  # fmt: skip
    if folder is not None:
        index.save(folder)
    return index


def main() -> int:
    from medkg.settings import Settings

    settings = Settings()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--pubtator",
        type=Path,
        default=settings.shared_data_dir / "bc5cdr/CDR_DevelopmentSet.PubTator.txt",
    )
    ap.add_argument(
        "--train",
        type=Path,
        default=settings.shared_data_dir / "bc5cdr/CDR_TrainingSet.PubTator.txt",
        help="annotated abstracts to learn names from (the evaluation file's are left out)",
    )
    ap.add_argument("--hetionet", type=Path, default=settings.hetionet_dir)
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/link_eval.json")
    ap.add_argument(
        "--dense-index",
        type=Path,
        default=None,
        help="folder to keep the encoded condition names in between runs",
    )
    ap.add_argument("--no-dense", action="store_true", help="leave the nearest-meaning row out")
    args = ap.parse_args()
    if not args.pubtator.is_file():
        print(f"error: {args.pubtator}: no such file", file=sys.stderr)
        return 2

    import spacy
    from _store import fresh_hetionet_store
    from scispacy.abbreviation import AbbreviationDetector  # noqa: F401  (registers it)

    from medkg.kg.importers.vocabularies import import_vocabularies
    from medkg.nlp.corpora.pubtator import read_pubtator, training_abstracts
    from medkg.nlp.learned_names import learn_names
    from medkg.nlp.pipeline import text_pipeline

    docs = read_pubtator(args.pubtator)
    nlp = text_pipeline(spacy.blank("en"))  # the extractor's tokens and sentences
    nlp.add_pipe("abbreviation_detector")

    rows = []
    store = fresh_hetionet_store("link-eval", args.hetionet)
    t0 = time.perf_counter()
    rows.append(("Hetionet only (baseline)", evaluate(store, docs, nlp)))
    print(f"baseline linked in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    t0 = time.perf_counter()
    import_vocabularies(store)
    print(f"vocabularies imported in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    rows.append(("Hetionet + vocabularies", evaluate(store, docs, nlp)))
    rows.append(("char 3-gram TF-IDF only (reference)", evaluate(store, docs, nlp, True)))
    if args.train.is_file():
        learned = learn_names(training_abstracts(args.train, args.pubtator), store)
        print(f"learned {learned.meta['names']} names from {args.train.name}", file=sys.stderr)
        lexicon = learned_lexicon(store, learned)  # read once for both rows
        rows.append(("+ names learned from training abstracts", evaluate(
            store, docs, nlp, lexicon=lexicon
        )))  # fmt: skip
        rows.append(("  the same, drug-induced names without a chemical near", evaluate(
            store, docs, nlp, lexicon=lexicon, drug_context=False
        )))  # fmt: skip
        if not args.no_dense:
            dense = dense_index(lexicon, store.settings, args.dense_index)
            rows.append(("+ nearest meaning (--dense)", evaluate(
                store, docs, nlp, lexicon=lexicon, dense=dense
            )))  # fmt: skip
    store.close()

    print(f"{args.pubtator.name}: gold MeSH ids; % of mentions")
    print(f"{'graph / linker':<38} {'type':<9} {'mentions':>8} {'cover':>6} "
          f"{'acc@1|cov':>9} {'acc@1':>6}")  # fmt: skip
    table = []
    for name, result in rows:
        for t, r in result.items():
            print(f"{name:<38} {t:<9} {r['mentions']:>8} {r['coverage']:>6} "
                  f"{r['acc_covered']:>9} {r['acc_overall']:>6}")  # fmt: skip
            table.append({"system": name, "type": t, **r})
    new = next(r for name, r in reversed(rows) if not name.startswith(" "))  # the served row
    for t, (cov_target, acc_target) in TARGETS.items():
        parts = []
        if cov_target is not None:
            ok = new[t]["coverage"] >= cov_target
            parts.append(
                f"coverage {new[t]['coverage']} >= {cov_target}: {'met' if ok else 'NOT met'}"
            )
        ok = new[t]["acc_covered"] >= acc_target
        parts.append(f"acc@1 among covered {new[t]['acc_covered']} >= {acc_target}: "
                     f"{'met' if ok else 'NOT met'}")  # fmt: skip
        print(f"target {t}: " + "; ".join(parts))
    write_results(args.out, {"pubtator": str(args.pubtator), "rows": table})
    return 0


if __name__ == "__main__":
    sys.exit(main())
