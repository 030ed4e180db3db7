"""Write extracted documents into the graph, idempotently and with provenance.

Per document: a ``Document`` node (id, sha256, extractor version, time; the text
only when configured); one ``MENTIONS`` relationship per linked node that the
note asserts as a positive fact, carrying the masked sentences, the character
spans, the confidence and the extractor; and one relationship per extracted
relation (``TREATS``, ``CAUSES``, ``PRESENTS``, ``ASSOCIATES``) between the two
entity nodes, with ``source = 'extraction'``, this document in
``document_ids``, the masked sentences and JSON ``evidence`` (spans, method,
confidence). Imported facts (Hetionet) are separate relationships and are never
touched. Negated, hypothetical, family and measured ("creatinine 1.1")
mentions are counted but never written as facts. A drug the note names as the
patient's allergy ("ALLERGIES: Cipro"; :mod:`.allergies`) is no fact either:
it is written as ``Document-REPORTS_ALLERGY->Drug``, with the same provenance
as a ``MENTIONS`` relationship. A drug the note says the patient no longer
takes ("taken off Plavix"; :mod:`.medication_status`) is a fact whose
``MENTIONS`` carries ``discontinued = true``. Mentions that link to
nothing become nodes only with ``create_unlinked``; such nodes carry
``extracted = true``.

Re-ingesting an unchanged document (same sha256 and extractor version) writes
nothing; a corrected version replaces that document's relationships in one
transaction and touches nothing else. :func:`pending_notes` finds the unchanged
ones before extraction, so an interrupted bulk ingest resumes where it stopped
instead of extracting everything again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from medkg.kg.schema import REL_TYPES
from medkg.kg.store.base import GraphStore
from medkg.nlp.documents import EXTRACTOR_NAME, ExtractedDocument, Mention, NoteInput

SOURCE = "extraction"
#: Relationship types the extractor writes between entities.
EXTRACTED_REL_TYPES = ("TREATS", "CAUSES", "PRESENTS", "ASSOCIATES")


@dataclass(frozen=True)
class FailedNote:
    """A note whose extraction raised; nothing of it was written."""

    doc_id: str
    error: str


@dataclass
class IngestResult:
    created: int = 0
    replaced: int = 0
    unchanged: int = 0
    facts: int = 0
    relations: int = 0
    new_nodes: int = 0
    excluded_mentions: int = 0
    #: Drugs written as the patients' reported allergies (``REPORTS_ALLERGY``).
    allergies: int = 0
    #: Drug facts the note says the patient no longer takes (``MENTIONS`` with
    #: ``discontinued``; counted in :attr:`facts` too).
    discontinued: int = 0
    #: Notes a bulk engine's worker failed on (nothing of them written).
    failures: list[FailedNote] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        """The counts (``failed``: how many notes failed; :attr:`failures` says which)."""
        out = {k: v for k, v in vars(self).items() if isinstance(v, int)}
        out["failed"] = len(self.failures)
        return out


def pending_notes(
    store: GraphStore, notes: Sequence[NoteInput], version: str, chunk: int = 1000
) -> tuple[list[NoteInput], int]:
    """The notes not yet stored with the same text (sha256) and extractor version,
    in input order, and how many were left out because they are."""
    done: set[tuple[str, str, str]] = set()
    for start in range(0, len(notes), chunk):
        ids = [n.doc_id for n in notes[start : start + chunk]]
        rows = store.query(
            "MATCH (d:Document) WHERE d.id IN $ids RETURN d.id, d.sha256, d.extractor_version",
            {"ids": ids},
        ).rows
        done.update((str(r[0]), str(r[1]), str(r[2])) for r in rows)
    todo = [n for n in notes if (n.doc_id, n.sha256, version) not in done]
    return todo, len(notes) - len(todo)


def _stored_version(store: GraphStore, doc_id: str) -> tuple[str, str] | None:
    rows = store.query(
        "MATCH (d:Document {id: $id}) RETURN d.sha256, d.extractor_version", {"id": doc_id}
    ).rows
    return (rows[0][0], rows[0][1]) if rows else None


#: Node-relationships a document holds that a re-ingest replaces: its facts and
#: its patient's reported allergies (Document -> entity).
DOCUMENT_REL_TYPES = ("MENTIONS", "REPORTS_ALLERGY")


@dataclass(frozen=True)
class Written:
    """What :func:`write_document` wrote for one document."""

    facts: int
    relations: int
    new_nodes: int
    allergies: int
    discontinued: int


def write_document(store: GraphStore, doc: ExtractedDocument) -> Written:
    """Replace one document's facts; returns the counts written."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    version = doc.extractor_version
    store.import_nodes("Document", [{"id": doc.doc_id, "source": SOURCE}])
    new_nodes = _create_unlinked_nodes(store, doc)
    by_label = _mention_rows(doc, [m for m in doc.mentions if m.is_positive_fact])
    allergies = _mention_rows(
        doc,
        [m for m in doc.mentions if m.is_reported_allergy and m.node_label == "Drug"
         and not m.new_node],
    )  # fmt: skip
    common = {"doc": doc.doc_id, "source": SOURCE, "extractor": EXTRACTOR_NAME,
              "version": version, "now": now}  # fmt: skip
    statements: list[tuple[str, dict]] = [
        (f"MATCH (d:Document {{id: $doc}})-[r:{rel}]->() DELETE r", {"doc": doc.doc_id})
        for rel in DOCUMENT_REL_TYPES
    ]
    statements += [
        (f"MATCH ()-[r:{rel}]->() WHERE r.source = $source AND $doc IN r.document_ids DELETE r",
         {"doc": doc.doc_id, "source": SOURCE})
        for rel in EXTRACTED_REL_TYPES
    ]  # fmt: skip
    # a fact says whether the note has the drug stopped (medication_status.py)
    status = {"MENTIONS": "discontinued: r.discontinued, ", "REPORTS_ALLERGY": ""}
    for rel, rows_by_label in (("MENTIONS", by_label), ("REPORTS_ALLERGY", allergies)):
        for label, rows in rows_by_label.items():
            statements.append((
                f"UNWIND $rows AS r MATCH (d:Document {{id: $doc}}), (e:{label} {{id: r.eid}}) "
                f"CREATE (d)-[:{rel} {{source: $source, confidence: r.conf, {status[rel]}"
                "sentences: r.sentences, mentions: r.mentions, document_ids: [$doc], "
                "extractor: $extractor, extractor_version: $version, updated_at: $now}]->(e)",
                {"rows": rows, **common},
            ))  # fmt: skip
    relation_rows = _relation_rows(doc)
    for (rel, head_label, tail_label), rows in relation_rows.items():
        statements.append((
            f"UNWIND $rows AS r MATCH (h:{head_label} {{id: r.head}}), (t:{tail_label} "
            f"{{id: r.tail}}) CREATE (h)-[:{rel} {{source: $source, confidence: r.conf, "
            "sentences: r.sentences, evidence: r.evidence, document_ids: [$doc], "
            "extractor: $extractor, extractor_version: $version, updated_at: $now}]->(t)",
            {"rows": rows, **common},
        ))  # fmt: skip
    store.write_transaction(statements)
    # Stamp the version last: if the transaction above failed, a re-run retries it.
    props = {
        "id": doc.doc_id, "sha256": doc.sha256, "extractor_version": version,
        "ingested_at": now, "n_sentences": len(doc.sentences), "source": SOURCE,
    }  # fmt: skip
    if doc.text is not None:
        props["text"] = doc.text
    store.import_nodes("Document", [props])
    return Written(
        facts=sum(len(rows) for rows in by_label.values()),
        relations=sum(len(rows) for rows in relation_rows.values()),
        new_nodes=new_nodes,
        allergies=sum(len(rows) for rows in allergies.values()),
        discontinued=sum(r["discontinued"] for r in by_label.get("Drug", [])),
    )


