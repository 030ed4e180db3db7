"""Names of a chemical written as a formula or an ion ("KCl", "CaCl2", "NH3",
"K+", "Ca(2+)", "Na(+)", "[Ca(2+)](i", "2Cl(-"), or as a salt of a drug
("bupropion HCl").

Why: abstracts and notes write salts, gases and ions by formula, and no
vocabulary the graph imports lists formulas as names, so the nearest string
linked "Na(+)" to an unrelated "Na-1" and "KCl", "CaCl2", "NH3" to nothing (BC5CDR
devel, docs/results.md). Inorganic nomenclature turns a formula into the names
the vocabularies do list: an element's name, a salt as cation + anion
("potassium chloride", "ammonium chloride"), a binary molecule with number
prefixes ("carbon dioxide"), or a molecule's trivial name ("ammonia"). The
lexicon then decides which of these names a node.

Only for a span the NER calls a chemical, and only where the text cannot be an
acronym: it must carry a lower-case letter, a digit or a charge ("HF", "NO",
"CO" are heart failure, a word and cardiac output in notes far more often than
hydrogen fluoride, nitric oxide or carbon monoxide); a one-letter symbol
needs a "+" or a bracketed charge ("K+", "Cl(-)"; a bare "K", "P" or "T" is
mostly an abbreviation defined in the text, "S-" a prefix); and counts stay
small ("P100" is a wave of an evoked potential).

A drug named with the salt it is made up as ("bupropion HCl", "dosulepine
hydrochloride") is the drug where the graph has no node for the salt
(:func:`without_salt`): MeSH and DrugBank give most salts to their parent.

Rejected: a table of formulas. The salts and ions are open-ended; the rules
below cover them with the element table (elements.tsv) and a few polyatomic
ions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from medkg.nlp.packaged import packaged_rows

#: An ion or formula as a span holds it: a stoichiometric count in front
#: ("2Cl(-"), brackets for a concentration ("[Ca(2+)](i": intracellular), the
#: charge in brackets or not, possibly cut short by the tokenizer ("Ca(2", "Cl(-").
_ION = re.compile(
    r"^\[?\d*(?P<formula>(?:[A-Z][a-z]?(?:[1-9]\d*)?)+)"
    r"(?:\(?(?P<charge>\d*[+-]+)\)?|\(\d*[+-]*)?"
    r"\]?(?:\([ioe]\)?)?$"
)
#: One element and its count in a formula (:data:`_ION` has vetted the counts).
_PART = re.compile(r"([A-Z][a-z]?)([1-9]\d*)?")

#: Most atoms of one element a formula is read with ("C12H22O11" is no salt or
#: ion this module names; "P100" is a wave of an evoked potential), and of a
#: lone element ("O2", "O3", "Cl2").
MAX_COUNT = 12
MAX_ELEMENT_COUNT = 3
#: Molecules known by a trivial name rather than their systematic one.
_TRIVIAL = {
    "NH3": "ammonia",
    "H2O": "water",
    "H2O2": "hydrogen peroxide",
    "O3": "ozone",
    "N2O": "nitrous oxide",
    "CH4": "methane",
    "HCl": "hydrochloric acid",
    "H2SO4": "sulfuric acid",
    "HNO3": "nitric acid",
    "H2S": "hydrogen sulfide",
}
#: Polyatomic cations and anions, as written in a salt's formula.
_CATIONS = {"NH4": "ammonium"}
_ANIONS = {
    "OH": "hydroxide",
    "CN": "cyanide",
    "SO4": "sulfate",
    "SO3": "sulfite",
    "NO3": "nitrate",
    "NO2": "nitrite",
    "CO3": "carbonate",
    "HCO3": "bicarbonate",
    "PO4": "phosphate",
    "HPO4": "hydrogen phosphate",
    "H2PO4": "dihydrogen phosphate",
    "ClO4": "perchlorate",
    "MnO4": "permanganate",
}
#: An element's name as the anion of a binary compound (the -ide name).
_IDE = {
    "F": "fluoride",
    "Cl": "chloride",
    "Br": "bromide",
    "I": "iodide",
    "O": "oxide",
    "S": "sulfide",
    "N": "nitride",
    "P": "phosphide",
    "H": "hydride",
    "Se": "selenide",
}
#: Elements whose binary compounds are molecules named with number prefixes
#: ("carbon dioxide"), not salts ("calcium chloride").
_NONMETALS = frozenset(
    {"H", "B", "C", "N", "O", "F", "Si", "P", "S", "Cl", "As", "Se", "Br", "Te", "I"}
    | {"He", "Ne", "Ar", "Kr", "Xe", "Rn"}
)
#: Number prefixes of a binary molecule's systematic name.
_PREFIX = {1: "mono", 2: "di", 3: "tri", 4: "tetra", 5: "penta", 6: "hexa", 7: "hepta"}


@cache
def elements() -> dict[str, str]:
    """Element symbol -> name, from the packaged ``elements.tsv``."""
    return {symbol: name for symbol, name in packaged_rows("elements.tsv")}


def formula_names(text: str) -> Iterator[str]:
    """Names ``text`` stands for if it is an ion or a formula, most likely first;
    nothing when it cannot be one or may be an acronym (module docstring)."""
    found = _ION.match(text.strip())
    if found is None:
        return
    formula, charge = found.group("formula"), found.group("charge")
    bare = formula == text.strip()
    if bare and not re.search(r"[a-z0-9]", formula):
        return  # "HF", "NO", "CO": an acronym first
    parts = [(sym, int(n) if n else 1) for sym, n in _PART.findall(formula)]
    table = elements()
    if any(sym not in table for sym, _ in parts):
        return
    if any(n > MAX_COUNT for _, n in parts):
        return  # "P100", "B35": a wave, a code
    if len(parts) == 1:
        sym, count = parts[0]
        if count > MAX_ELEMENT_COUNT:
            return
        if len(sym) == 1 and count == 1 and not ("+" in (charge or "") or "(" in text):
            return  # a bare "K", "P", "T": an abbreviation; "S-", "N-": a prefix
        yield table[sym]
        if charge and "-" in charge and sym in _IDE:
            yield _IDE[sym]
        return
    if formula in _TRIVIAL:
        yield _TRIVIAL[formula]
    if parts[0][0] not in _NONMETALS or formula.startswith("NH4"):
        yield from _salt_names(formula, table)  # a salt: no number prefixes
    elif len(parts) == 2 and parts[1][0] in _IDE:
        (first, m), (second, n) = parts
        lead = table[first] if m == 1 else _PREFIX.get(m, "") + table[first]
        ide = _IDE[second]
        number = _PREFIX.get(n, "")
        if first == "H":  # "hydrogen chloride", "hydrogen sulfide"
            lead, number = table[first], ""
        if number.endswith(("a", "o")) and ide.startswith("o"):
            number = number[:-1]  # "monoxide", "tetroxide"
        yield f"{lead} {number}{ide}"


def _salt_names(formula: str, table: dict[str, str]) -> Iterator[str]:
    """A salt's name, cation then anion, without counts ("CaCl2" -> "calcium
    chloride", "NH4Cl" -> "ammonium chloride", "MgSO4" -> "magnesium sulfate")."""
    for cut in range(1, len(formula)):
        if not formula[cut].isupper():
            continue
        head, tail = formula[:cut], formula[cut:]
        single = _PART.fullmatch(head)
        cation = _CATIONS.get(head) or (table.get(single.group(1)) if single else None)
        anion = _ANIONS.get(tail) or _ANIONS.get(tail.rstrip("0123456789"))
        if anion is None and (one := _PART.fullmatch(tail)):
            anion = _IDE.get(one.group(1))
        if cation is not None and anion is not None:
            yield f"{cation} {anion}"


#: A drug's counter-ion or water of crystallisation, written after its name.
SALT_WORDS = frozenset(
    {"hydrochloride", "dihydrochloride", "hcl", "hydrobromide", "mesylate", "maleate"}
    | {"sulfate", "citrate", "tartrate", "bitartrate", "besylate", "succinate"}
    | {"fumarate", "hemifumarate", "tosylate", "napsylate", "pamoate", "edisylate"}
    | {"hyclate", "gluconate", "lactate", "phosphate", "acetate", "nitrate"}
    | {"monohydrate", "dihydrate", "trihydrate", "sodium", "potassium", "disodium"}
)


def without_salt(text: str) -> str | None:
    """``text`` without the salt words after the drug's name ("bupropion HCl" ->
    "bupropion"), or None if it ends in none or nothing would be left."""
    words = text.split()
    while len(words) > 1 and words[-1].lower() in SALT_WORDS:
        words.pop()
    parent = " ".join(words)
    return parent if parent != text and len(parent) >= 4 else None
