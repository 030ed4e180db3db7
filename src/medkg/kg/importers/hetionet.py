"""Import Hetionet v1.0 into any :class:`~medkg.kg.store.GraphStore`.

Three layouts are read:

* the shipped Neo4j-import layout: ``hetionet-v1.0-nodes.tsv`` plus ``edges/*.tsv``
  with ``:START_ID(Kind)``/``:END_ID(Kind)`` headers (``../shared/data/hetionet``);
* the official edge list ``hetionet-v1.0-edges.sif.gz`` (``source``, ``metaedge``,
  ``target``), read together with a nodes TSV for names;
* the official ``hetionet-v1.0.json.bz2`` (nodes with their data, all 24 metaedges).

Everything is read and validated before the first write, so a malformed row,
an unknown kind or a dangling edge leaves the store exactly as it was. The
writes themselves are idempotent (see the stores), so a re-run adds nothing
and an interrupted run can simply be started again.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from medkg.kg.importers.batch import (
    GraphBatch,
    ImportFormatError,
    ImportSummary,
    ProgressFn,
    import_batch,
)
from medkg.kg.schema import (
    SchemaError,
    check_rel,
    hetionet_rel_type,
    label_for_hetionet_kind,
)
from medkg.kg.store.base import GraphStore

SOURCE = "hetionet-v1.0"

#: Hetionet metaedge abbreviations (as in ``metaedges.tsv``) -> (start kind, verb, end kind).
METAEDGES: dict[str, tuple[str, str, str]] = {
    "AdG": ("Anatomy", "downregulates", "Gene"),
    "AeG": ("Anatomy", "expresses", "Gene"),
    "AuG": ("Anatomy", "upregulates", "Gene"),
    "CbG": ("Compound", "binds", "Gene"),
    "CcSE": ("Compound", "causes", "Side Effect"),
    "CdG": ("Compound", "downregulates", "Gene"),
    "CpD": ("Compound", "palliates", "Disease"),
    "CrC": ("Compound", "resembles", "Compound"),
    "CtD": ("Compound", "treats", "Disease"),
    "CuG": ("Compound", "upregulates", "Gene"),
    "DaG": ("Disease", "associates", "Gene"),
    "DdG": ("Disease", "downregulates", "Gene"),
    "DlA": ("Disease", "localizes", "Anatomy"),
    "DpS": ("Disease", "presents", "Symptom"),
    "DrD": ("Disease", "resembles", "Disease"),
    "DuG": ("Disease", "upregulates", "Gene"),
    "GcG": ("Gene", "covaries", "Gene"),
    "GiG": ("Gene", "interacts", "Gene"),
    "GpBP": ("Gene", "participates", "Biological Process"),
    "GpCC": ("Gene", "participates", "Cellular Component"),
    "GpMF": ("Gene", "participates", "Molecular Function"),
    "GpPW": ("Gene", "participates", "Pathway"),
    "Gr>G": ("Gene", "regulates", "Gene"),
    "PCiC": ("Pharmacologic Class", "includes", "Compound"),
}

_NODE_DATA_PROPS = ("description", "url")


def _open_text(path: Path) -> TextIO:
    if not path.exists():
        raise ImportFormatError(f"{path}: file not found")
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path), encoding="utf-8")
    if path.suffix == ".bz2":
        return io.TextIOWrapper(bz2.open(path), encoding="utf-8")
    return path.open(encoding="utf-8", newline="")


def _split_kind_id(value: str, where: str) -> tuple[str, str]:
    if "::" not in value:
        raise ImportFormatError(f"{where}: node id {value!r} is not of the form Kind::identifier")
    kind, node_id = value.split("::", 1)
    if not node_id:
        raise ImportFormatError(f"{where}: empty identifier in {value!r}")
    return kind, node_id


def _label(kind: str, where: str) -> str:
    try:
        return label_for_hetionet_kind(kind)
    except SchemaError as exc:
        raise ImportFormatError(f"{where}: {exc}") from None


def read_nodes_tsv(path: Path, batch: GraphBatch) -> None:
    """Read ``id  name  kind`` rows (ids written ``Kind::identifier``)."""
    with _open_text(path) as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header != ["id", "name", "kind"]:
            raise ImportFormatError(f"{path}:1: expected header id/name/kind, got {header}")
        for lineno, row in enumerate(reader, start=2):
            where = f"{path}:{lineno}"
            if len(row) != 3:
                raise ImportFormatError(
                    f"{where}: expected 3 tab-separated columns, got {len(row)}"
                )
            kind, node_id = _split_kind_id(row[0], where)
            if kind != row[2]:
                raise ImportFormatError(f"{where}: id kind {kind!r} differs from kind {row[2]!r}")
            batch.add_node(_label(kind, where), node_id, row[1])


_HEADER_KIND = re.compile(r"^:(START|END)_ID\((?P<kind>[^)]+)\)$")


def _verb_from_filename(path: Path) -> str:
    tokens = re.split(r"[_\s-]+", path.stem)
    for token in tokens:
        try:
            hetionet_rel_type(token)
            return token.lower()
        except SchemaError:
            continue
    raise ImportFormatError(f"{path}: cannot tell the edge kind from the file name")


def read_edges_tsv(path: Path, batch: GraphBatch) -> None:
    """Read one Neo4j-import edge file, e.g. ``Compound_Treats_Disease.tsv``."""
    verb = _verb_from_filename(path)
    with _open_text(path) as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None) or []
        kinds = [_HEADER_KIND.match(h) for h in header[:2]]
        if len(header) < 2 or not all(kinds):
            raise ImportFormatError(
                f"{path}:1: expected ':START_ID(Kind)' and ':END_ID(Kind)' headers, got {header}"
            )
        start_label = _label(kinds[0].group("kind"), f"{path}:1")  # type: ignore[union-attr]
        end_label = _label(kinds[1].group("kind"), f"{path}:1")  # type: ignore[union-attr]
        rel = _rel(verb, start_label, end_label, f"{path}:1")
        for lineno, row in enumerate(reader, start=2):
            if len(row) < 2 or not row[0].strip() or not row[1].strip():
                raise ImportFormatError(f"{path}:{lineno}: expected two non-empty ids, got {row}")
            batch.add_edge(rel, start_label, end_label, row[0].strip(), row[1].strip())


def _rel(verb: str, start_label: str, end_label: str, where: str) -> str:
    try:
        rel = hetionet_rel_type(verb)
        check_rel(rel, start_label, end_label)
    except SchemaError as exc:
        raise ImportFormatError(f"{where}: {exc}") from None
    return rel


def read_sif(path: Path, batch: GraphBatch) -> None:
    """Read the official ``source  metaedge  target`` edge list (gzip or plain)."""
    with _open_text(path) as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header != ["source", "metaedge", "target"]:
            raise ImportFormatError(
                f"{path}:1: expected header source/metaedge/target, got {header}"
            )
        for lineno, row in enumerate(reader, start=2):
            where = f"{path}:{lineno}"
            if len(row) != 3:
                raise ImportFormatError(f"{where}: expected 3 columns, got {len(row)}")
            if row[1] not in METAEDGES:
                raise ImportFormatError(f"{where}: unknown metaedge {row[1]!r}")
            skind, verb, tkind = METAEDGES[row[1]]
            s_kind, s_id = _split_kind_id(row[0], where)
            t_kind, t_id = _split_kind_id(row[2], where)
            if (s_kind, t_kind) != (skind, tkind):
                raise ImportFormatError(
                    f"{where}: {row[1]} joins {skind}->{tkind}, not {s_kind}->{t_kind}"
                )
            sl, tl = _label(skind, where), _label(tkind, where)
            batch.add_edge(_rel(verb, sl, tl, where), sl, tl, s_id, t_id)


def read_json(path: Path, batch: GraphBatch) -> None:
    """Read the official ``hetionet-v1.0.json(.bz2)`` with nodes, their data and edges."""
    with _open_text(path) as fh:
        try:
            graph = json.load(fh)
        except (json.JSONDecodeError, UnicodeDecodeError, OSError, EOFError) as exc:
            raise ImportFormatError(f"{path}: not a Hetionet JSON file ({exc})") from None
    if not isinstance(graph, dict) or "nodes" not in graph or "edges" not in graph:
        raise ImportFormatError(f"{path}: expected an object with 'nodes' and 'edges'")
    for i, node in enumerate(graph["nodes"]):
        where = f"{path}: nodes[{i}]"
        try:
            kind, ident, name = node["kind"], str(node["identifier"]), node["name"]
        except (KeyError, TypeError):
            raise ImportFormatError(f"{where}: needs kind, identifier and name") from None
        data = node.get("data") or {}
        batch.add_node(
            _label(kind, where), ident, name, **{k: data.get(k) for k in _NODE_DATA_PROPS}
        )
    for i, edge in enumerate(graph["edges"]):
        where = f"{path}: edges[{i}]"
        try:
            (s_kind, s_id), (t_kind, t_id) = edge["source_id"], edge["target_id"]
            verb = edge["kind"]
        except (KeyError, TypeError, ValueError):
            raise ImportFormatError(f"{where}: needs source_id, target_id and kind") from None
        sl, tl = _label(s_kind, where), _label(t_kind, where)
        batch.add_edge(_rel(verb, sl, tl, where), sl, tl, str(s_id), str(t_id))


@dataclass
class HetionetSource:
    """Where to read Hetionet from; exactly one edge source is used."""

    nodes: Path | None = None
    edges_dir: Path | None = None
    sif: Path | None = None
    json: Path | None = None

    @classmethod
    def from_dir(cls, directory: Path) -> HetionetSource:
        """Pick the richest layout present in a directory."""
        directory = Path(directory)
        if not directory.is_dir():
            raise ImportFormatError(f"{directory}: directory not found")
        for name in ("hetionet-v1.0.json.bz2", "hetionet-v1.0.json"):
            if (directory / name).exists():
                return cls(json=directory / name)
        nodes = directory / "hetionet-v1.0-nodes.tsv"
        if (directory / "hetionet-v1.0-edges.sif.gz").exists():
            return cls(nodes=nodes, sif=directory / "hetionet-v1.0-edges.sif.gz")
        return cls(nodes=nodes, edges_dir=directory / "edges")

    def read(self, max_edges_per_type: int | None = None) -> GraphBatch:
        batch = GraphBatch(SOURCE)
        if self.json:
            read_json(self.json, batch)
        else:
            if self.nodes is None:
                raise ImportFormatError("a nodes TSV is needed with a SIF or edge directory")
            read_nodes_tsv(self.nodes, batch)
            if self.sif:
                read_sif(self.sif, batch)
            elif self.edges_dir:
                if not self.edges_dir.is_dir():
                    raise ImportFormatError(f"{self.edges_dir}: directory not found")
                files = sorted(self.edges_dir.glob("*.tsv"))
                if not files:
                    raise ImportFormatError(f"{self.edges_dir}: no *.tsv edge files")
                for f in files:
                    read_edges_tsv(f, batch)
        if max_edges_per_type is not None:
            _slice(batch, max_edges_per_type)
        return batch


def _slice(batch: GraphBatch, per_type: int) -> None:
    """Keep the first ``per_type`` edges of each type and only the nodes they touch."""
    keep: dict[str, set[str]] = defaultdict(set)
    for (rel, sl, el), pairs in list(batch.edges.items()):
        kept = dict(list(pairs.items())[:per_type])
        batch.edges[(rel, sl, el)] = kept
        for s, e in kept:
            keep[sl].add(s)
            keep[el].add(e)
    for label in list(batch.nodes):
        batch.nodes[label] = {i: r for i, r in batch.nodes[label].items() if i in keep[label]}


def import_hetionet(
    store: GraphStore,
    source: HetionetSource,
    progress: ProgressFn | None = None,
    max_edges_per_type: int | None = None,
) -> ImportSummary:
    """Read, validate and write Hetionet; see the module docstring for the guarantees."""
    batch = source.read(max_edges_per_type)
    return import_batch(store, batch, progress)
