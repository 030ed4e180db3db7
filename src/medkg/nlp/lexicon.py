"""Names the extractor can recognise, built from the graph itself, and how a name
that several nodes share is resolved.

Why from the graph: scispaCy's pretrained NER/linker models cannot be downloaded
here, and every mention must link to a node id anyway. Names and synonyms of
Disease, Drug, Gene, Symptom and SideEffect nodes (with the vocabularies: DOID,
MONDO, HPO lay terms, MeSH entry terms, drug brand names, gene aliases) are
matched in text by :mod:`.matcher`, and the same table resolves a mention's text
to a node (:mod:`.linking`).

Two tables: ``names`` compares letters and digits case-insensitively
("Parkinson's disease" = "parkinson s disease"); ``symbols`` compares exact text
for what is only safe with its case (gene symbols and aliases such as "p53",
abbreviations such as "NIDDM": "all" must not be acute lymphoblastic leukaemia).

A name several nodes carry is resolved by :meth:`Lexicon.resolve`, whose rules,
in order, are written into each mention's provenance (docs/decisions/0012):
the NER label of the span (a CHEMICAL span is a drug), then the node not tied by
``SAME_AS`` to another candidate, then a node's own name over another's synonym,
then the label priority, then a primary ontology id (DOID over MONDO), then the
better-connected node. A node tied by ``SAME_AS`` links to the node it names.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from spacy.lang.en.stop_words import STOP_WORDS

from medkg.kg.spelling import normalise
from medkg.kg.store.base import GraphStore
from medkg.nlp.packaged import packaged_rows
from medkg.nlp.relations.known_findings import curated_findings
from medkg.nlp.relations.known_treatments import curated_treatments

#: Graph label -> NER label (BC5CDR's Chemical/Disease plus Gene and Symptom).
NER_LABEL = {
    "Disease": "DISEASE",
    "SideEffect": "DISEASE",
    "Symptom": "SYMPTOM",
    "Drug": "CHEMICAL",
    "Gene": "GENE",
}
#: Which graph labels a statistical NER label can name.
LABELS_OF_NER = {
    "CHEMICAL": frozenset({"Drug"}),
    "DISEASE": frozenset({"Disease", "Symptom", "SideEffect"}),
    "SYMPTOM": frozenset({"Symptom", "Disease", "SideEffect"}),
    "GENE": frozenset({"Gene"}),
}
#: When one name belongs to nodes of several labels, the earlier label wins.
LABEL_PRIORITY = ["Disease", "Symptom", "Drug", "Gene", "SideEffect"]
#: The rule of a match through ``abbreviations.tsv`` ("MI" without its long form).
CURATED = "curated abbreviation"
#: The rule of a dictionary match on a symbol (exact case), before the rule that
#: chose among its nodes: "symbol; synonym".
SYMBOL_RULE = "symbol"
#: Drug nodes from this source are linked through NER spans only (``ner_only``).
NER_ONLY_SOURCE = "mesh"
#: Longest name (in words) the matcher looks for.
MAX_NAME_WORDS = 12

_GENE_SYMBOL = re.compile(r"^[A-Z][A-Z0-9-]{2,}$")
#: Symbol-like text: one word, an upper-case letter or a digit in it ("p53", "NIDDM").
_SYMBOLISH = re.compile(r"^(?=.*[A-Z0-9])[A-Za-z0-9][A-Za-z0-9-]{2,}$")
_ABBREVIATION = re.compile(r"^[A-Z0-9-]{2,6}$")
#: Ids from ontologies that back the primary ones (a MONDO term DOID lacks, an HPO term).
_SECONDARY = ("MONDO:", "HP:")


@dataclass(frozen=True)
class Entry:
    """A node a name or symbol can mean. ``exact``: the node's own name (not a synonym)."""

    label: str
    node_id: str
    name: str
    exact: bool = True
    #: Annotators named this node so in a training corpus (:mod:`.learned_names`).
    learned: bool = False


@dataclass(frozen=True)
class Resolution:
    """The node chosen for a name, and the rule that chose it (for provenance)."""

    entry: Entry
    rule: str


def _name_ok(key: str) -> bool:
    """Case-insensitive keys: three characters at least, and some word that is
    neither a stop word nor a number ("a 10", "at 10", drug synonyms of
    Antineoplaston A10 and AT 10, are a note's "a #10 blade")."""
    return len(key) >= 3 and any(w not in STOP_WORDS and not w.isdigit() for w in key.split())


