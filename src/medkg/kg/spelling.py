"""How two spellings of one medical name compare equal, for the importers and the linker.

The vocabulary import compares a SIDER side effect's name ("Spinal anaesthesia")
with MeSH headings ("Anesthesia, Spinal"), and the linker compares a note's words
with the graph's names; both need British "ae"/"oe" spelt "e" the same way, so the
rule lives here, below both (as :mod:`.plurals` does for plurals).
"""

from __future__ import annotations

import re

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
#: British spellings of medical Greek and Latin: "diarrhoea", "oedema", "anaemia",
#: "haemorrhage" compare equal to their American forms.
_DIGRAPH = re.compile(r"(?<=[a-z])(?:ae|oe)(?=[a-z])|\b(?:ae|oe)(?=[a-z]{3})")


def normalise(text: str) -> str:
    """Letters and digits, lower case, one space between runs, British ``ae``/``oe``
    spelt ``e``: the key names are compared by."""
    return _DIGRAPH.sub("e", _NON_ALNUM.sub(" ", text.lower()).strip())
