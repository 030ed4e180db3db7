"""The vocabulary import on real files from the installed packages, over a real
Hetionet slice: one node per concept, synonyms and xrefs a user can query,
IS_A and PRESENTS edges, ties between Hetionet's duplicates, idempotence, and a
malformed source refused before any write."""

from __future__ import annotations

from pathlib import Path

import pytest

from medkg.kg.importers.batch import ImportFormatError
from medkg.kg.importers.hetionet import HetionetSource, import_hetionet
from medkg.kg.importers.vocabularies import import_vocabularies
from medkg.kg.importers.vocabularies.build import name_key, word_bag
from medkg.kg.importers.vocabularies.ontologies import read_obo
from medkg.kg.importers.vocabularies.sources import FILES
from medkg.kg.importers.vocabularies.tables import parse_frequency, read_hpoa
from medkg.kg.store.embedded import EmbeddedStore
from tests.conftest import HETIONET, needs_hetionet

pytestmark = needs_hetionet


def _one(store: EmbeddedStore, cypher: str, **params: object) -> list:
    rows = store.query(cypher, params).rows
    assert rows, cypher
    return rows[0]


def test_disease_synonyms_and_xrefs(vocab_store: EmbeddedStore) -> None:
    name, synonyms, xrefs, source = _one(
        vocab_store,
        "MATCH (d:Disease {id: 'DOID:5844'}) RETURN d.name, d.synonyms, d.xrefs, d.source",
    )
    assert name == "myocardial infarction" and "heart attack" in synonyms
    # MONDO's term for the same concept joined the DOID node instead of a second node
    assert {"MESH:D009203", "OMIM:608557", "UMLS:C0027051", "MONDO:0005068"} <= set(xrefs)
    assert not vocab_store.query("MATCH (d:Disease {id: 'MONDO:0005068'}) RETURN d").rows
    # a user finds it by any identifier
    by_xref = vocab_store.query(
        "MATCH (d:Disease) WHERE 'MESH:D009203' IN d.xrefs RETURN d.id"
    ).rows
    assert by_xref == [["DOID:5844"]]
    assert source in ("doid", "hetionet-v1.0")


def test_hetionet_diseases_keep_their_ids_names_and_edges(vocab_store: EmbeddedStore) -> None:
    name, source = _one(vocab_store, "MATCH (d:Disease {id: 'DOID:9352'}) RETURN d.name, d.source")
    assert name == "type 2 diabetes mellitus" and source == "hetionet-v1.0"
    treats = vocab_store.query(
        "MATCH (:Drug {id: 'DB00331'})-[r:TREATS]->(:Disease {id: 'DOID:9352'}) RETURN r.source"
    ).rows
    assert treats == [["hetionet-v1.0"]]


def test_is_a_ancestors(vocab_store: EmbeddedStore) -> None:
    rows = vocab_store.query(
        "MATCH (:Disease {id: 'DOID:9352'})-[:IS_A*1..4]->(p:Disease) RETURN p.id"
    ).rows
    assert ["DOID:9351"] in rows  # diabetes mellitus
    assert ["DOID:0014667"] in vocab_store.query(
        "MATCH (:Disease {id: 'DOID:9352'})-[:IS_A*1..5]->(p:Disease) RETURN p.id"
    ).rows  # ... up to disease of metabolism, through glucose and carbohydrate metabolism
    assert ["DOID:4"] in vocab_store.query(  # whose parent is the root, disease
        "MATCH (:Disease {id: 'DOID:0014667'})-[:IS_A]->(p:Disease) RETURN p.id"
    ).rows


def test_mondo_only_diseases_hang_in_the_hierarchy(vocab_store: EmbeddedStore) -> None:
    n, with_parent = _one(
        vocab_store,
        "MATCH (d:Disease) WHERE d.id STARTS WITH 'MONDO:' "
        "OPTIONAL MATCH (d)-[:IS_A]->(p) RETURN count(DISTINCT d), count(DISTINCT p)",
    )
    assert n > 10_000 and with_parent > 1_000


