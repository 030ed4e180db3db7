"""The one graph schema that every part of medkg writes and reads.

Why a declared schema in a schema-free Cypher world: the embedded engine
(Ladybug) needs node and relationship tables declared up front, and Neo4j
benefits from the same declarations as uniqueness constraints and indexes.
Keeping both derived from this module means the two backends cannot drift.

Node labels follow Hetionet's metanodes (``Compound`` becomes ``Drug``), plus
product labels (ClinicalTrial, Patient, Document). Relationship types use
Hetionet's verbs in upper case, the way Neo4j users write them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PropType = Literal["STRING", "STRING[]", "DOUBLE", "INT64", "BOOLEAN"]

#: Properties every node carries. ``id`` is the source identifier (DOID, DrugBank,
#: Entrez, MeSH, UMLS...), stable across imports; ``xrefs`` are the same concept's
#: identifiers elsewhere as CURIEs (``MESH:D009203``, ``OMIM:608557``,
#: ``UMLS:C0027051``, ``MONDO:0005068``...), so ``WHERE 'MESH:D009203' IN n.xrefs``
#: finds a node by any of them; ``extracted`` marks nodes that text extraction
#: created rather than a curated source.
COMMON_NODE_PROPS: dict[str, PropType] = {
    "id": "STRING",
    "name": "STRING",
    "synonyms": "STRING[]",
    "xrefs": "STRING[]",
    "source": "STRING",
    "description": "STRING",
    "url": "STRING",
    "extracted": "BOOLEAN",
}

#: Properties every relationship carries; provenance fields stay empty for
#: curated imports and are filled by text extraction.
COMMON_REL_PROPS: dict[str, PropType] = {
    "source": "STRING",
    "confidence": "DOUBLE",
    "document_ids": "STRING[]",
    "sentences": "STRING[]",
    # JSON per supporting mention pair: sentence index, spans, method, confidence.
    "evidence": "STRING[]",
    "extractor": "STRING",
    "extractor_version": "STRING",
    "updated_at": "STRING",
}


@dataclass(frozen=True)
class NodeLabel:
    """A node label and where its identifiers come from."""

    name: str
    id_source: str
    hetionet_kind: str | None = None
    extra_props: dict[str, PropType] = field(default_factory=dict)

    @property
    def props(self) -> dict[str, PropType]:
        return {**COMMON_NODE_PROPS, **self.extra_props}


@dataclass(frozen=True)
class RelType:
    """A relationship type with the (start label, end label) pairs it may join."""

    name: str
    pairs: tuple[tuple[str, str], ...]
    hetionet_verb: str | None = None
    extra_props: dict[str, PropType] = field(default_factory=dict)

    @property
    def props(self) -> dict[str, PropType]:
        return {**COMMON_REL_PROPS, **self.extra_props}


NODE_LABELS: dict[str, NodeLabel] = {
    n.name: n
    for n in [
        NodeLabel("Anatomy", "UBERON", "Anatomy"),
        NodeLabel("BiologicalProcess", "GO", "Biological Process"),
        NodeLabel("CellularComponent", "GO", "Cellular Component"),
        NodeLabel(
            "Drug",
            "DrugBank/MeSH",
            "Compound",
            # MeSH tree numbers: the drug's place in MeSH's classes (a drug is in a
            # class when one of its numbers runs on from one of the class's)
            extra_props={"mesh_trees": "STRING[]"},
        ),
        NodeLabel("Disease", "DOID/MONDO", "Disease"),
        NodeLabel("Gene", "Entrez", "Gene"),
        NodeLabel("MolecularFunction", "GO", "Molecular Function"),
        NodeLabel("Pathway", "WikiPathways/Reactome/PID", "Pathway"),
        NodeLabel("PharmacologicClass", "NDF-RT", "Pharmacologic Class"),
        NodeLabel(
            "SideEffect",
            "UMLS",
            "Side Effect",
            # true where SIDER's name is a MeSH heading only of a procedure or a
            # discipline ("Surgery", "Spinal anaesthesia"): text links nothing to it
            extra_props={"procedure": "BOOLEAN"},
        ),
        NodeLabel("Symptom", "MeSH/HPO", "Symptom"),
        NodeLabel(
            "ClinicalTrial",
            "NCT",
            extra_props={
                "title": "STRING",
                "phase": "STRING",
                "status": "STRING",
                "conditions": "STRING[]",
                "inclusion": "STRING[]",
                "exclusion": "STRING[]",
                # graph ids linked from the exclusion criteria (trial matching checks them)
                "exclusion_ids": "STRING[]",
                "summary": "STRING",
            },
        ),
        NodeLabel("Patient", "local", extra_props={"age": "DOUBLE", "sex": "STRING"}),
        NodeLabel(
            "Document",
            "local",
            extra_props={
                "sha256": "STRING",
                "text": "STRING",
                "ingested_at": "STRING",
                "extractor_version": "STRING",
                "n_sentences": "INT64",
            },
        ),
    ]
}

HETIONET_KIND_TO_LABEL: dict[str, str] = {
    n.hetionet_kind: n.name for n in NODE_LABELS.values() if n.hetionet_kind
}

_ENTITY_LABELS = ("Disease", "Drug", "Gene", "Symptom", "SideEffect", "Anatomy")

REL_TYPES: dict[str, RelType] = {
    r.name: r
    for r in [
        RelType("ASSOCIATES", (("Disease", "Gene"),), "associates"),
        RelType("BINDS", (("Drug", "Gene"),), "binds"),
        RelType(
            "CAUSES",
            (("Drug", "SideEffect"), ("Drug", "Disease"), ("Drug", "Symptom")),
            "causes",
        ),
        RelType("COVARIES", (("Gene", "Gene"),), "covaries"),
        RelType(
            "DOWNREGULATES",
            (("Anatomy", "Gene"), ("Drug", "Gene"), ("Disease", "Gene")),
            "downregulates",
        ),
        RelType("EXPRESSES", (("Anatomy", "Gene"),), "expresses"),
        RelType("INCLUDES", (("PharmacologicClass", "Drug"),), "includes"),
        RelType("INTERACTS", (("Gene", "Gene"),), "interacts"),
        RelType("LOCALIZES", (("Disease", "Anatomy"),), "localizes"),
        RelType("PALLIATES", (("Drug", "Disease"),), "palliates"),
        RelType(
            "PARTICIPATES",
            (
                ("Gene", "BiologicalProcess"),
                ("Gene", "CellularComponent"),
                ("Gene", "MolecularFunction"),
                ("Gene", "Pathway"),
            ),
            "participates",
        ),
        RelType(
            "PRESENTS",
            (("Disease", "Symptom"),),
            "presents",
            # HPO annotations: how often the disease shows the phenotype (0-1, when
            # known), the evidence codes (PCS, TAS, IEA) and the references behind them.
            extra_props={
                "frequency": "DOUBLE",
                "evidence_codes": "STRING[]",
                "references": "STRING[]",
            },
        ),
        RelType("REGULATES", (("Gene", "Gene"),), "regulates"),
        RelType("RESEMBLES", (("Drug", "Drug"), ("Disease", "Disease")), "resembles"),
        RelType("TREATS", (("Drug", "Disease"), ("Drug", "Symptom")), "treats"),
        RelType(
            "UPREGULATES",
            (("Anatomy", "Gene"), ("Drug", "Gene"), ("Disease", "Gene")),
            "upregulates",
        ),
        # Ontology structure: a term and its parent (Disease Ontology, MONDO, HPO).
        RelType("IS_A", (("Disease", "Disease"), ("Symptom", "Symptom"))),
        # One concept held by two nodes (an edgeless Hetionet side effect and the
        # disease it names): the start node is the same concept as the end node,
        # which is the one to prefer (search and linking do).
        RelType(
            "SAME_AS",
            (("SideEffect", "Disease"), ("SideEffect", "Symptom"), ("Symptom", "Disease")),
        ),
        # Product relationships (extraction, trials, patients).
        # ``discontinued``: the note says the patient no longer takes the drug
        # ("taken off Plavix", nlp/medication_status.py); still a fact.
        RelType(
            "MENTIONS",
            tuple(("Document", lbl) for lbl in _ENTITY_LABELS),
            extra_props={"mentions": "STRING[]", "discontinued": "BOOLEAN"},
        ),
        # A drug a note names as the patient's allergy ("ALLERGIES: Cipro"): no
        # fact of what the patient takes (nlp/allergies.py), same provenance.
        RelType("REPORTS_ALLERGY", (("Document", "Drug"),), extra_props={"mentions": "STRING[]"}),
        RelType("STUDIES", (("ClinicalTrial", "Disease"),)),
        RelType("TESTS", (("ClinicalTrial", "Drug"),)),
        RelType(
            "HAS_FINDING",
            tuple(("Patient", lbl) for lbl in ("Disease", "Symptom", "Drug", "Gene")),
        ),
        RelType("DESCRIBES", (("Document", "Patient"),)),
    ]
}


class SchemaError(ValueError):
    """Raised for a label, type or label pair the schema does not know."""


def label_for_hetionet_kind(kind: str) -> str:
    """Map a Hetionet metanode name (``Compound``, ``Side Effect``) to our label."""
    try:
        return HETIONET_KIND_TO_LABEL[kind]
    except KeyError:
        known = ", ".join(sorted(HETIONET_KIND_TO_LABEL))
        raise SchemaError(f"unknown node kind {kind!r}; known kinds: {known}") from None


def check_label(label: str) -> NodeLabel:
    try:
        return NODE_LABELS[label]
    except KeyError:
        raise SchemaError(
            f"unknown node label {label!r}; known labels: {', '.join(sorted(NODE_LABELS))}"
        ) from None


def check_rel_type(rel_type: str) -> RelType:
    """The schema's relationship type of that name; the one check every store and
    importer uses before a type name goes into a query."""
    rel = REL_TYPES.get(rel_type)
    if rel is None:
        raise SchemaError(
            f"unknown relationship type {rel_type!r}; known: {', '.join(sorted(REL_TYPES))}"
        )
    return rel


def check_rel(rel_type: str, start_label: str, end_label: str) -> RelType:
    """Validate a relationship type and its endpoint labels against the schema."""
    rel = check_rel_type(rel_type)
    if (start_label, end_label) not in rel.pairs:
        allowed = ", ".join(f"{a}->{b}" for a, b in rel.pairs)
        raise SchemaError(f"{rel_type} cannot join {start_label}->{end_label}; allowed: {allowed}")
    return rel


def hetionet_rel_type(verb: str) -> str:
    """Map a Hetionet edge verb (``treats``, ``Treats``) to our relationship type."""
    key = verb.strip().lower()
    for rel in REL_TYPES.values():
        if rel.hetionet_verb == key:
            return rel.name
    raise SchemaError(f"unknown Hetionet edge kind {verb!r}")
