"""Train the product's ranking models from the graph store (``medkg train fusion``).

Two trained rankers replace the graph-only fallback when their checkpoints
exist (:class:`medkg.artifacts.ModelFiles`):

* ``treatments.pt`` - the learned similar-disease transfer over the store's
  graph (:mod:`medkg.fusion.treatment_model`), optionally with the graph
  encoder's disease embeddings as one more channel;
* ``diagnosis.pt`` - the fusion model (text + graph context) trained on
  Symptom2Disease's fixed training split; its held-out top-1/top-5 accuracy
  is measured on the fixed test split and kept in the checkpoint.

Trial matching has no trained model: the public judgements come without trial
texts (see ``bench/eval_trials.py``), so it stays graph-only and says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from medkg.artifacts import ModelFiles, load_graph_embeddings
from medkg.kg.store.base import GraphStore
from medkg.settings import Settings


def train_treatments(
    store: GraphStore,
    settings: Settings,
    steps: int = 200,
    use_graph_encoder: bool = True,
    on_step: Callable[[int, float], None] | None = None,
) -> tuple[Path, dict[str, Any]]:
    from medkg.encoders.graph_export import export_hetero
    from medkg.fusion.treatment_mechanisms import mechanism_features
    from medkg.fusion.treatment_model import (
        TREATS,
        TreatmentCheckpoint,
        similarity_channels,
        train_treatment_ranker,
        treatment_graph,
        treats_matrix,
    )  # fmt: skip

    data = export_hetero(store)
    if TREATS not in data.edge_types:
        raise ValueError("the graph has no Drug-TREATS-Disease edges: import Hetionet first")
    data = treatment_graph(data)
    emb = None
    graph_note = "no graph encoder checkpoint (run `medkg train graph` to add its channel)"
    if use_graph_encoder:
        vectors, version = load_graph_embeddings(ModelFiles.of(settings).graph_encoder)
        if vectors.get("Disease") and version == data.data_version:
            emb = torch.stack([vectors["Disease"][d] for d in data["Disease"].node_ids])
            graph_note = "graph-encoder channel included"
        elif vectors:
            graph_note = "graph encoder trained on another graph version: channel left out"
    channels, sims = similarity_channels(data, emb)
    mechanisms, features = mechanism_features(data)
    n_drugs, n_diseases = data["Drug"].num_nodes, data["Disease"].num_nodes
    treats = data[TREATS].edge_index
    res = train_treatment_ranker(
        sims, treats, n_drugs, steps=steps, on_step=on_step,
        mechanisms=features if mechanisms else None,
    )  # fmt: skip
    meta = {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "steps": steps,
        "final_loss": round(res.losses[-1], 4),
        "treated_diseases": len(set(treats[1].tolist())),
        "graph_encoder": graph_note,
        "mechanisms": {
            m.name: round(float(w), 4)
            for m, w in zip(mechanisms, res.model.mechanism.tolist(), strict=True)
        },
        "mechanism_scale": float(res.model.mechanism_scale),
        "mechanism_scales_validated": {str(k): v for k, v in res.mechanism_scales.items()},
    }
    ckpt = TreatmentCheckpoint(
        res.model, channels, sims, treats_matrix(treats, n_drugs, n_diseases),
        list(data["Drug"].node_ids), list(data["Disease"].node_ids), data.data_version, meta,
        mechanisms, features if mechanisms else None,
    )  # fmt: skip
    path = ModelFiles.of(settings).treatments
    ckpt.save(path)
    return path, meta


def train_diagnosis(
    store: GraphStore,
    extractor: Any,
    settings: Settings,
    csv_path: Path,
    steps: int = 300,
    device: str = "auto",
    precision: str = "auto",
) -> tuple[Path, dict[str, Any]]:
    """Fit on the fixed training split, score the fixed test split, save the checkpoint."""
    from medkg.encoders.device import resolve_device
    from medkg.encoders.precision import MixedPrecision
    from medkg.encoders.text import TextEncoder
    from medkg.fusion.diagnosis import (
        DiagnosisCheckpoint,
        build_diagnosis_data,
        fixed_split,
        load_symptom2disease,
        predict_scores,
        topk_accuracy,
        train_fusion_classifier,
    )  # fmt: skip

    # Checked before the descriptions are linked and encoded (minutes of work):
    # an unusable device or precision fails first.
    dev = str(resolve_device(device))
    precision = MixedPrecision.resolve(precision, dev).name
    examples = load_symptom2disease(csv_path)
    labels = sorted({e.label for e in examples})
    if len(labels) < 2:
        raise ValueError(f"{csv_path}: need at least two labels to train a diagnosis model")
    train, test = fixed_split(examples)
    by_label, version = load_graph_embeddings(ModelFiles.of(settings).graph_encoder)
    vectors = {nid: v for table in by_label.values() for nid, v in table.items()}
    encoder = TextEncoder(settings.text_model, device=dev)
    dim = next(iter(vectors.values())).numel() if vectors else 64
    data, label_ids = build_diagnosis_data(
        examples, labels, extractor, encoder, vectors.get, dim, lexical_fit_idx=train
    )
    use_graph, graph_note = False, "text only (no graph encoder yet)"
    if vectors:
        use_graph, graph_note = _graph_helps(data, examples, train, steps, dev, precision)
    started = time.perf_counter()
    model = train_fusion_classifier(
        data, train, use_graph=use_graph, steps=steps, device=dev, precision=precision
    )
    train_seconds = time.perf_counter() - started
    model = model.cpu()
    scores = predict_scores(model, data, test)
    meta = {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": str(csv_path),
        "train_examples": len(train),
        "test_examples": len(test),
        "test_top1": round(topk_accuracy(scores, data.y[test], 1), 4),
        "test_top5": round(topk_accuracy(scores, data.y[test], 5), 4),
        "graph": graph_note,
        "graph_data_version": version,
        "device": dev,
        "precision": precision,
        "train_seconds": round(train_seconds, 2),
    }
    ckpt = DiagnosisCheckpoint(
        model, labels, label_ids, data.cand_text, data.cand_graph, data.cand_graph_mask,
        vectors, encoder.name, meta, data.lexical_features,
    )  # fmt: skip
    path = ModelFiles.of(settings).diagnosis
    ckpt.save(path)
    return path, meta


def _graph_helps(
    data: Any,
    examples: list[Any],
    train: list[int],
    steps: int,
    device: str,
    precision: str = "auto",
) -> tuple[bool, str]:
    """Keep the graph context only if it helps on a validation part of the
    training split (the test split stays unseen).

    Why: on Symptom2Disease with the shipped Hetionet the symptoms are isolated
    nodes, and their graph vectors let the model memorise instead of generalise
    (``bench/eval_diagnosis.py``, docs/results.md). On a graph
    with PRESENTS edges the same check can keep it. Ties go to the simpler model.
    """
    from sklearn.model_selection import train_test_split

    from medkg.fusion.diagnosis import predict_scores, topk_accuracy, train_fusion_classifier

    fit, val = train_test_split(
        train, test_size=0.2, random_state=0, stratify=[examples[i].label for i in train]
    )
    acc = {}
    for with_graph in (False, True):
        model = train_fusion_classifier(
            data, fit, use_graph=with_graph, steps=steps, device=device, precision=precision
        )
        acc[with_graph] = topk_accuracy(predict_scores(model, data, val), data.y[val], 1)
    scores = f"validation top-1 {acc[True]:.3f} with, {acc[False]:.3f} without"
    if acc[True] > acc[False]:
        return True, f"graph-encoder context ({scores})"
    return False, f"text only: graph context left out ({scores})"
