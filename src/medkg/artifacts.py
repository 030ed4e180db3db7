"""Where every trained model lives, and how model files are written and read.

Why one module: the extractor, the rankers, the CLI and the benchmarks all
read models that ``medkg train ...`` writes. When each of them spelt the file
names itself, a rename in one place silently turned a trained model into "not
trained" in another. Here are the locations (:class:`ModelFiles`), the one way
a model file is written (into a temporary file beside it, then renamed, so a
reader never sees half a file and an interrupted run leaves the old model
whole) and the checkpoint formats that no single model class owns (the graph
encoder's). Each model class keeps its own fields; it saves and loads them
through :func:`save_checkpoint` / :func:`load_checkpoint`.

This module sits just above ``settings`` and below everything else, so it
imports neither torch nor spaCy at module level: torch is imported inside the
functions that need it, keeping ``medkg --help`` quick.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medkg.settings import Settings

#: The folder inside a trained NER's output that holds the spaCy pipeline
#: (spaCy's trainer names it so; the transformer NER keeps the same layout).
NER_BEST = "model-best"


@dataclass(frozen=True)
class ModelFiles:
    """The model files under one models folder (``$MEDKG_DATA_DIR/models``)."""

    root: Path

    @classmethod
    def of(cls, settings: Settings) -> ModelFiles:
        return cls(settings.models_dir)

    @property
    def ner(self) -> Path:
        """``medkg train ner``'s output folder (the pipeline is its ``model-best``)."""
        return self.root / "ner"

    @property
    def cid(self) -> Path:
        """The chemical-induced-disease classifier (JSON weights, never a pickle)."""
        return self.root / "relations" / "cid.json"

    @property
    def cid_transformer(self) -> Path:
        """The fine-tuned transformer CID classifier (a folder); used before ``cid``."""
        return self.root / "relations" / "cid-transformer"

    @property
    def cid_document(self) -> Path:
        """The document-level CID model (a folder); used before the other two."""
        return self.root / "relations" / "cid-document"

    @property
    def learned_names(self) -> Path:
        """Mention names learned from annotated corpora (``medkg train linker``)."""
        return self.root / "linking" / "names.json"

    @property
    def dense_names(self) -> Path:
        """Condition names as text-encoder vectors (``medkg train linker --dense``)."""
        return self.root / "linking" / "dense"

    @property
    def adapted_encoder(self) -> Path:
        """The text encoder after in-domain masked-word training (``medkg train encoder``)."""
        return self.root / "encoders" / "text-adapted"

    @property
    def image_encoder(self) -> Path:
        return self.root / "image" / "encoder.pt"

    @property
    def graph_encoder(self) -> Path:
        return self.root / "graph" / "encoder.pt"

    @property
    def fusion(self) -> Path:
        return self.root / "fusion"

    @property
    def treatments(self) -> Path:
        """The treatment ranker (``medkg train fusion --task treatments``)."""
        return self.fusion / "treatments.pt"

    @property
    def diagnosis(self) -> Path:
        """The diagnosis fusion model (``medkg train fusion --task diagnosis``)."""
        return self.fusion / "diagnosis.pt"


def ner_pipeline_folder(model: Path) -> Path:
    """The spaCy pipeline folder of a trained NER given either that folder or the
    training output holding it as ``model-best``."""
    best = model / NER_BEST
    return best if (best / "meta.json").is_file() else model


def resolve_ner_model(settings: Settings) -> Path | str | None:
    """The NER the extractor should load: the configured one, else a trained one.

    ``MEDKG_NER_MODEL`` wins (an installed package such as ``en_ner_bc5cdr_md``
    or a folder); otherwise the model ``medkg train ner`` wrote, if any;
    otherwise ``None`` and the extractor runs on graph-name rules alone.
    """
    if settings.ner_model:
        return settings.ner_model
    best = ModelFiles.of(settings).ner / NER_BEST
    return best if (best / "meta.json").is_file() else None


# -- writing -----------------------------------------------------------------------


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it when the block succeeds.

    On an error the temporary file is removed and ``path`` keeps its old content.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write a torch checkpoint (a dict of tensors and plain values) atomically."""
    import torch

    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_checkpoint(path: Path, *, tensors_only: bool = False) -> dict[str, Any]:
    """Read a checkpoint onto the CPU.

    ``tensors_only`` refuses anything but tensors and plain containers (torch's
    ``weights_only``); the fusion checkpoints also hold sparse tensors and
    dataclass-free metadata written by this project, and load without it.
    """
    import torch

    return torch.load(path, map_location="cpu", weights_only=tensors_only)


def save_json(path: Path, data: Any, indent: int | None = None) -> None:
    """Write JSON atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=indent), encoding="utf-8")


def load_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def update_json(path: Path, values: dict[str, Any]) -> None:
    """Merge ``values`` into the JSON object in ``path``, atomically (the rest of
    the object is kept as written)."""
    data = load_json(path)
    data.update(values)
    save_json(path, data, indent=1)


def replace_folder(built: Path, target: Path) -> None:
    """Move a completely written folder into place, replacing ``target``.

    Model folders (a spaCy pipeline, an ensemble) are built in a temporary
    folder beside ``target`` and moved at the end, so an interrupted training
    never leaves half a model where the extractor would load it, and a model
    being replaced stays whole until the new one is complete.
    """
    if target.exists():
        shutil.rmtree(target)
    shutil.move(str(built), target)


# -- the graph encoder's checkpoint ---------------------------------------------------


def save_graph_encoder(
    path: Path,
    *,
    config: dict[str, Any],
    data_version: str,
    state: dict[str, Any],
    embeddings: dict[str, Any],
    node_ids: dict[str, list[str]],
    device: str,
    precision: str,
) -> None:
    """The graph encoder's weights with the node embeddings it computed for the
    graph it was trained on (``data_version``), so the rankers can use the
    embeddings without running the encoder."""
    save_checkpoint(
        path,
        {
            "config": config,
            "data_version": data_version,
            "state": state,
            "embeddings": {label: z.cpu() for label, z in embeddings.items()},
            "node_ids": node_ids,
            "device": device,
            "precision": precision,
        },
    )


def load_graph_embeddings(path: Path) -> tuple[dict[str, dict[str, Any]], str]:
    """``({label: {node id: vector}}, data_version)`` from a graph encoder
    checkpoint, or ``({}, '')`` when there is none."""
    if not path.is_file():
        return {}, ""
    ckpt = load_checkpoint(path)
    out = {
        label: dict(zip(ids, ckpt["embeddings"][label], strict=True))
        for label, ids in ckpt["node_ids"].items()
        if label in ckpt["embeddings"]
    }
    return out, ckpt["data_version"]


__all__ = [
    "NER_BEST",
    "ModelFiles",
    "atomic_path",
    "load_checkpoint",
    "load_graph_embeddings",
    "load_json",
    "ner_pipeline_folder",
    "replace_folder",
    "resolve_ner_model",
    "save_checkpoint",
    "save_graph_encoder",
    "save_json",
    "update_json",
]
