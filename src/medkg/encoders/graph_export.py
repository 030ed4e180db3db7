"""Export the graph store to a torch-geometric ``HeteroData``.

One node type per entity label (Disease, Drug, Gene, ...; Document and Patient
are left out: they are provenance, not biology), one edge type per
(label, relationship, label) triple, ids kept in ``data[label].node_ids`` so
model outputs map back to graph ids. ``data_version`` is a hash of the node and
edge counts and ids, written into every checkpoint trained on the export.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import torch

from medkg.kg.schema import NODE_LABELS, REL_TYPES
from medkg.kg.store.base import GraphStore

SKIP_LABELS = frozenset({"Document", "Patient"})


def export_hetero(
    store: GraphStore,
    labels: Iterable[str] | None = None,
    exclude_edges: set[tuple[str, str]] | None = None,
):  # type: ignore[no-untyped-def]
    """``HeteroData`` of the store; ``exclude_edges`` drops (start id, end id) pairs
    (held-out evaluation edges must not leak into message passing)."""
    from torch_geometric.data import HeteroData

    wanted = [lbl for lbl in (labels or NODE_LABELS) if lbl not in SKIP_LABELS]
    data = HeteroData()
    index: dict[str, dict[str, int]] = {}
    digest = hashlib.sha256()
    for label in wanted:
        ids = sorted(
            r[0] for r in store.query(f"MATCH (n:{label}) RETURN n.id", row_cap=10_000_000).rows
        )
        if not ids:
            continue
        index[label] = {nid: i for i, nid in enumerate(ids)}
        data[label].num_nodes = len(ids)
        data[label].node_ids = ids
        digest.update(f"{label}:{len(ids)}:{ids[0]}:{ids[-1]}".encode())
    exclude = exclude_edges or set()
    for rel in REL_TYPES.values():
        for a, b in rel.pairs:
            if a not in index or b not in index:
                continue
            rows = store.query(
                f"MATCH (x:{a})-[:{rel.name}]->(y:{b}) RETURN x.id, y.id", row_cap=10_000_000
            ).rows
            pairs = [(index[a][x], index[b][y]) for x, y in rows if (x, y) not in exclude]
            if not pairs:
                continue
            data[a, rel.name, b].edge_index = torch.tensor(pairs, dtype=torch.long).t().contiguous()
            digest.update(f"{a}-{rel.name}-{b}:{len(pairs)}".encode())
    data.data_version = digest.hexdigest()[:16]
    return data