@dataclass
class _Derived:
    """A set derived from tables that only grow, rebuilt when their sizes change:
    the matcher asks for it at every note, the tables change only when names
    are learned or added."""

    size: tuple[int, ...] = (-1,)
    value: frozenset[str] = frozenset()

    def get(self, size: tuple[int, ...], build: Callable[[], set[str]]) -> frozenset[str]:
        if size != self.size:
            self.value, self.size = frozenset(build()), size
        return self.value


def _word_prefixes(keys: Iterable[str]) -> set[str]:
    """Every proper word prefix of the keys ("a b" and "a" of "a b c")."""
    out: set[str] = set()
    for key in keys:
        cut = key.rfind(" ")
        while cut > 0 and (prefix := key[:cut]) not in out:
            out.add(prefix)
            cut = key.rfind(" ", 0, cut)
    return out


def _leading_parts(texts: Iterable[str]) -> set[str]:
    """Every leading part of the texts, each text included ("I", "IL", "IL-6")."""
    out: set[str] = set()
    for text in texts:
        for cut in range(len(text), 0, -1):
            if text[:cut] in out:
                break
            out.add(text[:cut])
    return out


@dataclass
class Lexicon:
    """Normalised name -> candidate nodes; exact symbol -> candidate nodes."""

    names: dict[str, list[Entry]] = field(default_factory=dict)
    symbols: dict[str, list[Entry]] = field(default_factory=dict)
    abbreviations: dict[str, Entry] = field(default_factory=dict)
    #: Name key -> the node a word of clinical notes means that no vocabulary
    #: gives that name ("penicillin" -> MeSH's Penicillins; ``clinical_names.tsv``).
    clinical_names: dict[str, Entry] = field(default_factory=dict)
    #: Name key of a combination product's brand -> its ingredients' nodes
    #: ("percocet" -> Oxycodone, Acetaminophen; ``combination_brands.tsv``).
    combinations: dict[str, tuple[Entry, ...]] = field(default_factory=dict)
    #: Nodes tied by SAME_AS -> the node holding their concept (linking goes there).
    same_as: dict[str, Entry] = field(default_factory=dict)
    #: Disease -> the Symptom node tied to it by SAME_AS ("diarrhea" names DOID's
    #: disease and MeSH's symptom): where a relation needs a finding (PRESENTS is
    #: Disease -> Symptom), a mention of the disease stands for that symptom.
    tied_symptom: dict[str, str] = field(default_factory=dict)
    #: Relationship count of nodes that share a name with another node.
    degree: dict[str, int] = field(default_factory=dict)
    max_words: int = 1
    #: Nodes linked only when the statistical NER proposes the span, never by the
    #: dictionary matcher: MeSH chemical headings (``source = 'mesh'``), whose
    #: names include everyday words ("lead", "protein", "salt").
    ner_only: frozenset[str] = frozenset()
    #: Disease and symptom node -> its IS_A parents: the CAUSES extractor keeps a
    #: chemical's most specific disease (relations/hypernyms.py). Held here
    #: because the lexicon is what the extractor takes from the graph, and what a
    #: bulk engine ships to workers that have no store.
    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Drug node -> the nodes its imported TREATS/PALLIATES edges give it for: a
    #: CAUSES between them is dropped (relations/known_treatments.py).
    treatments: dict[str, frozenset[str]] = field(default_factory=dict)
    #: Disease node -> the findings its imported PRESENTS edges give it: a bare
    #: "disease with finding" is PRESENTS only for those (relations/known_findings.py).
    findings: dict[str, frozenset[str]] = field(default_factory=dict)
    #: Name -> its candidates before :meth:`learn` put a learned node first: what
    #: the text names when a learned convention does not apply (the linker's
    #: drug-context check).
    unlearned: dict[str, list[Entry]] = field(default_factory=dict)
    #: Node -> the section kinds (:mod:`.sections`) under which a mention of it is
    #: dropped: what a name means there is something else ("the wound" of an
    #: operative narrative is the incision; ``not_names.tsv``).
    not_in_sections: dict[str, frozenset[str]] = field(default_factory=dict)
    #: Name keys of phrases that name no node although a name sits inside them
    #: ("body mass index", "mass ligation", "stress test"): the matcher steps over
    #: them (``not_mentions.tsv``).
    not_mentions: frozenset[str] = frozenset()
    #: :meth:`name_prefixes` and :meth:`symbol_prefixes`, as last built.
    _prefixes: _Derived = field(default_factory=_Derived, repr=False, compare=False)
    _symbol_prefixes: _Derived = field(default_factory=_Derived, repr=False, compare=False)

    @classmethod
    def from_store(cls, store: GraphStore) -> Lexicon:
        names: dict[str, dict[str, Entry]] = defaultdict(dict)
        symbols: dict[str, dict[str, Entry]] = defaultdict(dict)

        def add(table: dict[str, dict[str, Entry]], key: str, entry: Entry) -> None:
            held = table[key].get(entry.node_id)
            if held is None or (entry.exact and not held.exact):
                table[key][entry.node_id] = entry

        ner_only: set[str] = set()
        not_symbols = _not_symbols()
        not_names = _not_names()
        not_in_sections: dict[str, frozenset[str]] = {}
        procedures = _procedure_side_effects(store)
        for label in LABEL_PRIORITY:
            for node_id, name, synonyms, source in store.query(
                f"MATCH (n:{label}) RETURN n.id, n.name, n.synonyms, n.source",
                row_cap=10_000_000,
            ).rows:
                if not name or node_id in procedures:
                    continue
                if label == "Drug" and source == NER_ONLY_SOURCE:
                    ner_only.add(node_id)
                for text, exact in [(name, True), *((s, False) for s in synonyms or [])]:
                    entry = Entry(label, node_id, name, exact)
                    text = text.strip()
                    if text[:1] == "," or text[-1:] == ",":
                        continue  # half of an inverted name: "alcohol," of benzyl alcohol
                    if text.upper() in not_symbols:
                        continue  # "MRI", "PLAN" (stop words in headers: matcher.py)
                    if label == "Gene":
                        if (exact and _GENE_SYMBOL.match(text)) or _SYMBOLISH.match(text):
                            add(symbols, text, entry)
                        elif " " in text and _name_ok(normalise(text)):
                            add(names, normalise(text), entry)  # a gene's full name
                        continue
                    if not exact and _ABBREVIATION.match(text) and not text.isdigit():
                        add(symbols, text, entry)  # "NIDDM", "APAP": only in capitals
                        continue
                    key = normalise(text)
                    kinds = not_names.get((key, label))
                    if kinds:  # the name stays, a mention in those sections goes
                        not_in_sections[node_id] = kinds
                    if _name_ok(key) and kinds != frozenset():
                        add(names, key, entry)
                        if label == "SideEffect" and (turned := _participle_first(key)):
                            add(names, turned, Entry(label, node_id, name, False))
        lex = cls(
            names={k: list(v.values()) for k, v in names.items()},
            symbols={k: list(v.values()) for k, v in symbols.items()},
            ner_only=frozenset(ner_only),
            not_in_sections=not_in_sections,
            not_mentions=frozenset(normalise(row[0]) for row in packaged_rows("not_mentions.tsv")),
        )
        lex.max_words = min(
            MAX_NAME_WORDS,
            max((k.count(" ") + 1 for k in [*lex.names, *lex.not_mentions]), default=1),
        )
        ambiguous = {
            e.node_id for table in (lex.names, lex.symbols) for c in table.values()
            if len(c) > 1 for e in c
        }  # fmt: skip
        lex.same_as = _same_as(store)
        lex.tied_symptom = _tied_symptoms(store, lex.same_as)
        lex.parents = _parents(store)
        lex.treatments = curated_treatments(store)
        lex.findings = curated_findings(store)
        lex.degree = _degrees(store, ambiguous)
        # after the ties and degrees: a long form several nodes share is resolved by
        # the same rules as every other name
        lex.abbreviations = {
            abbr: best.entry
            for abbr, long in _curated_abbreviations()
            if (best := lex.resolve(lex.candidates(long))) is not None
        }
        lex.add_clinical_names()
        return lex

    def add_clinical_names(self) -> None:
        """``clinical_names.tsv``: words notes use for a node that the vocabularies
        do not give it ("penicillin" for the class Penicillins, "sulfa" for
        Sulfonamides). The curated sense is the name's only candidate, and its
        node may be matched by the dictionary even when it is a MeSH heading
        (``ner_only``): the table says what the word means in a note."""
        for row in packaged_rows("clinical_names.tsv"):
            if (entry := self._curated_entry(row[1])) is not None:
                self.clinical_names[normalise(row[0])] = entry
        for key, entry in self.clinical_names.items():
            self._only_candidate(key, entry)
        self.ner_only = self.ner_only - {e.node_id for e in self.clinical_names.values()}
        self.add_combination_brands()

    def add_combination_brands(self) -> None:
        """``combination_brands.tsv``: brands of fixed-dose combinations ("Percocet":
        oxycodone and acetaminophen), which DrugBank's vocabulary, single drugs
        only, does not name. A brand matches as a name of its first ingredient;
        the extractor gives the mention one link per ingredient
        (:attr:`combinations`). A row whose ingredients do not all resolve to
        drugs of this graph is left out."""
        for row in packaged_rows("combination_brands.tsv"):
            found = [self._curated_entry(name.strip()) for name in row[1].split("+")]
            entries = tuple(e for e in found if e is not None and e.label == "Drug")
            if not entries or len(entries) != len(found):
                continue
            key = normalise(row[0])
            self.combinations[key] = entries
            self._only_candidate(key, entries[0])

    def _curated_entry(self, name: str) -> Entry | None:
        """The node a curated table's name resolves to (by the rules of every
        other name), as a synonym of it; None when this graph has no such node."""
        found = self.resolve(self.candidates(name))
        if found is None:
            return None
        e = found.entry
        return Entry(e.label, e.node_id, e.name, False)

    def name_prefixes(self) -> frozenset[str]:
        """Every proper word prefix of a name key or a not-mention phrase ("heart"
        and "heart failure" of "heart failure with preserved ejection fraction"):
        the matcher stops growing a candidate no name goes on from. Built on first
        use and again after names were added (names are only ever added)."""
        return self._prefixes.get(
            (len(self.names), len(self.not_mentions)),
            lambda: _word_prefixes((*self.names, *self.not_mentions)),
        )

    def symbol_prefixes(self) -> frozenset[str]:
        """Every leading part of a symbol or curated abbreviation, itself included
        ("I", "IL", "IL-", "IL-6"): the matcher tries no candidate longer than
        the longest one the text starts. Built like :meth:`name_prefixes`."""
        return self._symbol_prefixes.get(
            (len(self.symbols), len(self.abbreviations)),
            lambda: _leading_parts((*self.symbols, *self.abbreviations)),
        )

    def _only_candidate(self, key: str, entry: Entry) -> None:
        """Make ``entry`` the one candidate of the name key ``key``."""
        self.names[key] = [entry]
        self.max_words = max(self.max_words, key.count(" ") + 1)

    def combination(self, text: str) -> tuple[Entry, ...]:
        """The ingredients a combination brand names, or ``()``."""
        return self.combinations.get(normalise(text), ())

    def learn(self, names: dict[str, Entry], symbols: dict[str, Entry] | None = None) -> None:
        """Add names (and exact-case symbols) annotators gave nodes in a training
        corpus; such a name is resolved to its annotated node before any other rule."""
        for table, learned_table in ((self.names, names), (self.symbols, symbols or {})):
            for key, e in learned_table.items():
                learned = Entry(e.label, e.node_id, e.name, exact=False, learned=True)
                if table is self.names and key not in self.unlearned:
                    self.unlearned[key] = [c for c in table.get(key, []) if not c.learned]
                others = [c for c in table.get(key, []) if c.node_id != e.node_id]
                table[key] = [learned, *others]
        self.max_words = max(self.max_words, max((k.count(" ") + 1 for k in names), default=1))

    def fingerprint(self) -> str:
        """A short digest of what the lexicon can link: part of the extractor's
        version, so notes are re-extracted after the graph learns new names."""
        h = hashlib.sha256()
        for table in (self.names, self.symbols):
            h.update(f"{len(table)}:{sum(len(c) for c in table.values())};".encode())
        h.update(f"{len(self.same_as)}".encode())
        if self.tied_symptom:
            h.update(f"findings {len(self.tied_symptom)}".encode())
        if self.parents:
            h.update(f"is-a {sum(len(p) for p in self.parents.values())}".encode())
        if self.ner_only:
            h.update(f"ner-only {len(self.ner_only)}".encode())
        if self.treatments:
            h.update(f"treats {sum(len(t) for t in self.treatments.values())}".encode())
        if self.findings:
            h.update(f"presents {sum(len(f) for f in self.findings.values())}".encode())
        if self.not_in_sections:
            h.update(f"senses {len(self.not_in_sections)}".encode())
        if self.not_mentions:
            h.update(f"not mentions {sorted(self.not_mentions)}".encode())
        if self.abbreviations:
            curated = sorted((a, e.node_id) for a, e in self.abbreviations.items())
            h.update(f"curated {curated}".encode())
        if self.clinical_names:
            clinical = sorted((k, e.node_id) for k, e in self.clinical_names.items())
            h.update(f"clinical {clinical}".encode())
        if self.combinations:
            combos = sorted((k, [e.node_id for e in v]) for k, v in self.combinations.items())
            h.update(f"combinations {combos}".encode())
        return h.hexdigest()[:8]

    def matchable(self, candidates: Sequence[Entry]) -> list[Entry]:
        """The candidates the dictionary matcher may link a name to (not ``ner_only``)."""
        return [e for e in candidates if e.node_id not in self.ner_only]

    def candidates(self, text: str) -> list[Entry]:
        """Every node the text can name: by exact symbol, else by normalised name."""
        return self.symbols.get(text.strip()) or self.names.get(normalise(text), [])

    def lookup(self, text: str) -> Entry | None:
        """The node a text names, after :meth:`resolve`'s rules (no NER label)."""
        found = self.resolve(self.candidates(text))
        return found.entry if found else None

    def resolve(
        self, candidates: Sequence[Entry], ner_label: str | None = None
    ) -> Resolution | None:
        """Choose one candidate; the rule says which step decided (or that there
        was only one): NER label, then not SAME_AS-tied, then own name over
        synonym, then label priority, then a primary ontology id (DOID, MeSH,
        DrugBank, Entrez over MONDO and HP), then more relationships, then id.
        A chosen node tied by SAME_AS links to the node it is the same as."""
        found = self._choose(candidates, ner_label)
        if found is None or found.entry.node_id not in self.same_as:
            return found
        target = self.same_as[found.entry.node_id]
        entry = Entry(target.label, target.node_id, target.name, found.entry.exact)
        return Resolution(entry, f"{found.rule}; SAME_AS {found.entry.node_id}")

    def _choose(self, candidates: Sequence[Entry], ner_label: str | None) -> Resolution | None:
        allowed = LABELS_OF_NER.get(ner_label or "", frozenset())
        if not candidates or (allowed and not any(e.label in allowed for e in candidates)):
            return None  # a CHEMICAL span is no gene or disease: no link beats a wrong one
        if len(candidates) == 1:
            return Resolution(candidates[0], _how(candidates[0]))
        n = len(candidates)
        steps: list[tuple[str, Callable[[list[Entry]], list[Entry]]]] = [
            ("NER label", lambda c: [e for e in c if e.label in allowed]),
            ("annotated corpus", lambda c: [e for e in c if e.learned]),
            ("not tied by SAME_AS", lambda c: [e for e in c if e.node_id not in self.same_as]),
            ("own name over synonym", lambda c: [e for e in c if e.exact]),
            ("label priority", lambda c: _best_by(c, lambda e: -LABEL_PRIORITY.index(e.label))),
            ("primary ontology id", lambda c: [e for e in c if not _secondary(e)]),
            ("more relationships", lambda c: _best_by(c, lambda e: self.degree.get(e.node_id, 0))),
        ]
        remaining = list(candidates)
        for rule, narrow in steps:
            remaining = narrow(remaining) or remaining
            if len(remaining) == 1:
                return Resolution(remaining[0], _rule(remaining[0], n, rule))
        first = min(remaining, key=lambda x: x.node_id)
        return Resolution(first, _rule(first, n, "first id"))


