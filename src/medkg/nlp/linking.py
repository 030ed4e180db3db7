"""Linking a recognised mention to a graph node, and saying how it was linked.

The order, most certain first: an abbreviation defined in the same text links
through its long form; a rule match carries its node id; then the mention's
exact name or synonym in the :class:`~medkg.nlp.lexicon.Lexicon`; last a
character 3-gram TF-IDF cosine over all names (:class:`FuzzyLinker`), scaled
down by its similarity. The confidence of each rule is written with the fact,
so a user can filter on how a link was made.
"""

from __future__ import annotations

from typing import Any

from medkg.nlp.lexicon import Entry, Lexicon, normalise

CONF_EXACT = 0.95
CONF_DEFINED_ABBREVIATION = 0.9
CONF_CURATED_ABBREVIATION = 0.8
CONF_MODEL = 0.85

#: ``(node, confidence, the long form an abbreviation was linked through)``.
Link = tuple[Entry, float, str | None]


class FuzzyLinker:
    """Character 3-gram TF-IDF over node names; links a mention above a cosine threshold."""

    def __init__(self, lexicon: Lexicon, threshold: float = 0.8) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.threshold = threshold
        self._keys = sorted(lexicon.names)
        self._entries = [lexicon.names[k] for k in self._keys]
        self._vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), min_df=1)
        self._matrix = self._vec.fit_transform(self._keys) if self._keys else None

    def link(self, text: str) -> tuple[Entry, float] | None:
        if self._matrix is None:
            return None
        sims = (self._matrix @ self._vec.transform([normalise(text)]).T).toarray().ravel()
        best = int(sims.argmax())
        score = float(sims[best])
        return (self._entries[best], score) if score >= self.threshold else None


class Linker:
    """Links spaCy entity spans to lexicon entries (:meth:`link`)."""

    def __init__(self, lexicon: Lexicon, threshold: float = 0.8) -> None:
        self.lexicon = lexicon
        self.fuzzy = FuzzyLinker(lexicon, threshold)

    def link(self, ent: Any, abbreviations: dict[tuple[int, int], Any]) -> Link | None:
        """``ent``: a spaCy span whose ``ent_id_`` a rule may have set to
        ``label|node id[|abbr]``; ``abbreviations``: ``(start, end) -> long form``
        spans found by scispaCy's AbbreviationDetector in the same doc."""
        long_form = abbreviations.get((ent.start, ent.end))
        if long_form is not None:  # defined in this text: link the long form
            entry = self.lexicon.lookup(long_form.text)
            if entry is not None:
                return entry, CONF_DEFINED_ABBREVIATION, long_form.text
        if ent.ent_id_:
            label, node_id, *flag = ent.ent_id_.split("|")
            entry = Entry(label, node_id, ent.text)
            if flag:
                return entry, CONF_CURATED_ABBREVIATION, ent.text
            return entry, CONF_EXACT, None
        entry = self.lexicon.lookup(ent.text)
        if entry is not None:
            return entry, CONF_MODEL, None
        fuzzy = self.fuzzy.link(ent.text)
        if fuzzy is not None:
            return fuzzy[0], round(CONF_MODEL * fuzzy[1], 3), None
        return None
