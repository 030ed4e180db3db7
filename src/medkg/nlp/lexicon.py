"""Names the extractor can recognise, built from the graph itself.

Why from the graph: scispaCy's pretrained NER/linker models cannot be downloaded
here, and every mention must link to a node id anyway. Names and synonyms of
Disease, Drug, Gene, Symptom and SideEffect nodes become entity-ruler patterns
(:mod:`.pipeline`), and the same table resolves a mention's text to a node
(:mod:`.linking`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources

from medkg.kg.store.base import GraphStore

#: Graph label -> NER label (BC5CDR's Chemical/Disease plus Gene and Symptom).
NER_LABEL = {
    "Disease": "DISEASE",
    "SideEffect": "DISEASE",
    "Symptom": "SYMPTOM",
    "Drug": "CHEMICAL",
    "Gene": "GENE",
}
#: When one name belongs to nodes of several labels, the earlier label wins.
LABEL_PRIORITY = ["Disease", "Symptom", "Drug", "Gene", "SideEffect"]

_GENE_SYMBOL = re.compile(r"^[A-Z][A-Z0-9-]{2,}$")


@dataclass(frozen=True)
class Entry:
    label: str
    node_id: str
    name: str


@dataclass
class Lexicon:
    """Lower-cased name -> best node, plus case-sensitive gene symbols."""

    names: dict[str, Entry] = field(default_factory=dict)
    gene_symbols: dict[str, Entry] = field(default_factory=dict)
    abbreviations: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def from_store(cls, store: GraphStore) -> Lexicon:
        lex = cls()
        for label in reversed(LABEL_PRIORITY):  # later writes win: walk lowest priority first
            rows = store.query(
                f"MATCH (n:{label}) RETURN n.id, n.name, n.synonyms", row_cap=10_000_000
            ).rows
            for node_id, name, synonyms in rows:
                if not name:
                    continue
                entry = Entry(label, node_id, name)
                if label == "Gene":
                    if _GENE_SYMBOL.match(name):
                        lex.gene_symbols[name] = entry
                    continue
                for text in [name, *(synonyms or [])]:
                    key = normalise(text)
                    if len(key) >= 3:
                        lex.names[key] = entry
        lex.abbreviations = {
            abbr: lex.names[normalise(long)]
            for abbr, long in _curated_abbreviations()
            if normalise(long) in lex.names
        }
        return lex

    def lookup(self, text: str) -> Entry | None:
        return self.names.get(normalise(text)) or self.gene_symbols.get(text.strip())


def normalise(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").split())


def _curated_abbreviations() -> list[tuple[str, str]]:
    raw = resources.files("medkg.nlp").joinpath("abbreviations.tsv").read_text("utf-8")
    pairs = []
    for line in raw.splitlines():
        if line.strip() and not line.startswith("#"):
            abbr, long = line.split("\t")
            pairs.append((abbr.strip(), long.strip()))
    return pairs