def _how(entry: Entry) -> str:
    return "learned name" if entry.learned else "name" if entry.exact else "synonym"


def _rule(entry: Entry, n: int, step: str) -> str:
    """``synonym of 3 nodes: NER label``: what matched and which step chose."""
    return f"{_how(entry)} of {n} nodes: {step}"


def _secondary(entry: Entry) -> bool:
    return entry.node_id.startswith(_SECONDARY)


def _best_by(entries: list[Entry], score: Callable[[Entry], int]) -> list[Entry]:
    top = max(score(e) for e in entries)
    return [e for e in entries if score(e) == top]


def _same_as(store: GraphStore) -> dict[str, Entry]:
    """Tied node id -> the node its SAME_AS edges lead to, followed to the end: a
    side effect tied to a symptom that is itself tied to a disease (a store
    imported before the importer tied them directly) links to the disease."""
    out: dict[str, Entry] = {}
    for label in ("Disease", "Symptom"):
        for a, b, name in store.query(
            f"MATCH (a)-[:SAME_AS]->(b:{label}) RETURN a.id, b.id, b.name", row_cap=10_000_000
        ).rows:
            out[a] = Entry(label, b, name or b)
    for a in list(out):
        seen = {a}
        while out[a].node_id in out and out[a].node_id not in seen:
            seen.add(out[a].node_id)
            out[a] = out[out[a].node_id]
    return out


