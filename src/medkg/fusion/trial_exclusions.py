"""Whether a trial's exclusion criterion about a drug applies to a patient who
stopped it.

Why: trial matching refuses (pushes down, flags ``excluded_by``) a trial whose
exclusion criteria name one of the patient's entities. For a drug that is right
when the criterion is about any use ("prior treatment with warfarin") and wrong
when it is about current use ("Current use of an ACE inhibitor", "Concurrent
use of benzodiazepines", "Taking medications that affect body weight") and the
note says the patient stopped the drug ("lisinopril was discontinued";
:mod:`medkg.nlp.medication_status`). So for a drug the patient stopped, the
criteria items that name it (by its name or a synonym, as written) are read:
when every one of them speaks of current use and none of a past one, the drug
does not exclude the patient. When no item names it as written (it was linked
through a class name), or the wording is mixed, it still excludes: a wrongly
kept exclusion costs the patient a look at the flag, a wrongly dropped one a
trial the patient cannot join. Decision 0048.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

#: Words of an exclusion item about current use of a drug.
CURRENT_USE = re.compile(
    r"\b(?:current(?:ly)?|concurrent(?:ly)?|concomitant|ongoing|taking|receiving|"
    r"on stable doses?|active use|at (?:the time of )?(?:screening|enrol?ment|entry))\b",
    re.IGNORECASE,
)
#: Words of an exclusion item about past use: then stopping does not help.
PAST_USE = re.compile(
    r"\b(?:prior|previous(?:ly)?|history|ever|past|former|within|before|preceding|"
    r"last \d+|had received|have received|has received|treated with)\b",
    re.IGNORECASE,
)


def only_current_use(items: Sequence[str], names: Iterable[str]) -> bool:
    """Whether the exclusion ``items`` that name the drug (any of ``names``, as
    whole words, any case) all speak of current use and none of past use;
    False when no item names it."""
    words = [re.escape(n) for n in names if len(n) >= 3]
    if not words:
        return False
    named = re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.IGNORECASE)
    about = [item for item in items if named.search(item)]
    return bool(about) and all(
        CURRENT_USE.search(item) and not PAST_USE.search(item) for item in about
    )