def test_phenotypes_with_lay_terms_joined_to_mesh_symptoms(vocab_store: EmbeddedStore) -> None:
    # Hetionet's MeSH symptom is the HPO term's node: its id stays, HPO's names join
    name, synonyms, xrefs = _one(
        vocab_store, "MATCH (s:Symptom {id: 'D006261'}) RETURN s.name, s.synonyms, s.xrefs"
    )
    assert name == "Headache" and "HP:0002315" in xrefs and "Cephalgia" in synonyms
    assert not vocab_store.query("MATCH (s:Symptom {id: 'HP:0002315'}) RETURN s").rows
    # HPO's plural name meets MeSH's singular heading
    (xrefs,) = _one(vocab_store, "MATCH (s:Symptom {id: 'D005207'}) RETURN s.xrefs")
    assert "HP:0002380" in xrefs  # Fasciculations: Fasciculation
    assert not vocab_store.query("MATCH (s:Symptom {id: 'HP:0002380'}) RETURN s").rows
    # an HPO phenotype without a MeSH symptom is its own node, lay terms included
    name, synonyms = _one(
        vocab_store, "MATCH (s:Symptom {id: 'HP:0001166'}) RETURN s.name, s.synonyms"
    )
    assert name == "Arachnodactyly" and "Spider fingers" in synonyms
    assert ["HP:0001238"] in vocab_store.query(  # Slender finger
        "MATCH (:Symptom {id: 'HP:0001166'})-[:IS_A]->(p) RETURN p.id"
    ).rows


def test_presents_edges_carry_frequency_and_evidence(vocab_store: EmbeddedStore) -> None:
    rows = vocab_store.query(
        "MATCH (:Disease {id: 'DOID:14323'})-[r:PRESENTS]->(s:Symptom) "
        "RETURN s.id, r.frequency, r.evidence_codes, r.references, r.source",
        row_cap=1000,
    ).rows
    assert len(rows) > 20  # Marfan syndrome, through OMIM:154700 / ORPHA:558
    assert {r[4] for r in rows} == {"hpo"}
    assert "HP:0001166" in {r[0] for r in rows}  # arachnodactyly
    assert all(r[1] is None or 0 < r[1] <= 1 for r in rows)
    assert all(r[2] and set(r[2]) <= {"PCS", "TAS", "IEA"} for r in rows)
    assert all(";" not in ref for r in rows for ref in r[3] or [])


def test_mesh_disease_headings_go_to_the_node_of_their_name(vocab_store: EmbeddedStore) -> None:
    """Bradycardia is a MeSH heading outside the signs-and-symptoms tree that no
    ontology cites; HPO's phenotype of that name carries it, so MeSH-annotated
    text and a user's xref query meet the node."""
    assert vocab_store.query(
        "MATCH (n) WHERE 'MESH:D001919' IN n.xrefs RETURN n.id, n.name"
    ).rows == [["HP:0001662", "Bradycardia"]]
    # MeSH's inverted heading meets HPO's natural name
    assert vocab_store.query(
        "MATCH (n) WHERE 'MESH:D016757' IN n.xrefs RETURN n.id"
    ).rows == [["HP:0001645"]]  # Death, Sudden, Cardiac: Sudden cardiac death


def test_a_symptom_heading_names_its_symptom_not_a_disease_citing_it(
    vocab_store: EmbeddedStore,
) -> None:
    """DOID's visual epilepsy and lingual-facial-buccal dyskinesia cite MeSH's
    Seizures and Dyskinesias, Hetionet symptoms of their own: the headings'
    entry terms stay on the symptoms, so "seizure" is not visual epilepsy."""
    rows = dict(vocab_store.query(
        "MATCH (n) WHERE n.id IN ['DOID:11832', 'DOID:9854', 'D012640', 'D020820'] "
        "RETURN n.id, n.synonyms"
    ).rows)  # fmt: skip
    assert "Seizure" in rows["D012640"] and "Seizure" not in (rows["DOID:11832"] or [])
    assert "Dyskinesia" in rows["D020820"] and "Dyskinesia" not in (rows["DOID:9854"] or [])