def _tied_symptoms(store: GraphStore, same_as: dict[str, Entry]) -> dict[str, str]:
    """Disease id -> one Symptom tied to it (through :func:`_same_as`'s chains).
    Where several are (MeSH's and HPO's "Diarrhea"), Hetionet's MeSH symptom
    (an id without a prefix, the one Hetionet's own PRESENTS edges use) is
    chosen, then the smallest id, so the choice does not depend on row order."""
    tied = store.query(
        "MATCH (a:Symptom)-[:SAME_AS]->() RETURN DISTINCT a.id", row_cap=10_000_000
    ).rows
    out: dict[str, str] = {}
    for (symptom,) in sorted(tied, key=lambda r: (":" in r[0], r[0])):
        target = same_as.get(symptom)
        if target is not None and target.label == "Disease":
            out.setdefault(target.node_id, symptom)
    return out


def _parents(store: GraphStore) -> dict[str, tuple[str, ...]]:
    """Node id -> the ids of its IS_A parents (diseases and symptoms)."""
    out: dict[str, list[str]] = {}
    for label in ("Disease", "Symptom"):
        for a, b in store.query(
            f"MATCH (a:{label})-[:IS_A]->(b:{label}) RETURN a.id, b.id", row_cap=10_000_000
        ).rows:
            out.setdefault(a, []).append(b)
    return {k: tuple(v) for k, v in out.items()}


