"""The known-treatment rule: a drug given for a disease (or its parent) does not cause it."""

from __future__ import annotations

from medkg.nlp.relations.known_treatments import treated_node

TREATS = {"DB00575": frozenset({"DOID:10763"})}  # clonidine -> hypertension
PARENTS = {
    "DOID:10825": ("DOID:10763",),  # essential hypertension IS_A hypertension
    "DOID:0000001": ("DOID:10825",),  # one level further down
}


def test_the_disease_or_its_parent_decides() -> None:
    assert treated_node(TREATS, PARENTS, "DB00575", "DOID:10763") == "DOID:10763"
    assert treated_node(TREATS, PARENTS, "DB00575", "DOID:10825") == "DOID:10763"


def test_grandparents_other_drugs_and_unknown_nodes_do_not() -> None:
    # two levels up is too far: there the first annotated relations appear (decision 0027)
    assert treated_node(TREATS, PARENTS, "DB00575", "DOID:0000001") is None
    assert treated_node(TREATS, PARENTS, "DB01118", "DOID:10763") is None
    assert treated_node(TREATS, PARENTS, "DB00575", "D006973") is None
