"""Diagnosis over every disease the graph annotates with phenotypes, by the
information content of the phenotypes a patient shares with each disease.

What (Köhler et al. 2009, the Phenomizer): a phenotype's information content is
``IC(t) = -log(p(t))``, where ``p(t)`` is the share of annotated diseases that
show ``t`` or a more specific phenotype below it in the ``IS_A`` hierarchy. A
patient phenotype ``q`` matches a disease by its most informative common
ancestor with any of the disease's phenotypes, and the disease's score is the
mean of those best matches over the patient's phenotypes, a match through the
disease's own annotation of ``q`` counting in full and one through a common
ancestor at half weight::

    score(Q -> D) = mean over q in Q of w(q, D) * max over t in D of IC(MICA(q, t))
    w(q, D) = 1 if D is annotated with q itself, else 0.5

Why: counting exactly shared terms misses a patient's "seizure" against a
disease annotated with "generalized tonic-clonic seizure", and counts "pain"
as much as "arachnodactyly"; the hierarchy and the information content handle
both. Plain information content (w = 1 always) loses to exact counting when a
patient's list holds unrelated phenotypes: a disease sharing the noise terms'
broad ancestors scores nearly as much as one sharing the real phenotypes. The
half weight keeps exact agreement ahead and the hierarchy as the fallback.
``bench/eval_phenotypes.py`` compares the three on simulated patients
(docs/results.md).

Implementation: the union of each disease's phenotype ancestors is inverted
into posting lists (arrays of disease positions), so a query walks each patient
phenotype's ancestors from the most to the least informative and scores, in one
array operation per ancestor, every disease it has not scored yet; the top
``limit`` are selected without sorting every scored disease. About 2 ms over
the 9,000 annotated diseases (dictionaries per disease took 35 ms).
"""

from __future__ import annotations

import heapq
import math
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from medkg.fusion.evidence import EvidenceNode, EvidencePath, RankedItem, path_text
from medkg.kg.store.base import GraphStore

METHOD = (
    "graph-only: phenotype similarity (information content of shared phenotypes over the "
    "HPO IS_A hierarchy, Phenomizer); no trained model"
)
#: Weight of a match through a common ancestor rather than the phenotype itself.
INEXACT = 0.5
_NONE = np.zeros(0, dtype=np.int64)
#: How long an index of a store without a write counter (Neo4j) is reused.
TTL_S = 300.0


