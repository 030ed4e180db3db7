"""The one write path of every bulk import: a validated batch, then the store.

Why one path: Hetionet and each vocabulary adapter read their files into a
:class:`GraphBatch`; :func:`import_batch` checks the whole batch (every edge
endpoint exists in the batch or the store) before the first write and then
writes label by label and type by type through the store's idempotent
``import_nodes``/``import_edges``. So every source gets the same guarantees: a
malformed file or a dangling edge leaves the store as it was, a re-run adds
nothing, an interrupted run completes when started again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from medkg.kg.store.base import GraphStore, ImportCount


class ImportFormatError(ValueError):
    """A file that is missing or does not have the expected layout (with file:line)."""


@dataclass
class GraphBatch:
    """Validated nodes and edges grouped the way the stores write them.

    ``source`` is written on every row (``hetionet-v1.0``, ``doid``...).
    """

    source: str
    nodes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    edges: dict[tuple[str, str, str], dict[tuple[str, str], dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    @property
    def n_nodes(self) -> int:
        return sum(len(v) for v in self.nodes.values())

    @property
    def n_edges(self) -> int:
        return sum(len(v) for v in self.edges.values())

    def add_node(
        self,
        label: str,
        node_id: str,
        name: str | None,
        *,
        source: str | bool = True,
        **extra: Any,
    ) -> None:
        """A node row; empty values are left out, so they never overwrite stored ones.

        ``source``: ``True`` writes the batch's source, a string that source,
        ``False`` none (a node the store holds keeps its own).
        """
        row: dict[str, Any] = {"id": node_id}
        if source:
            row["source"] = self.source if source is True else source
        if name:
            row["name"] = name
        row.update({k: v for k, v in extra.items() if v not in (None, "", [], ())})
        self.nodes[label][node_id] = row

    def add_edge(
        self,
        rel: str,
        start_label: str,
        end_label: str,
        start: str,
        end: str,
        *,
        source: str | None = None,
        **props: Any,
    ) -> None:
        """An edge row (``source``: the batch's when not given); empty values left out."""
        self.edges[(rel, start_label, end_label)][(start, end)] = {
            "start": start,
            "end": end,
            "source": source or self.source,
            **{k: v for k, v in props.items() if v not in (None, "", [], ())},
        }


@dataclass
class ImportSummary:
    nodes: dict[str, ImportCount] = field(default_factory=dict)
    edges: dict[str, ImportCount] = field(default_factory=dict)

    def totals(self) -> tuple[ImportCount, ImportCount]:
        n, e = ImportCount(), ImportCount()
        for c in self.nodes.values():
            n += c
        for c in self.edges.values():
            e += c
        return n, e


ProgressFn = Callable[[str, int, int], None]


def check_endpoints(store: GraphStore, batch: GraphBatch) -> None:
    """Refuse the whole import when an edge points at a node nobody provides."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for (_, sl, el), pairs in batch.edges.items():
        for s, e in pairs:
            wanted[sl].add(s)
            wanted[el].add(e)
    for label, ids in wanted.items():
        missing = ids - set(batch.nodes.get(label, {}))
        if missing:
            missing -= store.existing_ids(label, missing)
        if missing:
            sample = ", ".join(sorted(missing)[:5])
            raise ImportFormatError(
                f"{len(missing)} edge endpoint(s) have no {label} node in the input "
                f"or the store (e.g. {sample})"
            )


def import_batch(
    store: GraphStore, batch: GraphBatch, progress: ProgressFn | None = None
) -> ImportSummary:
    """Write a validated batch: nodes first, then edges, one label/type group at a time."""
    check_endpoints(store, batch)
    summary = ImportSummary()
    total = batch.n_nodes + batch.n_edges
    done = 0
    for label, rows in sorted(batch.nodes.items()):
        summary.nodes[label] = store.import_nodes(label, list(rows.values()))
        done += len(rows)
        if progress:
            progress(f"nodes {label}", done, total)
    for (rel, sl, el), pairs in sorted(batch.edges.items()):
        count = store.import_edges(rel, sl, el, list(pairs.values()))
        key = rel
        if key in summary.edges:
            summary.edges[key] += count
        else:
            summary.edges[key] = count
        done += len(pairs)
        if progress:
            progress(f"edges {sl}-{rel}->{el}", done, total)
    return summary


def iter_summary_rows(summary: ImportSummary) -> Iterator[tuple[str, str, ImportCount]]:
    for label, c in sorted(summary.nodes.items()):
        yield "node", label, c
    for rel, c in sorted(summary.edges.items()):
        yield "edge", rel, c