def _mention_rows(doc: ExtractedDocument, mentions: list[Mention]) -> dict[str, list[dict]]:
    """One row per linked node of ``mentions``, grouped by the node's label: the
    masked sentences, each mention's span and link rule, the best confidence, and
    whether every mention has the drug stopped (``discontinued``: the note says
    the patient no longer takes it; one current mention makes it current)."""
    groups: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for m in mentions:
        groups[(m.node_label, m.node_id)].append(m)
    by_label: dict[str, list[dict]] = defaultdict(list)
    for (label, node_id), group in groups.items():
        sentence_ids = sorted({m.sentence_index for m in group})
        by_label[label].append({
            "eid": node_id,
            "conf": max(m.confidence for m in group),
            "discontinued": all(m.discontinued for m in group),
            "sentences": [doc.sentences[i] for i in sentence_ids],
            "mentions": [
                json.dumps({
                    "text": m.text, "start": m.start, "end": m.end,
                    "sentence": m.sentence_index, "confidence": m.confidence,
                    "historical": m.historical, "discontinued": m.discontinued,
                    "abbreviation_of": m.via_abbreviation,
                    "link": m.link_rule, "section": m.section,
                }, sort_keys=True)
                for m in group
            ],
        })  # fmt: skip
    return by_label


def _relation_rows(doc: ExtractedDocument) -> dict[tuple[str, str, str], list[dict]]:
    """Group relation evidence by (type, head node, tail node); schema-checked pairs only."""
    grouped: dict[tuple[str, str, str, str, str], list] = defaultdict(list)
    for rel in doc.relations:
        head, tail = doc.mentions[rel.head], doc.mentions[rel.tail]
        tail_label, tail_id = rel.tail_node(doc.mentions)
        if (head.node_label, tail_label) not in REL_TYPES[rel.rel_type].pairs:
            continue
        grouped[(rel.rel_type, head.node_label, tail_label, head.node_id,
                 tail_id)].append((rel, head, tail))  # fmt: skip
    out: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for (rel_type, hl, tl, hid, tid), items in grouped.items():
        # a relation across sentences (the document CID model) cites both
        sentence_ids = sorted(
            {i for r, h, t in items for i in (r.sentence_index, h.sentence_index, t.sentence_index)}
        )
        out[(rel_type, hl, tl)].append({
            "head": hid, "tail": tid,
            "conf": max(r.confidence for r, _, _ in items),
            "sentences": [doc.sentences[i] for i in sentence_ids],
            "evidence": [
                json.dumps({
                    "sentence": r.sentence_index, "method": r.method, "confidence": r.confidence,
                    "head": {"text": h.text, "start": h.start, "end": h.end,
                             "sentence": h.sentence_index},
                    "tail": {"text": t.text, "start": t.start, "end": t.end,
                             "sentence": t.sentence_index,
                             **({"linked_to": t.node_id, "via": "SAME_AS"} if r.tail_as else {})},
                }, sort_keys=True)
                for r, h, t in items
            ],
        })  # fmt: skip
    return out