def _degrees(store: GraphStore, ids: set[str]) -> dict[str, int]:
    """Relationship counts of the given nodes (those a shared name must choose between)."""
    if not ids:
        return {}
    out: dict[str, int] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 5_000):
        chunk = wanted[start : start + 5_000]
        for label in LABEL_PRIORITY:
            out.update(dict(store.query(
                f"MATCH (n:{label})-[r]-() WHERE n.id IN $ids RETURN n.id, count(r)",
                {"ids": chunk}, row_cap=10_000_000,
            ).rows))  # fmt: skip
    return out


def _procedure_side_effects(store: GraphStore) -> frozenset[str]:
    """Side effects whose names are procedures' ("Surgery"), which the vocabulary
    import marks: a note's "surgery" is what was done, not a finding, so no
    mention links to them (search still finds them)."""
    rows = store.query(
        "MATCH (n:SideEffect) WHERE n.procedure = true RETURN n.id", row_cap=10_000_000
    ).rows
    return frozenset(r[0] for r in rows)


def _not_symbols() -> frozenset[str]:
    """Capitalised words notes use for no graph node ("MRI", "CO2", "PLAN"):
    ``not_symbols.tsv``, curated from the symbols linked in MTSamples reports."""
    return frozenset(row[0] for row in packaged_rows("not_symbols.tsv"))


