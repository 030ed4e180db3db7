"""Which mentions of a text are abbreviations it defines, and their long forms.

scispaCy's AbbreviationDetector (Schwartz & Hearst) finds "long form (SF)" where
the short form's letters can be read off the long form and the bracket closes
right after it. Abstracts also define an abbreviation of a recognised mention
in ways it misses (BC5CDR devel: about 80 chemical mentions linked to nothing
or to another node, docs/results.md):

* the bracket goes on after the short form: "phenobarbital (PB: 15 mg per rat)",
  "diethylnitrosamine (DEN: 10 mg/kg/day)", "Cyclosporin A (CsA; 50 mg/kg)";
* the short form is one letter: "testosterone (T)", "phlorizin (P)";
* its letters are an element's symbol, not the name's: "potassium (K)";
* it is written with a word or a hyphen: "alpha-tocopherol (alpha-TC)".

So a mention the NER (or the dictionary) recognised, followed by a bracket whose
first word looks like an abbreviation (:func:`looks_like_short_form`), defines
that word for the rest of the text; every later mention written the same way
links through it. scispaCy's own definitions come first.

Rejected: the short form's letters must all appear in order in the long form
(Schwartz & Hearst's test). It is what misses "potassium (K)" and "D-Med" for
dexmedetomidine; a mention already recognised before the bracket is evidence
enough, and the shape test keeps out brand names ("(Tylenol)"), routes ("(iv)")
and statistics ("(n = 40)", "(P < 0.05)").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from medkg.nlp.chemical_formulas import formula_names

#: Characters that may end a short form inside its bracket.
_AFTER_SHORT_FORM = frozenset(")];:,")
#: Longest short form read, in characters.
MAX_SHORT_FORM = 10
#: A short form: letters, digits and joining hyphens or dots, with a capital.
_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-./][A-Za-z0-9]+)*")


def looks_like_short_form(short: str, long_form: str) -> bool:
    """Could ``short`` abbreviate ``long_form``: one word of at most
    :data:`MAX_SHORT_FORM` characters with a capital letter, not a capitalised
    word (a brand name: "(Tylenol)"), shorter than the long form, and its first
    letter in the long form, or an element symbol that names it ("K")."""
    if len(short) > MAX_SHORT_FORM or len(short) >= len(long_form):
        return False
    if not _SHAPE.fullmatch(short) or not any(c.isupper() for c in short):
        return False
    if len(short) >= 4 and short[0].isupper() and short[1:].islower():
        return False
    if short[0].lower() in long_form.lower():
        return True
    return long_form.lower() in {n.lower() for n in formula_names(short + "+")}


def spelled_out(short: str, long_form: str) -> bool:
    """Are the short form's letters and digits found in the long form in order,
    the first at the start of a word (Schwartz & Hearst's test: "MDS" in
    "myelodysplastic syndrome", not "DFP" in "diisopropyl
    phosphorofluoridate")?"""
    chars = [c for c in short.lower() if c.isalnum()]
    text = long_form.lower()
    for start, first in enumerate(text):
        if not chars or first != chars[0] or (start and text[start - 1].isalnum()):
            continue
        at = start + 1
        for char in chars[1:]:
            at = text.find(char, at) + 1
            if at == 0:
                break
        else:
            return True
    return False


def defined_abbreviations(
    doc: Any, names: Callable[[str, str], bool] | None = None
) -> dict[tuple[int, int], Any]:
    """``(start, end)`` token offsets of each short-form mention -> its long-form
    span: scispaCy's (``doc._.abbreviations``), then the recognised mentions a
    bracket defines (module docstring) for the mentions of ``doc.ents`` after
    them. ``names(text, ner label)``: does the text as written name a node for
    that label? Such a short form keeps its own node unless the long form
    spells it out (:func:`spelled_out`): "diisopropyl phosphorofluoridate
    (DFP)" keeps DFP, isoflurophate's synonym, where the long form would link
    elsewhere; "myelodysplastic syndrome (MDS)" is no Miller-Dieker syndrome."""
    found = {(a.start, a.end): a._.long_form for a in doc._.abbreviations}
    known = {a.text for a in doc._.abbreviations}
    defined: dict[str, Any] = {}
    for ent in doc.ents:
        short = _bracketed_word(doc, ent.end)
        if short is None or short in known or short in defined:
            continue
        if names is not None and names(short, ent.label_) and not spelled_out(short, ent.text):
            continue
        if looks_like_short_form(short, ent.text):
            defined[short] = ent
    if not defined:
        return found
    for ent in doc.ents:
        long_form = defined.get(ent.text)
        if long_form is not None and ent.start >= long_form.end:
            found.setdefault((ent.start, ent.end), long_form)
    return found


def _bracketed_word(doc: Any, i: int) -> str | None:
    """The text between "(" at token ``i`` and the first closing bracket, colon,
    semicolon or comma, if that is within three tokens and holds no space."""
    if i >= len(doc) or doc[i].text != "(":
        return None
    for j in range(i + 2, min(i + 5, len(doc))):
        if doc[j].text in _AFTER_SHORT_FORM:
            span = doc[i + 1 : j]
            return None if any(t.whitespace_ for t in span[:-1]) else span.text
    return None