def test_a_mesh_heading_joins_only_the_one_node_of_its_name() -> None:
    from medkg.kg.importers.vocabularies.build import Builder, add_mesh_disease_headings
    from medkg.kg.importers.vocabularies.tables import MeshRecord

    b = Builder({"Symptom": {"D000001": "Fever"}})  # Hetionet's MeSH-id symptom
    b.node("Symptom", "HP:1", "Bradycardia", "hpo")
    b.node("Disease", "DOID:1", "Gout", "doid")
    b.node("Symptom", "HP:2", "gout", "hpo")  # two nodes of that name: neither
    b.node("Disease", "DOID:2", "Rhabdomyolysis", "doid").xrefs.add("MESH:D012206")
    b.node("Symptom", "D000001", None, "mesh")
    b.node("Disease", "DOID:3", "Old symptom", "doid")
    b.node("Symptom", "HP:3", "Sinus tachycardia", "hpo")
    # DOID cites Hypotension on a neighbour; HPO's node of that name gets it too
    b.node("Disease", "DOID:4", "hypotensive disorder", "doid").xrefs.add("MESH:D007022")
    b.node("Symptom", "HP:4", "Hypotension", "hpo")
    mesh = {
        "D001919": MeshRecord("D001919", "Bradycardia", ["Bradyarrhythmia"], ["C14.280.067"]),
        "D006073": MeshRecord("D006073", "Gout", [], ["C05.550.114"]),
        "D012206": MeshRecord("D012206", "Rhabdomyolysis", [], ["C05.651.807"]),
        "D000001": MeshRecord("D000001", "Old symptom", [], ["C23.888.1"]),  # a node's own id
        "D009999": MeshRecord("D009999", "Bradycardia", [], ["D02.1"]),  # a chemical
        "D013616": MeshRecord("D013616", "Tachycardia, Sinus", [], ["C14.280.067.845"]),
        "D007022": MeshRecord("D007022", "Hypotension", [], ["C14.907.514"]),
    }
    add_mesh_disease_headings(b, mesh)
    xrefs = {k: d.xrefs for k, d in b.drafts.items()}
    assert xrefs[("Symptom", "HP:1")] == {"MESH:D001919"}
    assert not xrefs[("Disease", "DOID:1")] and not xrefs[("Symptom", "HP:2")]
    assert xrefs[("Disease", "DOID:2")] == {"MESH:D012206"}  # carried already
    assert not xrefs[("Disease", "DOID:3")]
    assert xrefs[("Symptom", "HP:3")] == {"MESH:D013616"}  # MeSH's inverted name
    assert xrefs[("Symptom", "HP:4")] == xrefs[("Disease", "DOID:4")] == {"MESH:D007022"}
    assert b.drafts[("Symptom", "HP:1")].synonyms == []  # entry terms are not names here
    counts = b.report.counts
    assert counts["nodes given the MeSH disease heading of their name (as written)"] == 1
    beside = "as written, beside the nodes citing it"
    assert counts[f"nodes given the MeSH disease heading of their name ({beside})"] == 1
    assert word_bag("Death, Sudden, Cardiac") == word_bag("Sudden cardiac death")
    assert word_bag("Leukoencephalopathies") == word_bag("Leukoencephalopathy")
    assert word_bag("Psychoses") == word_bag("psychosis") != word_bag("Tinea pedis")


def test_genes_and_drugs_get_aliases_and_brand_names(vocab_store: EmbeddedStore) -> None:
    name, synonyms, xrefs = _one(
        vocab_store, "MATCH (g:Gene {id: '7157'}) RETURN g.name, g.synonyms, g.xrefs"
    )
    assert name == "TP53" and "p53" in synonyms and "HGNC:11998" in xrefs
    name, synonyms, xrefs = _one(
        vocab_store, "MATCH (d:Drug {id: 'DB00316'}) RETURN d.name, d.synonyms, d.xrefs"
    )
    assert name == "Acetaminophen" and "tylenol" in {s.lower() for s in synonyms}
    assert "MESH:D000082" in xrefs and "CHEBI:46195" in xrefs


def test_mesh_chemicals_without_a_drugbank_drug_become_drugs(vocab_store: EmbeddedStore) -> None:
    """Puromycin aminonucleoside is a MeSH heading DrugBank holds no drug for: a
    Drug node under its MeSH id, named by MeSH. Lithium's heading is the name of
    Hetionet's drug DB01356, which takes the MeSH id instead of a second node."""
    name, source = _one(vocab_store, "MATCH (d:Drug {id: 'D011692'}) RETURN d.name, d.source")
    assert (name, source) == ("Puromycin Aminonucleoside", "mesh")
    assert vocab_store.search("puromycin aminonucleoside", "Drug", 5)[0].id == "D011692"
    assert "MESH:D008094" in _one(vocab_store, "MATCH (d:Drug {id: 'DB01356'}) RETURN d.xrefs")[0]
    for mesh_id in ("D008094", "D000082"):  # lithium, acetaminophen: no second node
        assert not vocab_store.query(f"MATCH (d:Drug {{id: '{mesh_id}'}}) RETURN d.id").rows
    # a MeSH entry term that is a DrugBank drug's name stays with the drug
    assert vocab_store.search("gentamicin", "Drug", 5)[0].id == "DB00798"
    # MeSH heads tiapride under its salt; DrugBank's drug is that concept
    assert "MESH:D063325" in _one(vocab_store, "MATCH (d:Drug {id: 'DB13025'}) RETURN d.xrefs")[0]
    assert not vocab_store.query("MATCH (d:Drug {id: 'D063325'}) RETURN d.id").rows
    # ... and gentamicin under its plural heading, as BC5CDR annotates it
    assert "MESH:D005839" in _one(vocab_store, "MATCH (d:Drug {id: 'DB00798'}) RETURN d.xrefs")[0]


