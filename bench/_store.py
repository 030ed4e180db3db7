"""The one way benchmarks get a graph: a fresh embedded store holding the shipped Hetionet."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

from medkg.kg.importers.hetionet import HetionetSource, import_hetionet
from medkg.kg.store import GraphStore, open_store
from medkg.settings import Settings


def fresh_hetionet_store(
    prefix: str, hetionet: Path | None = None, models_from: Path | None = None, **settings: Any
) -> GraphStore:
    """A new temporary data dir with the whole Hetionet imported; ``store.settings`` has it.

    ``models_from`` links an existing models folder in, so the extractor loads the
    user's trained NER and relation classifier rather than none.
    """
    data_dir = Path(tempfile.mkdtemp(prefix=f"medkg-{prefix}-"))
    # removed when the benchmark ends (the models link is removed, not followed)
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    if models_from is not None and models_from.exists():
        (data_dir / "models").symlink_to(models_from)
    store = open_store(Settings(data_dir=data_dir, backend="embedded", **settings))
    import_hetionet(store, HetionetSource.from_dir(hetionet or Settings().hetionet_dir))
    return store


def node_names(store: GraphStore, data: Any, label: str) -> list[str]:
    """Display names of ``label``'s nodes in the order of ``data[label].node_ids``
    (an ``export_hetero`` graph), the id where a node has no name."""
    got = dict(store.query(f"MATCH (n:{label}) RETURN n.id, n.name", row_cap=1_000_000).rows)
    return [str(got.get(i) or i) for i in data[label].node_ids]
