"""The NER inference paths a benchmark compares: one set of options and one
list of (runtime, recheck margin) rows, shared by `ner_eval.py` (accuracy) and
`extract_speed.py` (speed) so that both measure the same rows; and whether a
model has seen an evaluated file (`ner_eval.py`, `relation_eval.py`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

RUNTIMES = ["torch", "bf16", "int8", "onnx", "onnx-int8"]


def add_ner_path_options(ap: argparse.ArgumentParser, default_margin: float) -> None:
    """``--runtime`` and ``--recheck-margin`` (default: the served margin)."""
    ap.add_argument(
        "--runtime", nargs="+", default=["torch", "int8", "onnx-int8"], choices=RUNTIMES,
        help="inference paths of a transformer model, each a row (all but torch: CPU only; "
        "one that cannot run here is left out)",
    )  # fmt: skip
    ap.add_argument(
        "--recheck-margin", nargs="+", type=float, default=[default_margin],
        help="onnx-int8 rows: margins under which a sentence is tagged again at full "
        "precision (0 = never; default: MEDKG_NER_RECHECK_MARGIN)",
    )  # fmt: skip


def ner_paths(runtimes: list[str], margins: list[float]) -> list[tuple[str, float]]:
    """One row per runtime; onnx-int8 once per recheck margin (the others: 0)."""
    return [(rt, m) for rt in runtimes for m in (margins if rt == "onnx-int8" else [0.0])]


#: A BC5CDR PubTator file -> the BIO file of the same abstracts beside it.
BIO_TWIN = {
    "CDR_TrainingSet.PubTator.txt": "train.tsv",
    "CDR_DevelopmentSet.PubTator.txt": "devel.tsv",
    "CDR_TestSet.PubTator.txt": "test.tsv",
}
#: How a benchmark's table marks a row of a file the model has seen.
SEEN_MARK = {"train": " [TRAINED ON THIS FILE]", "dev": " [SELECTED ON THIS FILE]"}


def seen_by_model(record: dict, evaluated: Path) -> str | None:
    """``train`` or ``dev`` when the NER whose training record (meta's ``medkg`` part)
    is ``record`` learned from or selected on ``evaluated``, or, for a BC5CDR
    PubTator file, on its BIO twin (decision 0046); else None."""
    from medkg.nlp.ner.recipes import seen_in_training

    twin = evaluated.parent / BIO_TWIN.get(evaluated.name, evaluated.name)
    for path in dict.fromkeys((evaluated, twin)):
        seen = path.is_file() and seen_in_training(record, path)
        if seen:
            return seen
    return None


def model_record(model: Path | str | None) -> dict:
    """The training record of an NER model folder (empty for a package name or
    a model without one)."""
    if model is None:
        return {}
    from medkg.artifacts import ner_pipeline_folder

    meta = ner_pipeline_folder(Path(model)) / "meta.json"
    try:
        return json.loads(meta.read_text(encoding="utf-8")).get("medkg", {})
    except (OSError, ValueError):
        return {}
