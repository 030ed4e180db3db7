"""The embedded store's in-memory name index: ranking, labels, synonyms, typos."""

from __future__ import annotations

from medkg.kg.store.name_index import NameIndex

ROWS = [
    ("DOID:9352", "Disease", "type 2 diabetes mellitus", None),
    ("DOID:9744", "Disease", "type 1 diabetes mellitus", None),
    ("DOID:1612", "Disease", "breast cancer", ["mammary carcinoma"]),
    ("DB00331", "Drug", "Metformin", None),
    ("D003920", "Symptom", "Diabetes Mellitus", None),
    ("X:1", "Disease", "diabetes", None),
]


def test_exact_then_prefix_then_word_then_substring() -> None:
    idx = NameIndex(ROWS)
    assert [e.id for e in idx.search("diabetes")] == ["X:1", "D003920", "DOID:9352", "DOID:9744"]
    assert idx.search("Diabetes Mellitus")[0].id == "D003920"
    assert [e.id for e in idx.search("type")] == ["DOID:9352", "DOID:9744"]
    assert [e.id for e in idx.search("ellitus")] == ["D003920", "DOID:9352", "DOID:9744"]


def test_label_filter_synonyms_and_limits() -> None:
    idx = NameIndex(ROWS)
    assert [e.id for e in idx.search("diabetes", label="Symptom")] == ["D003920"]
    hit = idx.search("mammary")
    assert [(e.id, e.name) for e in hit] == [("DOID:1612", "breast cancer")]
    assert len(idx.search("diabetes", limit=2)) == 2
    assert idx.search("   ") == [] and idx.search("zzzz") == []
    assert idx.labels["DB00331"] == "Drug" and len(idx) == 6


def test_typos_fall_back_to_fuzzy_matching() -> None:
    idx = NameIndex(ROWS)
    assert idx.search("metfromin")[0].id == "DB00331"
    assert idx.search("diabtes melitus")[0].id in {"D003920", "DOID:9352", "DOID:9744"}
