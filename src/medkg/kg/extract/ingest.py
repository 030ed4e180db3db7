"""Write extracted documents into the graph, idempotently and with provenance.

Per document: a ``Document`` node (id, sha256, extractor version, time; the text
only when configured) and one ``MENTIONS`` relationship per linked node that the
note asserts as a positive fact, carrying the masked sentences, the character
spans, the confidence and the extractor. Negated, hypothetical and family
mentions are counted but never written as facts.

Re-ingesting an unchanged document (same sha256 and extractor version) writes
nothing; a corrected version replaces that document's relationships in one
transaction and touches nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from medkg.kg.extract.model import ExtractedDocument
from medkg.kg.extract.pipeline import EXTRACTOR_NAME, EXTRACTOR_VERSION
from medkg.kg.store.base import GraphStore

SOURCE = "extraction"


@dataclass
class IngestResult:
    created: int = 0
    replaced: int = 0
    unchanged: int = 0
    facts: int = 0
    excluded_mentions: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def _stored_version(store: GraphStore, doc_id: str) -> tuple[str, str] | None:
    rows = store.query(
        "MATCH (d:Document {id: $id}) RETURN d.sha256, d.extractor_version", {"id": doc_id}
    ).rows
    return (rows[0][0], rows[0][1]) if rows else None


def write_document(store: GraphStore, doc: ExtractedDocument) -> int:
    """Replace one document's facts; returns how many MENTIONS were written."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    store.import_nodes("Document", [{"id": doc.doc_id, "source": SOURCE}])
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for m in doc.mentions:
        if m.is_positive_fact:
            groups[(m.node_label, m.node_id)].append(m)
    by_label: dict[str, list[dict]] = defaultdict(list)
    for (label, node_id), mentions in groups.items():
        sentence_ids = sorted({m.sentence_index for m in mentions})
        by_label[label].append({
            "eid": node_id,
            "conf": max(m.confidence for m in mentions),
            "sentences": [doc.sentences[i] for i in sentence_ids],
            "mentions": [
                json.dumps({
                    "text": m.text, "start": m.start, "end": m.end,
                    "sentence": m.sentence_index, "confidence": m.confidence,
                    "historical": m.historical, "abbreviation_of": m.via_abbreviation,
                }, sort_keys=True)
                for m in mentions
            ],
        })  # fmt: skip
    statements: list[tuple[str, dict]] = [
        ("MATCH (d:Document {id: $doc})-[r:MENTIONS]->() DELETE r", {"doc": doc.doc_id})
    ]
    for label, rows in by_label.items():
        statements.append((
            f"UNWIND $rows AS r MATCH (d:Document {{id: $doc}}), (e:{label} {{id: r.eid}}) "
            "CREATE (d)-[:MENTIONS {source: $source, confidence: r.conf, sentences: r.sentences, "
            "mentions: r.mentions, document_ids: [$doc], extractor: $extractor, "
            "extractor_version: $version, updated_at: $now}]->(e)",
            {"rows": rows, "doc": doc.doc_id, "source": SOURCE, "extractor": EXTRACTOR_NAME,
             "version": EXTRACTOR_VERSION, "now": now},
        ))  # fmt: skip
    store.write_transaction(statements)
    # Stamp the version last: if the transaction above failed, a re-run retries it.
    props = {
        "id": doc.doc_id, "sha256": doc.sha256, "extractor_version": EXTRACTOR_VERSION,
        "ingested_at": now, "n_sentences": len(doc.sentences), "source": SOURCE,
    }  # fmt: skip
    if doc.text is not None:
        props["text"] = doc.text
    store.import_nodes("Document", [props])
    return sum(len(rows) for rows in by_label.values())


def ingest_documents(
    store: GraphStore,
    docs: Iterable[ExtractedDocument],
    on_document: Callable[[ExtractedDocument], None] | None = None,
) -> IngestResult:
    """Write documents as they arrive, so extraction and writing interleave."""
    result = IngestResult()
    for doc in docs:
        result.excluded_mentions += sum(not m.is_positive_fact for m in doc.mentions)
        previous = _stored_version(store, doc.doc_id)
        if previous == (doc.sha256, EXTRACTOR_VERSION):
            result.unchanged += 1
        else:
            result.facts += write_document(store, doc)
            if previous is None:
                result.created += 1
            else:
                result.replaced += 1
        if on_document:
            on_document(doc)
    return result