@dataclass
class PhenotypeIndex:
    """Disease annotations, the phenotype hierarchy and the information content."""

    names: dict[str, str]
    parents: dict[str, list[str]]
    annotations: dict[str, dict[str, float | None]]
    #: Symptom ids tied by SAME_AS to each disease (a linked disease -> its phenotypes).
    phenotypes_of: dict[str, list[str]] = field(default_factory=dict)
    #: (disease, phenotype) -> (source, sentences, document ids) of edges that are
    #: not HPO annotations (extracted from notes: their sentences are evidence).
    provenance: dict[tuple[str, str], tuple[str, list[str], list[str]]] = field(
        default_factory=dict
    )
    ic: dict[str, float] = field(default_factory=dict)
    postings: dict[str, list[str]] = field(default_factory=dict)
    _ancestors: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_store(cls, store: GraphStore) -> PhenotypeIndex:
        def rows(cypher: str) -> list[list]:
            return store.query(cypher, row_cap=100_000_000).rows

        annotations: dict[str, dict[str, float | None]] = defaultdict(dict)
        names: dict[str, str] = {}
        provenance = {}
        for d, dname, s, sname, freq, source in rows(
            "MATCH (d:Disease)-[r:PRESENTS]->(s:Symptom) RETURN d.id, d.name, s.id, s.name, "
            "r.frequency, r.source"
        ):
            annotations[d][s] = freq
            names[d], names[s] = dname or d, sname or s
            if source != "hpo":
                provenance[(d, s)] = (source, [], [])
        for d, s, source, sentences, docs in rows(
            "MATCH (d:Disease)-[r:PRESENTS]->(s:Symptom) WHERE r.source = 'extraction' "
            "RETURN d.id, s.id, r.source, r.sentences, r.document_ids"
        ):
            provenance[(d, s)] = (source, list(sentences or []), list(docs or []))
        parents: dict[str, list[str]] = defaultdict(list)
        for child, parent, pname in rows(
            "MATCH (c:Symptom)-[:IS_A]->(p:Symptom) RETURN c.id, p.id, p.name"
        ):
            parents[child].append(parent)
            names.setdefault(parent, pname or parent)
        tied: dict[str, list[str]] = defaultdict(list)
        for s, d in rows("MATCH (s:Symptom)-[:SAME_AS]->(d:Disease) RETURN s.id, d.id"):
            tied[d].append(s)
        index = cls(names, dict(parents), dict(annotations), dict(tied), provenance)
        index._build()
        return index

    def ancestors(self, term: str) -> frozenset[str]:
        """``term`` and every phenotype above it."""
        found = self._ancestors.get(term)
        if found is None:
            out, stack = {term}, [term]
            while stack:
                for p in self.parents.get(stack.pop(), ()):
                    if p not in out:
                        out.add(p)
                        stack.append(p)
            found = self._ancestors[term] = frozenset(out)
        return found

    def _build(self) -> None:
        postings: dict[str, list[str]] = defaultdict(list)
        exact: dict[str, list[int]] = defaultdict(list)
        self.diseases = list(self.annotations)
        position = {d: i for i, d in enumerate(self.diseases)}
        for disease, terms in self.annotations.items():
            for a in set().union(*(self.ancestors(t) for t in terms)):
                postings[a].append(disease)
            for t in terms:
                exact[t].append(position[disease])
        n = max(len(self.annotations), 1)
        self.ic = {a: -math.log(len(ds) / n) for a, ds in postings.items()}
        self.postings = dict(postings)
        self._post_idx = {
            a: np.fromiter((position[d] for d in ds), dtype=np.int64, count=len(ds))
            for a, ds in postings.items()
        }
        self._exact_idx = {t: np.asarray(ix, dtype=np.int64) for t, ix in exact.items()}

    def __len__(self) -> int:
        return len(self.annotations)

    def query_terms(self, symptoms: Iterable[str], diseases: Iterable[str] = ()) -> list[str]:
        """The phenotypes a patient's linked entities name: symptoms, and the
        phenotypes tied to a linked disease by SAME_AS ("hypotension" linked to
        the disease holds the phenotype hypotension)."""
        out = list(dict.fromkeys(symptoms))
        for d in diseases:
            out += [s for s in self.phenotypes_of.get(d, []) if s not in out]
        return [t for t in out if t in self.names or t in self.parents]

    def scores(self, terms: list[str], method: str = "served") -> dict[str, float]:
        """``{disease: score}`` for the patient's phenotypes: ``served`` the
        formula above, ``ic`` the same with every match at full weight,
        ``overlap`` the count of phenotypes annotated to the disease exactly
        (the baseline)."""
        total = self.score_array(terms, method)
        return {self.diseases[i]: float(total[i]) for i in np.flatnonzero(total)}

    def score_array(self, terms: list[str], method: str = "served") -> np.ndarray:
        """:meth:`scores` as an array over ``self.diseases`` (0 where nothing matches)."""
        total = np.zeros(len(self.diseases))
        if method == "overlap":
            for q in terms:
                total[self._exact_idx.get(q, _NONE)] += 1.0
            return total
        best = np.zeros(len(self.diseases))
        for q in terms:
            best[:] = 0.0
            # the term itself first among equally informative ancestors (a parent
            # whose only annotated descendant it is): its exact matches count in
            # full whatever order the set gives
            for a in sorted(self.ancestors(q), key=lambda x: (-self.ic.get(x, 0.0), x != q, x)):
                ic = self.ic.get(a)
                if not ic:
                    continue
                idx = self._post_idx[a]
                if a == q and method != "ic":
                    exact = self._exact_idx.get(q, _NONE)
                    best[exact[best[exact] == 0.0]] = ic
                unset = idx[best[idx] == 0.0]
                best[unset] = ic if method == "ic" else INEXACT * ic
            total += best / len(terms)
        return total

    def match(self, q: str, disease: str) -> tuple[str, str] | None:
        """``(the disease's phenotype, the common ancestor)`` behind ``q``'s best match."""
        anc_q = self.ancestors(q)
        best: tuple[float, str, str] | None = None
        for t in self.annotations.get(disease, {}):
            common = anc_q & self.ancestors(t)
            if common:
                # ties broken by id: the evidence is the same on every run
                mica = max(common, key=lambda a: (self.ic.get(a, 0.0), a))
                cand = (self.ic.get(mica, 0.0), t, mica)
                if best is None or cand[0] > best[0]:
                    best = cand
        return (best[1], best[2]) if best else None

    def rank(self, terms: list[str], limit: int = 10) -> list[RankedItem]:
        """Diseases ranked by :meth:`scores`, each with the PRESENTS path (and the
        IS_A link to the patient's phenotype) behind every matched phenotype."""
        total = self.score_array(terms)
        scored = np.flatnonzero(total)
        if len(scored) > limit:  # the top ``limit`` scores and every disease tied with the last
            kth = np.partition(total[scored], len(scored) - limit)[len(scored) - limit]
            scored = scored[total[scored] >= kth]
        top = heapq.nsmallest(
            limit, ((self.diseases[i], float(total[i])) for i in scored),
            key=lambda kv: (-kv[1], self.names.get(kv[0], kv[0])),
        )  # fmt: skip
        items = []
        for disease, score in top:
            paths, explained = [], []
            for q in terms:
                found = self.match(q, disease)
                if found is None:
                    continue
                t, mica = found
                explained.append(q)
                paths.append(self._path(disease, q, t, mica))
            flags = {"explained": explained, "annotated": len(self.annotations[disease])}
            items.append(RankedItem(
                id=disease, name=self.names.get(disease), label="Disease",
                score=round(score, 4), evidence=sorted(paths, key=lambda p: -p.weight),
                flags=flags,
            ))  # fmt: skip
        return items

    def _path(self, disease: str, q: str, t: str, mica: str) -> EvidencePath:
        freq = self.annotations[disease].get(t)
        nodes = [EvidenceNode(id=disease, name=self.names.get(disease), label="Disease"),
                 EvidenceNode(id=t, name=self.names.get(t), label="Symptom")]  # fmt: skip
        rels, forward = ["PRESENTS"], [True]
        if mica != t:
            nodes.append(EvidenceNode(id=mica, name=self.names.get(mica), label="Symptom"))
            rels.append("IS_A*")
            forward.append(True)
        if q != mica:
            nodes.append(EvidenceNode(id=q, name=self.names.get(q), label="Symptom"))
            rels.append("IS_A*")
            forward.append(False)
        text = path_text(nodes, rels, forward)
        if freq is not None:
            text += f" (frequency {freq:.2f})"
        source, sentences, docs = self.provenance.get((disease, t), ("hpo", [], []))
        return EvidencePath(
            nodes=nodes, relationships=rels, text=text, weight=round(self.ic.get(mica, 0.0), 4),
            source=source, sentences=sentences, document_ids=docs,
        )  # fmt: skip


class PhenotypeIndexCache:
    """One index per store, rebuilt after the store is written to (its
    ``generation`` changes) or, for stores without one, after ``TTL_S``."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._index: PhenotypeIndex | None = None

    def get(self, store: GraphStore) -> PhenotypeIndex:
        generation = getattr(store, "generation", None)
        key = (id(store), generation if generation is not None else int(time.time() // TTL_S))
        if self._index is None or self._key != key:
            self._index, self._key = PhenotypeIndex.from_store(store), key
        return self._index
