"""Mention names learned from annotated corpora: how annotators name concepts.

Why: vocabularies say what a concept is called; annotated corpora say what
annotators decided a phrase *means*. BC5CDR's curators normalise
"nephrotoxicity" to Kidney Diseases and "hypertensive" to Hypertension; no
ontology lists those, and both are frequent in notes about drug effects.
Every annotated mention whose MeSH id a graph node carries (by id or xref)
teaches its text -> that node (when several carry the id, the one the text
itself names, else the lexicon's choice); a text annotated with different concepts keeps
the majority only when it holds two thirds of the votes. Abbreviations
(defined per abstract), short texts and stop words are not learned.

An id of an older MeSH that the current one retired (BC5CDR's quetiapine,
C069541) is read as the current id of the node its annotated texts name
(:mod:`.retired_mesh`), so its mentions teach names too ("QTP").

Learned from training abstracts only (BC5CDR train without its development
abstracts), saved with the models (``ModelFiles.learned_names``), loaded by the
extractor, and resolved before every other rule (``Lexicon.learn``).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from medkg.artifacts import load_json, save_json
from medkg.kg.store.base import GraphStore
from medkg.nlp.corpora.pubtator import PtDocument
from medkg.nlp.lexicon import LABEL_PRIORITY, Entry, Lexicon, normalise
from medkg.nlp.retired_mesh import retired_mesh_ids

#: Annotated type -> the graph labels that can hold its concept.
TYPE_LABELS = {"Disease": ("Disease", "Symptom", "SideEffect"), "Chemical": ("Drug",)}
MIN_CHARS = 4
MAJORITY = 2 / 3
#: An abbreviation is learned only when this many abstracts use it alike.
MIN_ABSTRACTS_FOR_SYMBOL = 2
#: A name that is some other node's own name ("drowsiness" is HPO's
#: Drowsiness) is taken from that node only when this many abstracts teach it.
MIN_ABSTRACTS_TO_OVERRIDE = 2
_SYMBOL = re.compile(r"^(?=.*[A-Z])[A-Za-z0-9][A-Za-z0-9-]{1,9}$")


@dataclass
class LearnedNames:
    """Normalised names and exact-case symbols (abbreviations such as "AZT" that
    several abstracts use alike) -> the annotated node."""

    names: dict[str, Entry] = field(default_factory=dict)
    symbols: dict[str, Entry] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def save(self, path: Path) -> None:
        def rows(table: dict[str, Entry]) -> dict[str, list[str]]:
            return {k: [e.label, e.node_id, e.name] for k, e in sorted(table.items())}

        save_json(path, {"names": rows(self.names), "symbols": rows(self.symbols),
                         "meta": self.meta})  # fmt: skip

    def present_in(self, store: GraphStore) -> LearnedNames:
        """Only the names whose node the store holds (a graph rebuilt without the
        vocabularies lacks the MONDO nodes names were learned for)."""
        by_label: dict[str, set[str]] = defaultdict(set)
        for e in [*self.names.values(), *self.symbols.values()]:
            by_label[e.label].add(e.node_id)
        held = {(lbl, i) for lbl, ids in by_label.items() for i in store.existing_ids(lbl, ids)}

        def keep(table: dict[str, Entry]) -> dict[str, Entry]:
            return {k: e for k, e in table.items() if (e.label, e.node_id) in held}

        return LearnedNames(keep(self.names), keep(self.symbols), self.meta)

    @classmethod
    def load(cls, path: Path) -> LearnedNames:
        data = load_json(path)
        return cls(
            {k: Entry(*v) for k, v in data["names"].items()},
            {k: Entry(*v) for k, v in data.get("symbols", {}).items()},
            data.get("meta", {}),
        )


#: A MeSH descriptor or supplementary concept id: D or C and 6 digits, or 9 digits
#: since 2017 ("D000071017"). A UMLS CUI is C and 7 digits, so it never matches.
MESH_ID = re.compile(r"^[CD](?:\d{6}|\d{9})$")


def mesh_ids(node_id: str, xrefs: list[str] | None) -> set[str]:
    """The MeSH ids a node carries: its ``MESH:`` xrefs, and its own id when it is
    one (Hetionet's symptoms are MeSH descriptors, the MeSH chemicals' Drug nodes
    supplementary concepts). Hetionet's side effects are UMLS CUIs ("C0015644"),
    which look like MeSH supplementary ids but are not: :data:`MESH_ID` tells them
    apart by length."""
    ids = {x[5:] for x in xrefs or [] if x.startswith("MESH:")}
    if MESH_ID.match(node_id):
        ids.add(node_id)
    return ids


class _Holders:
    """(type, MeSH id) -> the nodes carrying it, and the one to link it to."""

    def __init__(self, store: GraphStore, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.carriers: dict[tuple[str, str], list[Entry]] = defaultdict(list)
        for kind, labels in TYPE_LABELS.items():
            for label in labels:
                rows = store.query(
                    f"MATCH (n:{label}) RETURN n.id, n.name, n.xrefs", row_cap=10_000_000
                ).rows
                for node_id, name, xrefs in rows:
                    for mesh in mesh_ids(node_id, xrefs):
                        self.carriers[(kind, mesh)].append(Entry(label, node_id, name or node_id))
        self.default: dict[tuple[str, str], Entry] = {}
        for key, entries in self.carriers.items():
            entries.sort(key=lambda e: LABEL_PRIORITY.index(e.label))
            found = lexicon.resolve(entries)
            if found is not None:
                self.default[key] = _target(found.entry)

    def of(self, kind: str, mesh: str, text: str) -> Entry | None:
        """The carrier the annotated text itself names, if one does; else the
        lexicon's choice among the carriers. DOID cites Psychotic Disorders on
        "schizophreniform disorder" as well as MeSH's own-name node "psychotic
        disorder"; an annotator's "psychosis" (a synonym of the latter) means the
        latter, whatever rule would order the two."""
        carriers = self.carriers.get((kind, mesh), [])
        if len(carriers) > 1:
            ids = {e.node_id for e in carriers}
            named = [e for e in self.lexicon.candidates(text) if e.node_id in ids]
            found = self.lexicon.resolve(named) if named else None
            if found is not None:
                return _target(found.entry)
        return self.default.get((kind, mesh))

    def mesh_of(self) -> dict[str, set[str]]:
        """Node id -> the MeSH ids it carries."""
        out: dict[str, set[str]] = defaultdict(set)
        for (_, mesh), entries in self.carriers.items():
            for e in entries:
                out[e.node_id].add(mesh)
        return out


def _target(entry: Entry) -> Entry:
    """The node a vote counts, not how it was named (own name, synonym, tie): two
    texts' votes for one node must be one :class:`Counter` key."""
    return Entry(entry.label, entry.node_id, entry.name)


