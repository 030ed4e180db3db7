"""MeSH ids a later MeSH retired, read as the current ids of the concept they named.

Why: an annotated corpus is coded with the MeSH of its year. BC5CDR (MeSH
2015) codes quetiapine as the supplementary concept C069541; MeSH has since
made it a descriptor (D000069348, Quetiapine Fumarate) and C069541 is in no
current table, so no node of the graph carries it. A linker that sends
"quetiapine" to the Quetiapine drug is right, yet a scorer that compares ids
calls it wrong (on BC5CDR devel: 169 chemical mentions, and 50 of the 1,012
chemical-induced-disease pairs, whose right predictions counted twice against
the extractor, as a miss and as a false pair), and ``medkg train linker`` learns
nothing from those mentions ("QTP", "LTG", "CLZ" for their drugs).

NLM publishes which concept replaced which, but no package this project
installs ships that table; what a corpus does give is the names its annotators
coded each id with. So an id that the current MeSH tables (the vocabulary
import's source files) do not list reads as the MeSH ids of the nodes one of
its annotated texts names exactly: a node's own name or synonym, of a label the
mention's type allows ("quetiapine" names the Quetiapine drug, which carries
D000069348). Never mapped: an id current MeSH still lists (a concept the graph
does not hold stays uncovered: that is a gap of the graph, not of MeSH
versions), an id no annotated text names, and an id without the current tables
to tell (the vocabulary packages not installed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache

from medkg.kg.importers.batch import ImportFormatError
from medkg.kg.importers.vocabularies.sources import FILES
from medkg.nlp.corpora.pubtator import PtDocument
from medkg.nlp.lexicon import Entry, Lexicon, normalise

#: The MeSH tables whose ids are current: descriptors and supplementary concepts.
CURRENT_TABLES = ("mesh", "mesh_supp")


@lru_cache(maxsize=1)
def current_mesh_ids() -> frozenset[str] | None:
    """Every id the installed MeSH tables list; None without the vocabulary
    packages (then nothing can be called retired)."""
    ids: set[str] = set()
    try:
        paths = [FILES[key].locate() for key in CURRENT_TABLES]
    except ImportFormatError:
        return None
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            ids.update(line.split("\t", 1)[0] for line in fh)
    return frozenset(ids)


def retired_mesh_ids(
    docs: Iterable[PtDocument],
    lexicon: Lexicon,
    mesh_of: Mapping[str, Collection[str]],
    labels: Mapping[str, Collection[str]],
    current: Collection[str] | None = None,
) -> dict[str, frozenset[str]]:
    """Retired MeSH id -> the current MeSH ids of the nodes its annotated texts name.

    ``mesh_of``: node id -> the MeSH ids it carries; ``labels``: annotated type
    ("Chemical") -> the graph labels its concept may have; ``current``: the ids
    current MeSH lists (default :func:`current_mesh_ids`). An id that some node
    carries is never retired here, whatever the tables say."""
    current = current_mesh_ids() if current is None else current
    if current is None:
        return {}
    carried = {i for ids in mesh_of.values() for i in ids}
    texts: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for doc in docs:
        for m in doc.mentions:
            if len(m.ids) == 1 and m.ids[0] not in current and m.ids[0] not in carried:
                texts[m.ids[0]].add((m.type, normalise(m.text)))
    out: dict[str, frozenset[str]] = {}
    for retired, named in texts.items():
        found = {
            mesh
            for kind, key in named
            for entry in _graph_names(lexicon, key)
            if entry.label in labels.get(kind, ())
            for mesh in mesh_of.get(entry.node_id, ())
            if mesh in current
        }
        if found:
            out[retired] = frozenset(found)
    return out


def _graph_names(lexicon: Lexicon, key: str) -> list[Entry]:
    """The nodes the graph itself gives a name: a lexicon that learned names from
    a corpus (:meth:`Lexicon.learn`) keeps what they replaced in ``unlearned``."""
    held = lexicon.unlearned.get(key, lexicon.names.get(key, ()))
    return [e for e in held if not e.learned]


def with_retired(
    mesh_of: Mapping[str, Collection[str]], retired: Mapping[str, Collection[str]]
) -> dict[str, set[str]]:
    """``mesh_of`` with each node also carrying the retired ids that read as one
    of its current ids: what a scorer compares gold ids of an older MeSH with."""
    old_of: dict[str, set[str]] = defaultdict(set)
    for old, ids in retired.items():
        for mesh in ids:
            old_of[mesh].add(old)
    return {
        node: set(ids).union(*(old_of.get(i, ()) for i in ids)) for node, ids in mesh_of.items()
    }
