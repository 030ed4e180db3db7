"""A drug that the graph records as treating a disease is not said to cause it.

Why: a frequent false CAUSES is a drug named beside the disease it is given
for ("patients with hypertension treated with clonidine"): the words around
the pair look like those of an adverse effect, and neither the trigger rules
nor the classifiers know which drugs are indications. The graph does: curated
``TREATS`` and ``PALLIATES`` edges (Hetionet's indications) are the knowledge a
reader brings. So a CAUSES whose drug the graph gives for the disease, or for
the disease's direct ``IS_A`` parent ("clonidine treats hypertension" also
covers "essential hypertension"), is dropped. On BC5CDR the rule almost never
removes an annotated relation at the parent, and does further up
(docs/decisions/0027), so it stops there.

Only imported edges count (those without an ``extractor``): a TREATS that the
extractor itself read in some note is a claim, not curated knowledge, and the
extractor's output must not depend on the notes ingested before.

A paradoxical effect of a drug on its own indication (an antiarrhythmic's
arrhythmia) is the price; ``MEDKG_CID_KNOWN_TREATMENTS=false`` turns the rule off.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from medkg.kg.store.base import GraphStore

#: The curated relationship types that say a drug is given for a disease.
INDICATIONS = ("TREATS", "PALLIATES")


def curated_treatments(store: GraphStore) -> dict[str, frozenset[str]]:
    """Drug node id -> the ids of the nodes it treats or palliates, by imported
    (not extracted) edges."""
    return imported_targets(store, INDICATIONS, "Drug")


def imported_targets(
    store: GraphStore, rel_types: Sequence[str], start: str, end: str | None = None
) -> dict[str, frozenset[str]]:
    """Start node id -> the end node ids of its imported ``rel_types`` edges
    (those without an ``extractor``: curated knowledge, not what notes said)."""
    out: dict[str, set[str]] = {}
    target = f"(b:{end})" if end else "(b)"
    for rel in rel_types:
        for a, b in store.query(
            f"MATCH (a:{start})-[r:{rel}]->{target} WHERE r.extractor IS NULL RETURN a.id, b.id",
            row_cap=10_000_000,
        ).rows:
            out.setdefault(a, set()).add(b)
    return {k: frozenset(v) for k, v in out.items()}


def treated_node(
    treatments: Mapping[str, Collection[str]],
    parents: Mapping[str, Sequence[str]],
    drug: str,
    disease: str,
) -> str | None:
    """The node (``disease`` or one of its ``IS_A`` parents) that the graph says
    ``drug`` treats or palliates; None when it says neither."""
    treated = treatments.get(drug)
    if not treated:
        return None
    for node in (disease, *parents.get(disease, ())):
        if node in treated:
            return node
    return None