def learn_names(
    docs: list[PtDocument], store: GraphStore, lexicon: Lexicon | None = None
) -> LearnedNames:
    lexicon = lexicon or Lexicon.from_store(store)
    holders = _Holders(store, lexicon)
    # an id of an older MeSH that the current one retired reads as its current id
    retired = retired_mesh_ids(docs, lexicon, holders.mesh_of(), TYPE_LABELS)
    votes: dict[str, Counter[Entry]] = defaultdict(Counter)
    symbol_votes: dict[str, Counter[Entry]] = defaultdict(Counter)
    symbol_docs: dict[str, set[str]] = defaultdict(set)
    name_docs: dict[str, set[str]] = defaultdict(set)
    for doc in docs:
        for m in doc.mentions:
            text = m.text.strip()
            ids = {c for i in m.ids for c in retired.get(i, (i,))}
            targets = {holders.of(m.type, i, text) for i in ids} - {None}
            if m.type not in TYPE_LABELS or len(targets) != 1:
                continue
            target = targets.pop()
            if _SYMBOL.match(text) and not text[1:].islower():  # "AZT", "CsA", "5-HT"
                symbol_votes[text][target] += 1
                symbol_docs[text].add(doc.pmid)
            elif len(key := normalise(text)) >= MIN_CHARS:
                votes[key][target] += 1
                name_docs[key].add(doc.pmid)
    names = {
        k: e for k, e in _majority(votes).items()
        if len(name_docs[k]) >= MIN_ABSTRACTS_TO_OVERRIDE or not _overrides(lexicon, k, e)
    }  # fmt: skip
    symbols = {
        k: e for k, e in _majority(symbol_votes).items()
        if len(symbol_docs[k]) >= MIN_ABSTRACTS_FOR_SYMBOL
    }  # fmt: skip
    meta = {"abstracts": len(docs), "names": len(names), "symbols": len(symbols),
            "texts_seen": len(votes) + len(symbol_votes),
            "retired_mesh_ids_read": len(retired)}  # fmt: skip
    return LearnedNames(names, symbols, meta)


def _overrides(lexicon: Lexicon, key: str, learned: Entry) -> bool:
    """Would the learned node take ``key`` from a node whose own name it is?

    One curator's choice in one abstract is thin evidence against what the text
    literally names: BC5CDR single abstracts teach "tetanus" -> Tetany,
    "drowsiness" -> recurrent hypersomnia (DOID's only carrier of Disorders of
    Excessive Somnolence), "acute leukemia" -> acute myeloid leukemia. The
    conventions curators share ("hepatitis" after a drug -> drug-induced liver
    injury, 13 abstracts) are kept. A node of the same name, or one the own-name
    node is tied to by ``SAME_AS``, is no override; nor is taking the name from
    a Hetionet side effect (a MedDRA term such as "Swelling", "Numbness"), whose
    symptom or disease is the better home for a mention."""
    for c in lexicon.names.get(key, []):
        if not c.exact or c.label == "SideEffect" or c.node_id == learned.node_id:
            continue
        tied = lexicon.same_as.get(c.node_id)
        same_node = tied is not None and tied.node_id == learned.node_id
        if not same_node and normalise(c.name) != normalise(learned.name):
            return True
    return False


def _majority(votes: dict[str, Counter[Entry]]) -> dict[str, Entry]:
    out = {}
    for key, counter in votes.items():
        entry, n = counter.most_common(1)[0]
        if n >= MAJORITY * sum(counter.values()):
            out[key] = entry
    return out