def test_drugs_carry_their_mesh_classes(vocab_store: EmbeddedStore) -> None:
    """Every drug with a MeSH heading (its own id or an xref) carries the
    heading's tree numbers: amoxicillin's run on from the class Penicillins',
    ciprofloxacin's do not (decision 0047: an allergy to the class)."""
    def trees(drug_id: str) -> list[str]:
        return _one(vocab_store, f"MATCH (d:Drug {{id: '{drug_id}'}}) RETURN d.mesh_trees")[0]

    penicillins = trees("D010406")  # MeSH's own class node
    assert penicillins and all(t.startswith("D") for t in penicillins)
    assert any(t.startswith(c + ".") for t in trees("DB01060") for c in penicillins)  # amoxicillin
    assert not any(t.startswith(c) for t in trees("DB00537") for c in penicillins)  # cipro


def _mesh_chemicals(drugs: dict[str, tuple[str, str | None]], headings: dict[str, str]):  # type: ignore[no-untyped-def]
    """``add_mesh_chemicals`` on a tiny Builder: ``drugs`` id -> (name, its MeSH
    id or None), ``headings`` MeSH id -> name (all chemicals, tree D)."""
    from medkg.kg.importers.vocabularies.build import Builder, add_mesh_chemicals
    from medkg.kg.importers.vocabularies.tables import MeshRecord

    b = Builder({})
    for drug_id, (name, mesh_id) in drugs.items():
        draft = b.node("Drug", drug_id, name, "drugbank")
        if mesh_id:
            draft.xrefs.add(f"MESH:{mesh_id}")
    add_mesh_chemicals(b, {m: MeshRecord(m, n, [], ["D02.092"]) for m, n in headings.items()})
    return b.drafts


def test_a_salt_heading_is_the_drug_only_when_the_drug_has_no_mesh_id() -> None:
    drafts = _mesh_chemicals(
        {"DB1": ("Tiapride", None), "DB2": ("Venlafaxine", "D000069470")},
        {"D063325": "Tiapride Hydrochloride", "D000001": "Venlafaxine Sodium",
         "D000002": "Tiapride Proteins"},
    )  # fmt: skip
    assert drafts[("Drug", "DB1")].xrefs == {"MESH:D063325"}
    assert "Tiapride Hydrochloride" in drafts[("Drug", "DB1")].synonyms
    assert ("Drug", "D063325") not in drafts
    assert ("Drug", "D000001") in drafts  # the drug has its own MeSH id: a second salt
    assert ("Drug", "D000002") in drafts  # not a salt word


def test_a_plural_heading_is_the_drug_only_when_the_drug_has_no_mesh_id() -> None:
    drafts = _mesh_chemicals(
        {"DB00798": ("Gentamicin", None), "DB00182": ("Amphetamine", "D000661")},
        {"D005839": "Gentamicins", "D000662": "Amphetamines"},
    )
    assert drafts[("Drug", "DB00798")].xrefs == {"MESH:D005839"}
    assert ("Drug", "D005839") not in drafts
    # the drug has its own MeSH id: the plural heading is its class, a node of its own
    assert ("Drug", "D000662") in drafts
    assert drafts[("Drug", "DB00182")].xrefs == {"MESH:D000661"}


