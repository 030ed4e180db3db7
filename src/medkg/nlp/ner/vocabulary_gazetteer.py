"""The NER's gazetteer from the knowledge layer's vocabularies, not only Hetionet.

Why: BC5CDR is annotated against MeSH, and a note's drugs and diseases are
named by brand names, entry terms and synonyms that Hetionet's 7,650 drug and
disease names lack. The vocabularies the graph imports (MeSH descriptors and
supplementary chemicals with entry terms, the Disease Ontology, MONDO, HPO,
DrugBank's names and brands) give ~780,000 distinct names; the tagger's
gazetteer tag says whether a word starts or continues one, and the tagger
learns how far to trust it (:mod:`.features`).

Types: MeSH tree C (diseases) and F03 (mental disorders) -> DISEASE, tree D
(chemicals and drugs) -> CHEMICAL; a supplementary concept takes the type of the
descriptors it maps to; DOID, MONDO and HPO -> DISEASE; DrugBank -> CHEMICAL.
A name of both types keeps DISEASE (read first): a drug class named after a
disease ("antihypertensive agents") is rarer in text than the disease.

Names longer than :data:`MAX_KEY` characters (IUPAC names, MeSH's long
inverted headings) are left out: the tagger's matcher spans at most
``MAX_MATCH_WORDS`` words, and they only cost memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from medkg.nlp.ner.features import Gazetteer, _key

if TYPE_CHECKING:
    from medkg.kg.importers.vocabularies import Inputs

CHEMICAL, DISEASE = "CHEMICAL", "DISEASE"
#: Longest normalised name kept, in characters.
MAX_KEY = 48
#: Shortest, as in :meth:`.Gazetteer.from_hetionet`.
MIN_KEY = 3


def _mesh_type(trees: Iterable[str]) -> str | None:
    trees = list(trees)
    if any(t.startswith(("C", "F03")) for t in trees):
        return DISEASE
    if any(t.startswith("D") for t in trees):
        return CHEMICAL
    return None


def vocabulary_gazetteer(
    hetionet_nodes: Path | None = None, inputs: Inputs | None = None
) -> Gazetteer:
    """Names -> NER type from every installed vocabulary (``inputs``: read
    already) and Hetionet's node table when given. Raises
    :class:`~medkg.kg.importers.batch.ImportFormatError` when a vocabulary
    package is missing. Without ``inputs`` the result is kept for the process:
    an ensemble's members (and a test session) build it once, not per model."""
    if inputs is None:
        return _installed(hetionet_nodes)
    return _build(hetionet_nodes, inputs)


@cache
def _installed(hetionet_nodes: Path | None) -> Gazetteer:
    from medkg.kg.importers.vocabularies import read_inputs

    return _build(hetionet_nodes, read_inputs())


def _build(hetionet_nodes: Path | None, inputs: Inputs) -> Gazetteer:
    names: dict[str, str] = {}

    def add(texts: Iterable[str], kind: str | None) -> None:
        if kind is None:
            return
        for text in texts:
            key = _key(text or "")
            if MIN_KEY <= len(key) <= MAX_KEY:
                names.setdefault(key, kind)

    for terms in (inputs.doid, inputs.mondo, inputs.hpo):
        for t in terms:
            add([t.name, *t.synonyms], DISEASE)
    for r in inputs.mesh.values():
        add([r.name, *r.entry_terms], _mesh_type(r.trees))
    descriptor_trees = {k: r.trees for k, r in inputs.mesh.items()}
    for r in inputs.mesh_supp.values():
        mapped = [t for d in r.trees for t in descriptor_trees.get(d.lstrip("*"), ())]
        add([r.name, *r.entry_terms], _mesh_type(mapped) or CHEMICAL)
    for d in inputs.drugs.values():
        add([d.name, *d.synonyms, *d.brands], CHEMICAL)
    if hetionet_nodes is not None and hetionet_nodes.is_file():
        for key, kind in Gazetteer.from_hetionet(hetionet_nodes).names.items():
            if len(key) <= MAX_KEY:
                names.setdefault(key, kind)
    return Gazetteer(names)
