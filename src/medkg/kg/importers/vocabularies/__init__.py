"""``medkg import vocabularies``: diseases, phenotypes, synonyms and cross-references
from ontologies and vocabularies shipped inside Python packages.

One adapter per source reads its file (:mod:`.ontologies`, :mod:`.tables`;
where each file comes from: :mod:`.sources`), :mod:`.build` merges them into one
node per concept, and the batch goes through the same validated, idempotent
write path as the Hetionet import (:mod:`medkg.kg.importers.batch`). Every file
is read and checked before the first write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from medkg.kg.importers.batch import ImportFormatError, ImportSummary, ProgressFn, import_batch
from medkg.kg.importers.vocabularies.build import BuildReport, Inputs, build_batch
from medkg.kg.importers.vocabularies.ontologies import read_doid, read_hpo, read_mondo
from medkg.kg.importers.vocabularies.sources import FILES
from medkg.kg.importers.vocabularies.tables import (
    read_drug_names,
    read_drugbank,
    read_hgnc,
    read_hpoa,
    read_mesh,
    read_mesh_mappings,
)
from medkg.kg.store.base import GraphStore

#: The labels whose stored nodes keep their own names when a vocabulary adds to them.
ENRICHED_LABELS = ("Disease", "Symptom", "SideEffect", "Drug", "Gene")


def read_inputs(
    step: Callable[[str], None] | None = None, files: Mapping[str, Path] | None = None
) -> Inputs:
    """Read and check every vocabulary file (nothing is written here).

    ``files`` replaces packaged files by key (``{"hpo": Path("hp.obo")}``), e.g.
    a newer release a user downloaded; the same checks apply.
    """
    files = dict(files or {})
    unknown = set(files) - set(FILES)
    if unknown:
        raise ImportFormatError(
            f"unknown vocabulary file key(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(FILES)}"
        )

    def path(key: str) -> Path:
        if step:
            step(f"reading {FILES[key].source}")
        given = files.get(key)
        if given is None:
            return FILES[key].locate()
        if not given.is_file():
            raise ImportFormatError(f"{given}: no such file ({key})")
        return given

    drugs: dict = {}
    inputs = Inputs(
        doid=read_doid(path("doid")),
        mondo=read_mondo(path("mondo")),
        hpo=read_hpo(path("hpo")),
        annotations=read_hpoa(path("hpoa")),
        mesh=read_mesh(path("mesh")),
        mesh_supp=read_mesh(path("mesh_supp")),
        mesh_mappings=read_mesh_mappings(path("mesh_mappings")),
        genes=read_hgnc(path("hgnc")),
        drugs=drugs,
    )
    read_drugbank(path("drugbank"), drugs)
    read_drug_names(path("drug_names"), drugs)
    return inputs


def import_vocabularies(
    store: GraphStore,
    progress: ProgressFn | None = None,
    files: Mapping[str, Path] | None = None,
    inputs: Inputs | None = None,
) -> tuple[ImportSummary, BuildReport]:
    """Read, merge, validate and write the vocabularies (idempotent; see the module doc).

    Args:
        store: where to write.
        progress: ``(stage, done, total)`` callback for a progress bar.
        files: packaged files replaced by key (see :func:`read_inputs`).
        inputs: already read inputs (a caller that imports twice reads once).
    """

    def step(name: str) -> None:
        if progress:
            progress(name, 0, 0)

    inputs = inputs or read_inputs(step, files)
    # Anatomy: names a disease synonym must not be (synonyms.py)
    existing = {label: store.names(label) for label in (*ENRICHED_LABELS, "Anatomy")}
    batch, report = build_batch(inputs, existing, step)
    return import_batch(store, batch, progress), report


__all__ = ["FILES", "Inputs", "import_vocabularies", "read_inputs"]