def test_duplicates_are_tied_to_the_node_to_prefer(vocab_store: EmbeddedStore) -> None:
    rows = vocab_store.query(
        "MATCH (a:SideEffect)-[:SAME_AS]->(b:Disease) RETURN a.id, a.name, b.name, b.synonyms,"
        " b.xrefs",
        row_cap=10_000,
    ).rows
    # tied by the UMLS id the disease carries, else by the disease's name or synonym
    assert rows and all(
        f"UMLS:{se}" in xrefs or name_key(name) in {name_key(n) for n in [dname, *(syns or [])]}
        for se, name, dname, syns, xrefs in rows
    )
    assert vocab_store.query(
        "MATCH (:SideEffect {id: 'C0011860'})-[:SAME_AS]->(d:Disease) RETURN d.id"
    ).rows == [["DOID:9352"]]
    # HPO's "Type II diabetes mellitus" phenotype is tied to the DOID disease
    assert vocab_store.query(
        "MATCH (s:Symptom {id: 'HP:0005978'})-[:SAME_AS]->(d:Disease {id: 'DOID:9352'}) RETURN d.id"
    ).rows
    # no id ties HPO's "Coronary artery spasm" to a disease; its name, a synonym of
    # exactly one DOID disease, does
    assert vocab_store.query(
        "MATCH (s:Symptom {id: 'HP:0025497'})-[:SAME_AS]->(d:Disease) RETURN d.id"
    ).rows == [["DOID:11840"]]


def test_a_mesh_symptom_is_tied_to_the_disease_citing_and_naming_it(
    vocab_store: EmbeddedStore,
) -> None:
    """One node per concept: DOID's obesity and diarrhea cite MeSH's symptoms of
    those names, so the symptoms are tied to the diseases. A citation on a
    disease of another name is no tie (DOID's visual epilepsy cites Seizures),
    nor is a name alone ("Coma" is a synonym of Cogan's ocular motor apraxia)."""
    ties = dict(vocab_store.query(
        "MATCH (s:Symptom)-[:SAME_AS]->(d:Disease) "
        "WHERE s.id IN ['D009765', 'D003967', 'D012640', 'D003128'] RETURN s.id, d.id"
    ).rows)  # fmt: skip
    assert ties == {"D009765": "DOID:9970", "D003967": "DOID:13250"}
    assert vocab_store.query("MATCH (s:Symptom {id: 'D012640'}) RETURN s.id").rows
    # a tie always ends at the node to prefer: no SAME_AS leads to a tied node
    assert vocab_store.query(
        "MATCH (a)-[:SAME_AS]->(b)-[:SAME_AS]->(c) RETURN a.id, b.id, c.id LIMIT 5"
    ).rows == []


def test_a_heading_s_names_go_to_the_node_of_its_name(vocab_store: EmbeddedStore) -> None:
    """DOID's enterocele cites MeSH's Hernia: the heading's names go to HPO's
    Hernia, so "hernia" neither names enterocele nor ties Hernia to it. A shared
    MeSH id beats a shared synonym: HPO's Respiratory insufficiency (the heading
    DOID's respiratory failure cites) is not tied to bronchopulmonary dysplasia,
    which MONDO lists the words for (decision 0038)."""
    enterocele = vocab_store.get_node("DOID:1283")
    hernia = vocab_store.get_node("HP:0100790")
    assert "Hernia" not in enterocele["synonyms"] and "Hernias" in hernia["synonyms"]
    ties = vocab_store.query(
        "MATCH (s:Symptom)-[:SAME_AS]->(d) WHERE s.id IN ['HP:0100790', 'HP:0002093'] "
        "RETURN s.id, d.id"
    ).rows
    assert ties == []
    # a citing disease that has the heading's name keeps it (and the tie)
    fused = vocab_store.query(
        "MATCH (:Symptom {id: 'HP:0011090'})-[:SAME_AS]->(d) RETURN d.id"
    ).rows  # HPO's Fused teeth is MONDO's "teeth, fused"
    assert fused == [["MONDO:0010103"]]


def test_a_symptom_heading_outside_the_symptom_tree_names_its_symptom() -> None:
    """Hetionet's symptom Disorders of Excessive Somnolence (tree C10, not C23)
    keeps its entry terms; DOID's recurrent hypersomnia, which cites it, does not
    get them, and, named otherwise, is not tied to it."""
    from medkg.kg.importers.vocabularies.build import (
        Builder,
        add_hpo,
        add_mesh_names,
        add_ties,
    )
    from medkg.kg.importers.vocabularies.tables import MeshRecord

    b = Builder({"Symptom": {"D006970": "Disorders of Excessive Somnolence"}})
    b.node("Disease", "DOID:8619", "recurrent hypersomnia", "doid").xrefs.add("MESH:D006970")
    mesh = {"D006970": MeshRecord(
        "D006970", "Disorders of Excessive Somnolence", ["Hypersomnolence Disorder"],
        ["C10.886.425.800.200"],
    )}  # fmt: skip
    add_hpo(b, [], mesh, [])
    add_mesh_names(b, mesh)
    add_ties(b)
    assert b.drafts[("Symptom", "D006970")].synonyms == ["Hypersomnolence Disorder"]
    assert b.drafts[("Disease", "DOID:8619")].synonyms == []
    assert not b.edges.get(("SAME_AS", "Symptom", "Disease"))


