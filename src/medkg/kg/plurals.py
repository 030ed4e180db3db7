"""English plurals of medical nouns, one table for the importers and the linker.

Both need a word's singular: the vocabulary import compares MeSH's plural
headings ("Psychoses", "Leukoencephalopathies") with ontology names, and the
linker tries a mention's last word in the singular ("neuropathies"). One table
keeps them agreeing on what a plural is; it lives in ``kg`` because the
importers sit below ``nlp``.

Why no general stemmer: "-ases" is the plural of "-ase" ("diseases") and of
"-asis" ("metastases"); only a lookup can tell, so :func:`singulars` gives a
lookup every reading and :func:`singular` the one regular reading a
comparison of two names can rely on.
"""

from __future__ import annotations

#: (plural ending, singular ending) of the regular plurals, most specific
#: first: one reading each, so two names compare equal whichever number each uses.
PLURAL_ENDINGS: tuple[tuple[str, str], ...] = (
    ("oses", "osis"),  # psychoses, neuroses
    ("ies", "y"),  # neuropathies, leukoencephalopathies
    ("s", ""),  # gliomas, tumors, seizures, diseases
)
#: Latin and Greek plurals, a second reading a lookup tries after the regular
#: one ("metastases": "metastase", then "metastasis"; "cortices": "cortice",
#: then "cortex"), since the same endings end English plurals ("devices").
CLASSICAL_ENDINGS: tuple[tuple[str, str], ...] = (
    ("ices", "ex"),  # cortices
    ("ae", "a"),  # vertebrae, sequelae
    ("ses", "sis"),  # metastases
)
#: Endings that look plural and are not ("abscess", "lupus", "psoriasis").
NOT_PLURAL = ("ss", "us", "is")
#: Letters a word keeps before its ending ("doses" -> "dose"; "gas" stays).
MIN_STEM = 3


def _strip(word: str, endings: tuple[tuple[str, str], ...], min_stem: int) -> list[str]:
    return [
        word[: -len(end)] + new
        for end, new in endings
        if word.endswith(end) and len(word) - len(end) >= min_stem
    ]


def singular(word: str, min_stem: int = MIN_STEM) -> str:
    """The regular singular of a lower-case ``word`` (itself when not plural):
    the same for a heading and a name whichever number each uses."""
    if word.endswith(NOT_PLURAL):
        return word
    return next(iter(_strip(word, PLURAL_ENDINGS, min_stem)), word)


def singulars(word: str, min_stem: int = MIN_STEM) -> list[str]:
    """Every singular reading of a lower-case ``word``, regular first, for a
    lookup to try in order; empty when the word is not plural."""
    if word.endswith(NOT_PLURAL):
        return []
    regular = singular(word, min_stem)
    found = [regular] if regular != word else []
    for form in _strip(word, CLASSICAL_ENDINGS, min_stem):
        if form not in found:
            found.append(form)
    return found


__all__ = ["PLURAL_ENDINGS", "singular", "singulars"]
