import pytest

from medkg.kg.importers.hetionet import METAEDGES
from medkg.kg.schema import (
    NODE_LABELS,
    REL_TYPES,
    SchemaError,
    check_rel,
    hetionet_rel_type,
    label_for_hetionet_kind,
)


def test_every_hetionet_metaedge_maps_into_the_schema() -> None:
    for skind, verb, tkind in METAEDGES.values():
        rel = hetionet_rel_type(verb)
        check_rel(rel, label_for_hetionet_kind(skind), label_for_hetionet_kind(tkind))


def test_compound_is_drug_and_product_labels_exist() -> None:
    assert label_for_hetionet_kind("Compound") == "Drug"
    assert label_for_hetionet_kind("Side Effect") == "SideEffect"
    for label in ("ClinicalTrial", "Patient", "Document"):
        assert label in NODE_LABELS
    assert {"TREATS", "PALLIATES", "ASSOCIATES", "BINDS", "CAUSES", "PRESENTS"} <= set(REL_TYPES)


def test_every_node_has_id_name_synonyms_source() -> None:
    for label in NODE_LABELS.values():
        assert {"id", "name", "synonyms", "source"} <= set(label.props)


def test_unknown_kind_and_bad_pair_are_rejected() -> None:
    with pytest.raises(SchemaError, match="unknown node kind"):
        label_for_hetionet_kind("Spaceship")
    with pytest.raises(SchemaError, match="cannot join"):
        check_rel("TREATS", "Gene", "Disease")