def test_a_heading_several_diseases_cite_names_the_one_of_its_name() -> None:
    """MeSH's Macular Degeneration is cited by DOID's macular degeneration and by
    the narrower age related macular degeneration: its entry terms go to the
    first only, but for one that is another node's own name (Neoplasms lists
    "Cancer"); a heading whose name no citing disease has names none of them."""
    from medkg.kg.importers.vocabularies.build import Builder, add_mesh_names
    from medkg.kg.importers.vocabularies.tables import MeshRecord

    b = Builder({})
    b.node("Disease", "DOID:4448", "macular degeneration", "doid").xrefs.add("MESH:D008268")
    b.node("Disease", "DOID:10871", "age related macular degeneration", "doid").xrefs.add(
        "MESH:D008268"
    )
    b.node("Disease", "DOID:14566", "neoplasm", "doid").xrefs.add("MESH:D009369")
    b.node("Disease", "DOID:162", "cancer", "doid").xrefs.add("MESH:D009369")
    b.node("Disease", "MONDO:0010811", "benign prostatic hyperplasia", "mondo").xrefs.add(
        "MESH:D011470"
    )
    b.node("Disease", "DOID:2883", "prostatic adenoma", "doid").xrefs.add("MESH:D011470")
    mesh = {r.id: r for r in [
        MeshRecord("D008268", "Macular Degeneration", ["Maculopathy", "Macular Dystrophy"],
                   ["C11.768.585"]),
        MeshRecord("D009369", "Neoplasms", ["Tumors", "Cancer", "Neoplasia"], ["C04"]),
        MeshRecord("D011470", "Prostatic Hyperplasia", ["Prostatic Hypertrophy"],
                   ["C12.294.565"]),
    ]}  # fmt: skip
    add_mesh_names(b, mesh)
    synonyms = {k[1]: d.synonyms for k, d in b.drafts.items()}
    assert synonyms["DOID:4448"] == ["Maculopathy", "Macular Dystrophy"]
    assert synonyms["DOID:10871"] == []
    assert synonyms["DOID:14566"] == ["Tumors", "Neoplasia"]  # "Cancer" is DOID:162's name
    assert synonyms["DOID:162"] == []
    assert synonyms["MONDO:0010811"] == [] and synonyms["DOID:2883"] == []


def test_side_effects_named_as_procedures_are_marked() -> None:
    """A side effect is marked a procedure only when every MeSH descriptor its
    name heads (any spelling, word order or number) is a technique (E) or a
    discipline (H); falls (N06) and a name also under phenomena (G) stay findings."""
    from medkg.kg.importers.vocabularies.build import Builder, mark_procedure_side_effects
    from medkg.kg.importers.vocabularies.tables import MeshRecord

    b = Builder({"SideEffect": {
        "C1": "Surgery", "C2": "Spinal anaesthesia", "C3": "Capillary fragility",
        "C4": "Fall", "C5": "Nausea",
    }})  # fmt: skip
    mesh = {r.id: r for r in [
        MeshRecord("D013502", "General Surgery", ["Surgery"], ["H02.403.810.300"]),
        MeshRecord("D000775", "Anesthesia, Spinal", [], ["E03.155.086.331"]),
        MeshRecord("D002198", "Capillary Fragility", [], ["E01.370.370.170", "G09.330.160"]),
        MeshRecord("D000058", "Accidental Falls", ["Falls"], ["N06.850.135.122"]),
        MeshRecord("D009325", "Nausea", [], ["C23.888.821.712"]),
    ]}  # fmt: skip
    mark_procedure_side_effects(b, mesh)
    rows = b.batch().nodes["SideEffect"]
    assert {i for i, r in rows.items() if r.get("procedure")} == {"C1", "C2"}
    assert all("name" not in r and "source" not in r for r in rows.values())  # kept as stored


def test_the_import_marks_hetionet_s_surgery_a_procedure(vocab_store: EmbeddedStore) -> None:
    rows = vocab_store.query("MATCH (n:SideEffect) WHERE n.procedure = true RETURN n.id").rows
    assert rows == [["C0543467"]]


