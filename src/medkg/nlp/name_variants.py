"""Other spellings of a mention that no name in the graph matches as written.

Why: clinical and biomedical text names a concept in forms no vocabulary lists:
the adjective ("dyskinetic", "cataleptic", "obese"), the plural ("gliomas",
"neuropathies"), a hyphenated prefix split ("thrombo-embolism"), a word stuck
onto the concept ("constipation-predominant", "NMS-like"), or the concept with a
modifier in front ("postoperative delirium", "mechanical hyperalgesia") or a
generic noun behind ("syncopal attacks", "psychotic symptoms"). Character
3-gram similarity sends such spans to the nearest *string*, which is often
another concept ("venous thrombo-embolism" -> "embolism venous",
"malformations" -> "abnormal dental morphology"); turning them into the form a
vocabulary does list links them to the concept itself. Two concepts in one
span ("urticaria/angioedema" tagged whole by the NER, though the tokenizer
splits it, decision 0030; "CPA/EE") link through the first. Measured on
BC5CDR devel in docs/results.md (issue 17).

Two steps, both only tried when the text as written names nothing:

* :func:`spellings` - the same concept written otherwise (word form, number,
  hyphenation, an organ's noun for its adjective or back: "benign prostate
  hypertrophy" is the vocabularies' "benign prostatic hypertrophy"): tried
  before the fuzzy fallback;
* :func:`heads` - the concept without its modifiers, a broader concept (or
  "<organ> disease" for an organ with a generic noun: "renal lesions"): tried
  before the fuzzy fallback for conditions and after it for chemicals
  (:meth:`~.linking.Linker.link_text`), never down to a word that names no
  condition by itself ("injury", "function", "toxicity").

Rejected: a stemmer (Porter) on every name. It merges names the graph keeps
apart ("hepatic" and "hepatitis" share the stem "hepat"), and a lexicon keyed by
stems would change every exact match the extractor makes today.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from medkg.kg.plurals import singulars

#: Adjective (or agent noun) ending -> noun ending, longest first; each tried in turn.
_ADJECTIVE_TO_NOUN: tuple[tuple[str, str], ...] = (
    ("plastic", "plasia"),  # dysplastic, myelodysplastic, aplastic, hyperplastic
    ("otic", "osis"),  # psychotic, necrotic, fibrotic, thrombotic
    ("osed", "osis"),  # thrombosed, sclerosed
    ("ptic", "psy"),  # cataleptic, epileptic, narcoleptic
    ("etic", "etes"),  # diabetic
    ("etic", "esia"),  # dyskinetic, anaesthetic
    ("etic", "esis"),  # emetic
    ("ese", "esity"),  # obese
    ("oid", "osis"),  # choreoathetoid
    ("ive", "ion"),  # hypertensive, convulsive, depressive
    ("ic", "ia"),  # dystonic, ischemic, hypoxic, anemic
    ("ic", "y"),  # neuropathic, myopathic
    ("al", "e"),  # syncopal
    ("atous", "a"),  # edematous, erythematous, granulomatous
    ("yzed", "ysis"),  # paralyzed
    ("ful", ""),  # painful
    ("y", "iness"),  # dizzy, drowsy
    ("", "ness"),  # blind, numb, weak, stiff (short words only: _MAX_NESS_STEM)
)
#: Longest word read as an adjective whose noun adds "-ness" ("blind", "stiff"):
#: longer words are seldom such adjectives ("prostate" is no "prostateness").
_MAX_NESS_STEM = 6


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words a mention may end with that name no condition (dropped from the end).
_GENERIC_TAIL = _words(
    "symptom symptoms sign signs attack attacks episode episodes complication "
    "complications effect effects event events reaction reactions change changes "
    "state states activity phenomena phenomenon"
)
#: Words a head may not be reduced to: alone they name no particular condition.
_TOO_GENERIC = _words(
    "injury injuries damage toxicity toxicities lesion lesions function dysfunction "
    "disorder disorders disease diseases syndrome syndromes failure complication "
    "complications symptom symptoms effect effects abnormality abnormalities change "
    "changes deficit deficits impairment activity rotation excretion involvement "
    "illness problem problems condition conditions infection infections reaction "
    "reactions response responses level levels rate increase decrease loss "
    "anomalies anomaly malformation malformations defect defects side "
    # a chemical's class word: "beta-adrenergic blocking drugs" is no
    # Pharmaceutical Preparations, "bile acid" no Acids
    "drug drugs agent agents medication medications medicine medicines compound "
    "compounds substance substances acid acids salt salts preparation preparations"
)
#: Words stuck after a hyphen that only qualify the concept before it
#: ("NMS-like", "amiodarone-induced").
HYPHEN_QUALIFIERS = _words(
    "like predominant responsive related associated induced type prone dependent "
    "positive negative sensitive resistant free specific mediated naive exposed "
    "treated refractory"
)
#: Nouns that make "<organ> <noun>" mean a disease of that organ ("renal lesions").
_ORGAN_CONDITION = _words(
    "lesion lesions involvement toxicity illness damage injury deficit deficits "
    "dysfunction impairment abnormality abnormalities disturbance disturbances"
)
#: Organ adjective -> the organ's name in disease names ("renal" -> "kidney disease").
_ORGAN_OF = {
    "renal": "kidney", "tubular": "kidney", "glomerular": "kidney", "nephrotic": "kidney",
    "hepatic": "liver", "liver": "liver", "cardiac": "heart", "myocardial": "heart",
    "pulmonary": "lung", "lung": "lung", "cerebral": "brain", "brain": "brain",
    "gastric": "stomach", "ocular": "eye", "visual": "vision", "auditory": "hearing",
    "cutaneous": "skin", "skin": "skin", "urothelial": "bladder", "bladder": "bladder",
    "thyroid": "thyroid gland", "neurological": "nervous system",
    "neurologic": "nervous system", "muscular": "muscle", "intestinal": "intestinal",
    "gastrointestinal": "gastrointestinal system", "vascular": "vascular",
}  # fmt: skip
#: An organ's noun used before a condition -> the adjective vocabularies name it
#: by ("prostate hypertrophy" -> "prostatic hypertrophy", "kidney failure" ->
#: "renal failure"); :func:`spellings` tries each direction.
_ORGAN_ADJECTIVE = {
    "prostate": "prostatic", "kidney": "renal", "liver": "hepatic", "heart": "cardiac",
    "lung": "pulmonary", "stomach": "gastric", "pancreas": "pancreatic",
    "spleen": "splenic", "ovary": "ovarian", "uterus": "uterine", "testis": "testicular",
    "testicle": "testicular", "brain": "cerebral", "colon": "colonic", "rectum": "rectal",
    "bladder": "vesical", "skin": "cutaneous", "eye": "ocular", "nose": "nasal",
    "mouth": "oral", "tongue": "lingual", "bone": "osseous", "muscle": "muscular",
    "nerve": "neural", "vein": "venous", "artery": "arterial", "breast": "mammary",
    "bowel": "intestinal", "gallbladder": "cholecystic", "esophagus": "esophageal",
    "larynx": "laryngeal", "pharynx": "pharyngeal", "thyroid": "thyroid",
}  # fmt: skip
#: Either direction, for the dictionary matcher's lookups of written n-grams.
ORGAN_WORD_SWAP = {
    **{noun: adj for noun, adj in _ORGAN_ADJECTIVE.items() if adj != noun},
    **{adj: noun for noun, adj in _ORGAN_ADJECTIVE.items() if adj != noun},
}
_JOINERS = _words("and or of the with in to a an by")
#: "X of / in / to / with [the] Y" with a head of one or two words (:func:`complement_first`).
COMPLEMENT = re.compile(
    r"(\S+(?: \S+)?) (?:of|in|to|with) (?:(?:the|a|an|his|her|their|its) )?(\S.*)", re.I
)
#: Words that end no head before a complement ("secondary to", "related to").
_NOT_A_HEAD = _words("secondary related attributable leading owing according prior")
#: Words that open a noun's complement: a head is never taken from after one.
_PREPOSITIONS = _words("of in to with from at on for by after during within into among between due")
_WORD = re.compile(r"[A-Za-z0-9]+(?:[-'][A-Za-z0-9]+)*")
_MIN_STEM = 4
#: "ob"-ese -> obesity: adjective stems may be short, only whole words are looked up.
_MIN_ADJECTIVE_STEM = 2


def _word_forms(word: str) -> Iterator[str]:
    """Other forms of one word: its singular readings (:mod:`medkg.kg.plurals`:
    "metastases" -> "metastase", then "metastasis"), then noun of an adjective
    (and of the singular: "diabetics" -> "diabetic" -> "diabetes")."""
    lower = word.lower()
    seen: set[str] = set()
    for form in [*singulars(lower, _MIN_STEM), lower]:
        if form != lower and form not in seen:
            seen.add(form)
            yield form
        for end, new in _ADJECTIVE_TO_NOUN:
            if not end and (len(form) > _MAX_NESS_STEM or not form.isalpha()):
                continue
            if form.endswith(end) and len(form) - len(end) >= _MIN_ADJECTIVE_STEM:
                noun = form[: len(form) - len(end)] + new
                if noun not in seen and noun != lower:
                    seen.add(noun)
                    yield noun


def is_form_of(word: str, other: str) -> bool:
    """Is ``other`` one of ``word``'s other forms (a singular, an adjective's
    noun, a Greek plural's singular: "ischemic" -> "ischemia", "scotomata" ->
    "scotoma")?"""
    return other in _word_forms(word) or (word.endswith("mata") and other == word[:-2])


#: A word in the possessive ("Parkinson's", straight or curly apostrophe): an
#: eponym that names its disease alone in notes, where the vocabularies write
#: "Parkinson's disease".
POSSESSIVE = re.compile("[A-Za-z]['\u2019]s$")
#: What an eponym alone stands for, most usual first.
EPONYM_NOUNS = ("disease", "syndrome")
#: An organ's function said to be lost: "decreased renal function", "loss of
#: kidney function", "impairment in auditory function" (the organ word is group 1).
FUNCTION_LOSS = re.compile(
    r"^(?:(?:decreased|impaired|reduced|diminished|poor|abnormal|deteriorated|deteriorating"
    r"|worsened|worsening|declining|compromised)"
    r"|(?:loss|decrease|reduction|impairment|deterioration|decline) (?:of|in))"
    r" ((?:[a-z]+ )?[a-z]+) function$",
    re.IGNORECASE,
)
#: What a lost function is called, tried in order ("renal insufficiency",
#: "renal dysfunction").
FUNCTION_LOSS_NOUNS = ("insufficiency", "dysfunction", "failure")
#: A number in brackets right after a name's letters ("PGE(2)", "TXB(2)"), as
#: chemical abstracts write subscripts.
BRACKETED_NUMBER = re.compile(r"(?<=[A-Za-z])\((\d{1,2})\)(?=\W|$)")
#: A change written as a noun after what changed ("QT interval prolongation",
#: "liver enlargement"), which phenotype vocabularies name by the participle in
#: front ("Prolonged QT interval", "Enlarged liver").
CHANGE_AS_ADJECTIVE = {
    "prolongation": "prolonged", "elevation": "elevated", "increase": "increased",
    "decrease": "decreased", "reduction": "reduced", "rise": "increased",
    "shortening": "shortened", "enlargement": "enlarged", "dilation": "dilated",
    "dilatation": "dilated", "thickening": "thickened", "narrowing": "narrowed",
    "fall": "decreased", "drop": "decreased", "decline": "decreased",
}  # fmt: skip
#: Words that say a measure went up or down. A name that says the opposite of
#: the text is another concept however alike the strings: by character 3-grams
#: "decreased heart rate" is 0.80 from "increased heart rate" (tachycardia),
#: "decrease in blood pressure" 0.87 from "increase in blood pressure"
#: (:func:`opposite_direction`).
_UP = _words(
    "increased increase increases increasing elevated elevation elevations high higher "
    "raised rise rises rising gain excess excessive fast rapid"
)
_DOWN = _words(
    "decreased decrease decreases decreasing reduced reduction reductions low lower lowered "
    "diminished fall falls falling drop drops dropped decline declines declining deficient "
    "deficiency slow slowed"
)
#: How vocabularies write a change in front of what changed, most usual first:
#: "lowered blood pressure" is listed as "low blood pressure" (HPO, MeSH).
_DIRECTION_ADJECTIVES = {
    "up": ("increased", "elevated", "high"),
    "down": ("decreased", "reduced", "low"),
}
#: The change words that stand in front of what changed (their direction is
#: :func:`_direction`'s).
_CHANGE_ADJECTIVES = _words(
    "increased elevated high higher raised decreased reduced low lower lowered diminished"
)
#: Change nouns "X of / in Y" opens with: the change of a measure ("a fall in
#: blood pressure"), never the concept the noun alone names (HPO's Falls).
CHANGE_NOUNS = _words(
    "fall falls drop drops decline declines rise rises increase increases decrease decreases "
    "reduction reductions elevation elevations"
)


def is_change_of(word: str, following: str) -> bool:
    """Do ``word`` and the word after it open "X in / of Y" with a change noun
    ("fall in", "drop of")? Then the phrase names the change of what follows."""
    return word.lower() in CHANGE_NOUNS and following.lower() in ("in", "of")


#: A type written before its noun ("type B hepatitis", "type I allergy"), which
#: vocabularies write after it ("hepatitis B", "diabetes type 1").
TYPE_FIRST = re.compile(r"type ([A-Za-z]|[IV]{1,3}|\d{1,2}) (\S.*)", re.I)


def spellings(text: str) -> Iterator[tuple[str, str]]:
    """``(variant, how)`` for the same concept written otherwise, most literal
    first: hyphens closed up, the part before a qualifying hyphen word, the last
    word in another form."""
    seen = {text}

    def new(variant: str) -> bool:
        if variant in seen or not variant.strip():
            return False
        seen.add(variant)
        return True

    if bracketed := BRACKETED_NUMBER.search(text):  # "PGE(2)": "PGE2"
        variant = text[: bracketed.start()] + bracketed.group(1) + text[bracketed.end() :]
        if new(variant):
            yield variant, "number unbracketed"
    if "-" in text:
        closed = re.sub(r"(?<=[A-Za-z])-(?=[a-z])", "", text)
        if new(closed):
            yield closed, "hyphen closed"
        parts = text.rsplit("-", 1)
        if parts[1].lower() in HYPHEN_QUALIFIERS and new(parts[0]):
            yield parts[0], f"without '-{parts[1]}'"
    words = text.split()
    if not words:
        return
    inverted = complement_first(text)  # "cancer of the breast": "breast cancer"
    if inverted and new(inverted):
        yield inverted, "complement first"
    *measure, change = (inverted or text).split()
    adjective = _change_adjective(change) if measure else None
    changed = None
    if adjective is not None:  # "QT interval prolongation", "blood pressure falls"
        changed = " ".join([adjective, *measure])
        if new(changed):
            yield changed, "change as adjective"
    for source in (text, changed):  # "decreased blood pressure": "low blood pressure"
        for variant in _direction_forms(source):
            if new(variant):
                yield variant, "change's other word"
    if typed := TYPE_FIRST.match(text):  # "type B hepatitis": "hepatitis B"
        kind, noun = typed.groups()
        for variant in (f"{noun} {kind}", f"{noun} type {kind}"):
            if new(variant):
                yield variant, "type after its noun"
    if lost := FUNCTION_LOSS.match(text):  # "decreased renal function"
        for noun in FUNCTION_LOSS_NOUNS:
            variant = f"{lost.group(1)} {noun}"
            if new(variant):
                yield variant, "function lost"
    # an eponym alone: "Parkinson's", "Alzheimer's"; a capitalised word without
    # the possessive ("Parkinson", "Reye") only as the possessive name an
    # eponym has ("Scrotum" is no eponym)
    eponym = None
    if POSSESSIVE.search(words[-1]):
        eponym = text
    elif len(words) == 1 and text[:1].isupper() and text[1:].islower():
        eponym = f"{text}'s"
    for noun in EPONYM_NOUNS if eponym else ():
        if new(f"{eponym} {noun}"):
            yield f"{eponym} {noun}", f"eponym '{noun}'"
    for form in _word_forms(words[-1]):
        variant = " ".join([*words[:-1], form])
        if new(variant):
            yield variant, "word form"
    for i, word in enumerate(words[:-1]):  # a modifier, never the condition itself
        lower = word.lower()
        other = ORGAN_WORD_SWAP.get(lower)
        if other:
            variant = " ".join([*words[:i], other, *words[i + 1 :]])
            if new(variant):
                yield variant, f"organ word '{other}'"


def _change_adjective(word: str) -> str | None:
    """The participle a vocabulary puts in front for a change noun ("rises":
    "increased"), or None."""
    key = word.lower()
    if key not in CHANGE_AS_ADJECTIVE and key.endswith("s"):
        key = key[:-1]
    return CHANGE_AS_ADJECTIVE.get(key)


def _direction_forms(text: str | None) -> Iterator[str]:
    """``text`` with its leading change word in the other words of its
    direction ("lowered blood pressure": "decreased", "reduced", "low blood
    pressure"); nothing when it opens with none."""
    words = (text or "").split()
    if len(words) < 2 or (first := words[0].lower()) not in _CHANGE_ADJECTIVES:
        return
    (direction,) = _direction(first)
    for adjective in _DIRECTION_ADJECTIVES[direction]:
        if adjective != first:
            yield " ".join([adjective, *words[1:]])


def _direction(text: str) -> set[str]:
    """"up", "down" (or both, or neither): what the text's change words say."""
    found = set()
    for word in _WORD.findall(text.lower()):
        if word in _UP or (word.startswith("hyper") and len(word) > 6):
            found.add("up")
        elif word in _DOWN or (word.startswith("hypo") and len(word) > 5):
            found.add("down")
    return found


def opposite_direction(text: str, name: str) -> bool:
    """Does ``name`` say the opposite change of ``text`` ("decreased heart
    rate" and "increased heart rate", "hypokalaemia" and "hyperkalemia")?
    Then it names another concept, whatever its spelling distance: the
    nearest-string and nearest-meaning steps never link across."""
    ours, theirs = _direction(text), _direction(name)
    return len(ours) == 1 and len(theirs) == 1 and ours != theirs


def complement_first(text: str) -> str | None:
    """ "X of / in / to / with [the] Y" written as "Y X", the order vocabularies
    name most conditions in ("prolongation of the QT interval" -> "QT interval
    prolongation", "damage to the muscle" -> "muscle damage"), a modifier of X
    kept in front ("chronic infection with hepatitis C virus" -> "chronic
    hepatitis C virus infection"); None for any other text."""
    found = COMPLEMENT.fullmatch(text.strip())
    if found is None or _words(found.group(1).lower()) & (_PREPOSITIONS | _NOT_A_HEAD):
        return None  # "disease due to adenovirus": the cause, not a complement
    *modifier, noun = found.group(1).split()
    return " ".join([*modifier, found.group(2), noun])  # "chronic hepatitis C infection"


def heads(text: str) -> Iterator[tuple[str, str]]:
    """Each of :func:`_heads` once."""
    seen: set[str] = set()
    for variant, how in _heads(text):
        if variant not in seen:
            seen.add(variant)
            yield variant, how


def _heads(text: str) -> Iterator[tuple[str, str]]:
    """``(variant, how)`` for broader concepts: a generic last word dropped, then
    leading modifiers dropped one at a time (each also in its other spellings),
    never down to a word too generic to name a condition alone.

    A text with a complement ("loss in body weight", "occlusion of the left
    carotid artery") is first read with the complement put first ("weight
    loss", "carotid artery occlusion") and as the words before the preposition,
    then as any other text (its last words: "duration of catatonia" is
    catatonia)."""
    if "/" in text:  # "urticaria/angioedema": the first concept named
        for part in text.split("/"):
            if len(part.strip()) >= _MIN_STEM:
                yield part.strip(), f"part '{part.strip()}'"
    words = _WORD.findall(text)
    if len(words) < 2:
        return
    cut = next((i for i, w in enumerate(words) if i and w.lower() in _PREPOSITIONS), None)
    # "a fall in blood pressure": a change of what follows, no fall
    change_of = cut == 1 and is_change_of(words[0], words[1])
    if cut is not None:
        inverted = complement_first(text)
        if inverted is not None and change_of:  # "blood pressure fall": never "fall"
            yield from _trimmed(_WORD.findall(inverted), len(words), CHANGE_NOUNS)
        elif inverted is not None:
            yield from _heads(inverted)
        before = words[:cut]
        while len(before) > 1 and before[-1].lower() in _NOT_A_HEAD:  # "pain secondary to"
            before = before[:-1]
        if not change_of:
            yield from _trimmed(before, len(words))
    yield from _trimmed(words, len(words), CHANGE_NOUNS if change_of else frozenset())


def _trimmed(
    words: list[str], n_words: int, not_heads: frozenset[str] = frozenset()
) -> Iterator[tuple[str, str]]:
    """:func:`_heads` of a text's ``words`` (all ``n_words`` of it, or those
    before a preposition); ``not_heads``: more words a head may not be reduced to."""
    while len(words) > 1 and words[-1].lower() in _GENERIC_TAIL:
        words = words[:-1]
    if len(words) > 1 and words[-1].lower() in _ORGAN_CONDITION:
        # "renal lesions", "thyroid illness": a disease of the organ named
        adjective = words[-2].lower()
        organ = _ORGAN_OF.get(adjective, adjective)
        for variant in dict.fromkeys(
            (f"{organ} disease", f"{organ} disorder", f"{adjective} disorder")
        ):
            yield variant, f"organ '{variant}'"
    for start in range(len(words)):
        rest = words[start:]
        if start == 0 and len(rest) == n_words:
            continue  # the text itself: not a head
        if rest[0].lower() in _JOINERS:
            continue  # "glomerular and tubular lesions": not "and tubular lesions"
        if len(rest) == 1 and (rest[0].lower() in _TOO_GENERIC or rest[0].lower() in not_heads):
            break
        if len(rest) == 1 and len(rest[0]) < _MIN_STEM:
            break
        head = " ".join(rest)
        for variant in (head, *(v for v, _ in spellings(head))):
            yield variant, f"head '{variant}'"


__all__ = [
    "CHANGE_NOUNS", "HYPHEN_QUALIFIERS", "heads", "is_change_of", "is_form_of",
    "opposite_direction", "spellings",
]
