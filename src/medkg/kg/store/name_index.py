"""An in-memory index of node ids, labels, names and synonyms for the embedded store.

Why: the embedded engine has no full-text index, so a name search scanned
every node and a lookup by id alone scanned every table, milliseconds each
(docs/results.md); the explorer and the API call both on every click. The whole graph's names fit in
a few MB, so they are indexed in memory, rebuilt lazily after a write.

Search ranks like the Cypher version it replaces - exact name, then prefix,
then word prefix, then substring, shorter names first - and adds a fuzzy
fallback (character trigram Dice similarity) for typos such as "diabtes".
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

FUZZY_MIN_DICE = 0.45


@dataclass(frozen=True)
class _Entry:
    key: str  # lower-cased name or synonym
    id: str
    label: str
    name: str


def _trigrams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


class NameIndex:
    """Names and synonyms of every node; ``demoted`` ids (nodes tied by ``SAME_AS``
    to the node that holds their concept) rank after every other match of the
    same kind, so the connected node is the first a user sees."""

    def __init__(
        self,
        rows: Iterable[tuple[str, str, str | None, list[str] | None]],
        demoted: Iterable[str] = (),
    ) -> None:
        self.demoted = frozenset(demoted)
        self.labels: dict[str, str] = {}
        entries: list[_Entry] = []
        for node_id, label, name, synonyms in rows:
            self.labels[node_id] = label
            for text in [name, *(synonyms or [])]:
                if text:
                    entries.append(_Entry(text.lower(), node_id, label, name or node_id))
        entries.sort(key=lambda e: e.key)
        self._entries = entries
        self._keys = [e.key for e in entries]
        # every word start after the first ("2 diabetes mellitus", "mellitus" of "type 2
        # diabetes mellitus"), so word-prefix matches are a bisect, not a scan
        tails = sorted(
            (e.key[i + 1 :], n)
            for n, e in enumerate(entries)
            for i, ch in enumerate(e.key)
            if ch == " "
        )
        self._tails = [t for t, _ in tails]
        self._tail_entry = [n for _, n in tails]
        self._grams: dict[str, list[int]] | None = None  # built on the first fuzzy search
        # one newline-joined haystack: substring search runs in C (str.find), not a loop
        self._haystack = "\n".join(self._keys)
        self._starts: list[int] = []
        pos = 0
        for key in self._keys:
            self._starts.append(pos)
            pos += len(key) + 1

    def __len__(self) -> int:
        return len(self.labels)

    def search(self, text: str, label: str | None = None, limit: int = 20) -> list[_Entry]:
        q = " ".join(text.lower().split())
        if not q:
            return []
        best: dict[str, tuple[float, bool, int, str, _Entry]] = {}

        def offer(rank: int, e: _Entry) -> None:
            if label and e.label != label:
                return
            cand = (rank, e.id in self.demoted, len(e.name), e.id, e)
            if e.id not in best or cand[:4] < best[e.id][:4]:
                best[e.id] = cand

        lo = bisect.bisect_left(self._keys, q)
        hi = bisect.bisect_left(self._keys, q + "\uffff")
        for e in self._entries[lo:hi]:
            offer(0 if e.key == q else 1, e)
        lo = bisect.bisect_left(self._tails, q)
        hi = bisect.bisect_left(self._tails, q + "\uffff")
        for n in self._tail_entry[lo:hi]:
            offer(2, self._entries[n])
        if len(best) < limit and "\n" not in q:  # substrings rank below every prefix
            at = self._haystack.find(q)
            while at != -1:
                n = bisect.bisect_right(self._starts, at) - 1
                e = self._entries[n]
                if not e.key.startswith(q):
                    offer(2 if f" {q}" in e.key else 3, e)
                at = self._haystack.find(q, self._starts[n] + len(e.key) + 1)
        if not best:
            for score, e in self._fuzzy(q):
                offer(4 + round(1 - score, 3), e)  # type: ignore[arg-type]
        ranked = sorted(best.values(), key=lambda c: c[:4])
        return [c[4] for c in ranked[:limit]]

    def prepare_fuzzy(self) -> dict[str, list[int]]:
        """The trigram postings, built on first use; a server calls this at start (a second
        or so on Hetionet) so that no user's first typo pays for it."""
        if self._grams is None:
            grams: dict[str, list[int]] = defaultdict(list)
            for i, key in enumerate(self._keys):
                for g in _trigrams(key):
                    grams[g].append(i)
            self._grams = dict(grams)
        return self._grams

    def _fuzzy(self, q: str) -> list[tuple[float, _Entry]]:
        postings = self.prepare_fuzzy()
        qg = _trigrams(q)
        common: dict[int, int] = defaultdict(int)
        for g in qg:
            for i in postings.get(g, ()):
                common[i] += 1
        out = []
        for i, n in common.items():
            dice = 2 * n / (len(qg) + len(_trigrams(self._keys[i])))
            if dice >= FUZZY_MIN_DICE:
                out.append((dice, self._entries[i]))
        out.sort(key=lambda x: -x[0])
        return out[:200]