def test_symptom_ties_need_names_that_agree() -> None:
    from medkg.kg.importers.vocabularies.build import Builder, add_ties

    b = Builder({
        "Symptom": {"D1": "Narcolepsy", "D2": "Seizures", "D3": "Coma", "HP:9": "Old"},
        "SideEffect": {"C1": "Narcolepsy", "C2": "Cataract"},
    })  # fmt: skip
    b.node("Symptom", "HP:1", "Cataract", "hpo").xrefs.add("UMLS:C2")
    # named like one disease's own name, and a synonym of another: the own name wins
    b.node("Symptom", "HP:2", "Anxiety", "hpo")
    b.node("Disease", "MONDO:5", "anxiety", "mondo")
    b.node("Disease", "MONDO:6", "anxiety disorder", "mondo").synonyms.append("Anxiety")
    # a name that is two diseases' own name ties nothing
    b.node("Symptom", "HP:3", "Gout", "hpo")
    b.node("Disease", "DOID:7", "gout", "doid")
    b.node("Disease", "MONDO:7", "gout", "mondo")
    b.node("Disease", "DOID:4", "cataract", "doid").xrefs.add("HP:1")
    b.node("Disease", "DOID:1", "narcolepsy", "doid").xrefs.add("MESH:D1")
    b.node("Disease", "DOID:2", "visual epilepsy", "doid").xrefs.add("MESH:D2")
    b.node("Disease", "DOID:3", "coma", "doid")  # no citation: a name alone does not tie
    b.node("Symptom", "D1", None, "mesh").xrefs.add("UMLS:C1")  # the side effect's id
    add_ties(b)
    same_as = dict(b.edges[("SAME_AS", "Symptom", "Disease")])
    assert set(same_as) == {("D1", "DOID:1"), ("HP:1", "DOID:4"), ("HP:2", "MONDO:5")}
    # the side effects a phenotype's UMLS id ties go to the phenotype's disease
    assert set(b.edges[("SAME_AS", "SideEffect", "Disease")]) == {
        ("C1", "DOID:1"), ("C2", "DOID:4"),
    }  # fmt: skip
    assert not b.edges.get(("SAME_AS", "SideEffect", "Symptom"))
    assert b.report.counts["MeSH symptoms tied to the disease citing and naming them"] == 1


def test_search_finds_nodes_by_synonym(vocab_store: EmbeddedStore) -> None:
    assert vocab_store.search("heart attack", "Disease", 5)[0].id == "DOID:5844"
    assert vocab_store.search("Tylenol", "Drug", 5)[0].id == "DB00316"
    # "Type 2 diabetes" is an exact synonym of the disease and of HPO's phenotype,
    # which is tied to the disease: the disease, with its edges, comes first
    found = [n.id for n in vocab_store.search("type 2 diabetes", None, 10)]
    assert found[0] == "DOID:9352" and {"HP:0005978", "C0011860"} <= set(found)


def test_name_index_ranks_tied_nodes_after_the_node_they_name() -> None:
    from medkg.kg.store.name_index import NameIndex

    rows = [
        ("C0011860", "SideEffect", "Type 2 diabetes mellitus", None),
        ("DOID:9352", "Disease", "type 2 diabetes mellitus", None),
    ]
    assert NameIndex(rows).search("type 2 diabetes")[0].id == "C0011860"
    tied = NameIndex(rows, demoted={"C0011860"})
    assert [e.id for e in tied.search("type 2 diabetes")] == ["DOID:9352", "C0011860"]


def test_reimport_changes_nothing(vocab_store: EmbeddedStore, vocab_inputs) -> None:  # type: ignore[no-untyped-def]
    first_nodes, first_edges = vocab_store.first_summary.totals()  # type: ignore[attr-defined]
    assert first_nodes.created > 50_000 and first_edges.created > 100_000
    summary, _ = import_vocabularies(vocab_store, inputs=vocab_inputs)
    nodes, edges = summary.totals()
    assert (nodes.created, nodes.updated, edges.created) == (0, 0, 0)
    # and a re-run of Hetionet leaves the vocabularies' synonyms alone
    import_hetionet(vocab_store, HetionetSource.from_dir(HETIONET), max_edges_per_type=300)
    synonyms = _one(vocab_store, "MATCH (d:Disease {id: 'DOID:5844'}) RETURN d.synonyms")[0]
    assert "heart attack" in synonyms


