"""Ontology terms as the adapters read them, and identifiers as CURIEs.

Every source spells cross-references its own way (``MESH``/``MSH``,
``UMLS_CUI``/``UMLS``, ``ORDO``/``Orphanet``/``ORPHA``, MONDO's bare ``4``
for ``DOID:4``). They are normalised here to one prefix each, so a node's
``xrefs`` list and every lookup by identifier speak one language.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Source namespace spellings -> the prefix used in ``xrefs``. Namespaces not
#: listed are not kept (ICD-O, SNOMED release tags, GARD... add little here).
PREFIXES = {
    "MESH": "MESH", "MSH": "MESH",
    "OMIM": "OMIM", "MIM": "OMIM", "OMIMPS": "OMIMPS",
    "ORDO": "ORPHA", "ORPHANET": "ORPHA", "ORPHA": "ORPHA",
    "UMLS_CUI": "UMLS", "UMLS": "UMLS",
    "ICD10CM": "ICD10CM", "ICD-10": "ICD10", "ICD10": "ICD10", "ICD9CM": "ICD9CM",
    "NCI": "NCIT", "NCIT": "NCIT",
    "SNOMEDCT": "SNOMEDCT", "SCTID": "SNOMEDCT", "SNOMEDCT_US": "SNOMEDCT",
    "DOID": "DOID", "MONDO": "MONDO", "HP": "HP", "EFO": "EFO",
    "HGNC": "HGNC", "ENSEMBL": "ENSEMBL", "CHEBI": "CHEBI", "CHEMBL": "CHEMBL",
    "DRUGBANK": "DRUGBANK",
}  # fmt: skip


def curie(namespace: str, local: str) -> str | None:
    """``PREFIX:local`` for a known namespace, else ``None``; SNOMED release tags
    (``SNOMEDCT_US_2023_03_01``) count as SNOMED CT, and a local part that
    already carries its prefix (``DOID:4``) is not prefixed twice."""
    ns = namespace.strip().upper()
    if ns.startswith("SNOMEDCT"):
        ns = "SNOMEDCT"
    prefix = PREFIXES.get(ns)
    local = local.strip()
    if prefix is None or not local:
        return None
    if local.upper().startswith(prefix + ":"):
        local = local[len(prefix) + 1 :]
    return f"{prefix}:{local}"


def split_curie(text: str) -> tuple[str, str] | None:
    """``("MESH", "D009203")`` for ``MSH:D009203`` style text, normalised."""
    ns, sep, local = text.partition(":")
    if not sep:
        return None
    got = curie(ns, local)
    return tuple(got.split(":", 1)) if got else None  # type: ignore[return-value]


@dataclass
class Term:
    """One ontology term: what every ontology adapter returns."""

    id: str
    name: str
    synonyms: list[str] = field(default_factory=list)
    xrefs: set[str] = field(default_factory=set)
    parents: list[str] = field(default_factory=list)
    alt_ids: list[str] = field(default_factory=list)
    definition: str | None = None


def unique_names(names: list[str], exclude: str | None = None) -> list[str]:
    """Names in first-seen order, case-insensitively unique, without ``exclude``."""
    seen = {exclude.casefold()} if exclude else set()
    out = []
    for n in names:
        n = " ".join(n.split())
        if n and n.casefold() not in seen:
            seen.add(n.casefold())
            out.append(n)
    return out