def _create_unlinked_nodes(store: GraphStore, doc: ExtractedDocument) -> int:
    """Nodes for unlinked positive mentions; import is idempotent, so re-runs add none."""
    by_label: dict[str, dict[str, dict]] = defaultdict(dict)
    for m in doc.mentions:
        if m.new_node and m.is_positive_fact:
            by_label[m.node_label].setdefault(m.node_id, {
                "id": m.node_id, "name": m.text, "source": SOURCE, "extracted": True,
            })  # fmt: skip
    created = 0
    for label, rows in by_label.items():
        created += store.import_nodes(label, list(rows.values())).created
    return created


def ingest_documents(
    store: GraphStore,
    docs: Iterable[ExtractedDocument | FailedNote],
    on_document: Callable[[ExtractedDocument | FailedNote], None] | None = None,
    result: IngestResult | None = None,
) -> IngestResult:
    """Write documents as they arrive, so extraction and writing interleave; a
    :class:`FailedNote` (a bulk engine's worker failed on it) is recorded, and
    the documents before and after it are written all the same."""
    result = result or IngestResult()
    for doc in docs:
        if isinstance(doc, FailedNote):
            result.failures.append(doc)
            if on_document:
                on_document(doc)
            continue
        result.excluded_mentions += sum(not m.is_positive_fact for m in doc.mentions)
        previous = _stored_version(store, doc.doc_id)
        if previous == (doc.sha256, doc.extractor_version):
            result.unchanged += 1
        else:
            written = write_document(store, doc)
            result.facts += written.facts
            result.allergies += written.allergies
            result.discontinued += written.discontinued
            result.relations += written.relations
            result.new_nodes += written.new_nodes
            if previous is None:
                result.created += 1
            else:
                result.replaced += 1
        if on_document:
            on_document(doc)
    return result