def _fingerprint(store: EmbeddedStore) -> tuple:
    return tuple(sorted(store.stats()["nodes"].items())) + tuple(
        sorted(store.stats()["relationships"].items())
    )


def test_a_malformed_source_is_refused_before_any_write(
    vocab_store: EmbeddedStore, tmp_path: Path
) -> None:
    before = _fingerprint(vocab_store)
    bad = tmp_path / "phenotype.hpoa"
    good = FILES["hpoa"].locate().read_text(encoding="utf-8").splitlines()[:200]
    bad.write_text("\n".join([*good, "OMIM:1\tbroken row with too few columns"]) + "\n")
    with pytest.raises(ImportFormatError, match=r"phenotype.hpoa:201: 2 columns"):
        import_vocabularies(vocab_store, files={"hpoa": bad})
    with pytest.raises(ImportFormatError, match="unknown vocabulary file key"):
        import_vocabularies(vocab_store, files={"nope": bad})
    assert _fingerprint(vocab_store) == before


def test_readers_refuse_what_they_cannot_read(tmp_path: Path) -> None:
    obo = tmp_path / "hp.obo"
    obo.write_text("not an obo file\n")
    with pytest.raises(ImportFormatError, match="not an OBO file"):
        read_obo(obo)
    hpoa = tmp_path / "x.hpoa"
    hpoa.write_text("#comment\nwrong\theader\n")
    with pytest.raises(ImportFormatError, match=r"not a phenotype\.hpoa header"):
        read_hpoa(hpoa)
    assert parse_frequency("3/4") == 0.75 and parse_frequency("45%") == 0.45
    assert parse_frequency("HP:0040283") == 0.17 and parse_frequency("") is None
    with pytest.raises(ValueError, match="frequency"):
        parse_frequency("often")


def test_a_side_effect_takes_the_mesh_disease_heading_of_its_name() -> None:
    """A disease heading no disease or phenotype carries goes to the one side
    effect of its name, British spellings and all, with the entry terms that are
    no other node's own name; not to a side effect marked a procedure, not where
    two side effects share the name, and not when a node carries it already."""
    from medkg.kg.importers.vocabularies.build import Builder, add_side_effect_headings
    from medkg.kg.importers.vocabularies.tables import MeshRecord

    b = Builder({"SideEffect": {
        "C1": "Haemorrhage", "C2": "Infarction", "C3": "Oedema", "C4": "Oedema",
        "C5": "Biopsy", "C6": "Death",
    }})  # fmt: skip
    b.node("SideEffect", "C5", None, "test").procedure = True
    b.node("Disease", "DOID:1", "end of life", "test")
    b.node("Disease", "DOID:2", "myocardial infarction", "test").xrefs.add("MESH:D007238")
    mesh = {r.id: r for r in [
        MeshRecord("D006470", "Hemorrhage", ["Hemorrhages", "Bleeding"], ["C23.550.414"]),
        MeshRecord("D007238", "Infarction", ["Infarct"], ["C23.550.513"]),
        MeshRecord("D004487", "Edema", ["Oedema"], ["C23.888.277"]),
        MeshRecord("D001706", "Biopsy", [], ["C99.1"]),
        MeshRecord("D003643", "Death", ["End Of Life"], ["C23.550.260"]),
        MeshRecord("D000001", "Haemorrhage Spray", [], ["D01.1"]),  # not a disease heading
    ]}  # fmt: skip
    add_side_effect_headings(b, mesh)
    rows = b.batch().nodes["SideEffect"]
    assert rows["C1"]["xrefs"] == ["MESH:D006470"]
    assert set(rows["C1"]["synonyms"]) == {"Hemorrhages", "Bleeding"}
    assert "xrefs" not in rows.get("C2", {}) or rows["C2"]["xrefs"] == []  # carried already
    assert not any(rows.get(i, {}).get("xrefs") for i in ("C3", "C4", "C5"))
    assert rows["C6"]["xrefs"] == ["MESH:D003643"] and not rows["C6"].get("synonyms")


def test_the_import_gives_haemorrhage_mesh_s_hemorrhage(vocab_store: EmbeddedStore) -> None:
    xrefs, synonyms = _one(
        vocab_store, "MATCH (n:SideEffect {id: 'C0019080'}) RETURN n.xrefs, n.synonyms"
    )
    assert "MESH:D006470" in xrefs and "Bleeding" in synonyms
