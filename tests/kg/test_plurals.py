"""The one plural table the vocabulary import and the linker share."""

from __future__ import annotations

from medkg.kg.plurals import singular, singulars


def test_regular_plurals_have_one_reading_that_names_compare_by() -> None:
    assert singular("psychoses") == "psychosis"
    assert singular("leukoencephalopathies") == "leukoencephalopathy"
    assert singular("diseases") == "disease" and singular("doses") == "dose"
    # words that only look plural, and stems too short to be plurals, stay
    assert [singular(w) for w in ("abscess", "lupus", "psoriasis", "gas")] == [
        "abscess", "lupus", "psoriasis", "gas",
    ]  # fmt: skip


def test_classical_plurals_are_a_second_reading_for_lookups() -> None:
    assert singulars("metastases") == ["metastase", "metastasis"]
    assert singulars("cortices") == ["cortice", "cortex"]
    assert singulars("vertebrae") == ["vertebra"]
    assert singulars("diseases")[0] == "disease"
    assert singulars("fever") == [] and singulars("psoriasis") == []