def _not_names() -> dict[tuple[str, str], frozenset[str]]:
    """(name key, label) -> the section kinds where notes use the name for
    something else, empty for everywhere ("water" is no Drug, "tension" no
    SideEffect; "wound" in an operative narrative): ``not_names.tsv``."""
    return {
        (normalise(row[0]), row[1]): frozenset(k for k in row[3].split(",") if k)
        if len(row) > 3 else frozenset()
        for row in packaged_rows("not_names.tsv")
    }


#: SIDER's MedDRA-style names put the participle last ("Abortion missed",
#: "Libido decreased", "Vision blurred", "Hearing impaired"); notes write it
#: first ("missed abortion", "decreased libido"). Not "bleed", "need", "seed".
_PARTICIPLE_LAST = re.compile(r"^([a-z]+) ([a-z]+(?<!e)ed)$")


def _participle_first(key: str) -> str | None:
    """A two-word side-effect name with its participle moved to the front
    ("abortion missed" -> "missed abortion"), or None."""
    m = _PARTICIPLE_LAST.match(key)
    return f"{m.group(2)} {m.group(1)}" if m else None


def _curated_abbreviations() -> list[tuple[str, str]]:
    pairs = []
    for row in packaged_rows("abbreviations.tsv"):
        abbr, long = row
        pairs.append((abbr, long))
    return pairs
