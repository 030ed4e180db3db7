"""The NER inference paths a benchmark compares: one set of options and one
list of (runtime, recheck margin) rows, shared by `ner_eval.py` (accuracy) and
`extract_speed.py` (speed) so that both measure the same rows."""

from __future__ import annotations

import argparse

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
