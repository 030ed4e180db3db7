"""One fusion model for the three tasks, trained jointly.

What: the ``FusionModel`` towers shared by all tasks (one patient tower over
text, graph context, optional image and TF-IDF; one candidate tower over a
candidate's text and graph node), plus a small part per task:

* a learned *task vector* added to the patient vector: the same patient asks a
  different question of each candidate set;
* diagnosis labels (a closed set): a bias and a free vector per label, as in
  the single-task diagnosis model;
* drugs: a bias per drug (a learned popularity prior, which is what the
  degree baseline shows a held-out disease needs most);
* trials: nothing of their own, so a trial added tomorrow is scored without
  retraining.

Supervision, summed per step: diagnosis is cross-entropy over the labels on
Symptom2Disease's training split; treatment is a listwise softmax over all
drugs for each *training* disease, seen as a minimal patient (its name as the
text, its own node as the graph context) whose positives are its TREATS drugs.
Trial matching has no public trial texts with judgements to learn from
(``bench/eval_trials.py``), so trials are ranked zero-shot by the same towers:
whatever the shared towers learned about matching a patient to diseases is
what a trial's conditions are matched with.

Why: one patient representation serving all three questions is what the
design asks for, and joint training is the test of whether the tasks help
each other; ``bench/eval_multitask.py`` compares the joint model with the same
architecture trained on one task at a time, on the same data, in one run.
The specialised served models (docs/decisions/0006, 0008) stay in place while
they score better.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from medkg.artifacts import load_checkpoint, save_checkpoint
from medkg.encoders.precision import MixedPrecision
from medkg.fusion.model import FusionConfig, FusionModel

TASKS = ("diagnosis", "treatment", "trials")


@dataclass
class Side:
    """Encoded inputs of a set of patients or candidates (one row each)."""

    text: torch.Tensor  # (N, text_dim)
    graph: torch.Tensor  # (N, graph_dim)
    graph_mask: torch.Tensor  # (N,) 1 where there is graph context
    lexical: torch.Tensor | None = None  # (N, lexical_dim) TF-IDF rows (patients only)

    def __len__(self) -> int:
        return self.text.size(0)

    def take(self, idx: torch.Tensor) -> Side:
        lex = self.lexical[idx] if self.lexical is not None else None
        return Side(self.text[idx], self.graph[idx], self.graph_mask[idx], lex)

    def to(self, device: str) -> Side:
        lex = self.lexical.to(device) if self.lexical is not None else None
        return Side(self.text.to(device), self.graph.to(device), self.graph_mask.to(device), lex)


@dataclass
class DiagnosisTask:
    patients: Side
    y: torch.Tensor  # (N,) label index per patient
    labels: Side  # the candidate diseases


@dataclass
class TreatmentTask:
    queries: Side  # one row per disease asked about
    positives: torch.Tensor  # (Q, drugs) bool: the query's known treatments
    drugs: Side


@dataclass
class MultiTaskConfig:
    fusion: FusionConfig
    n_labels: int
    n_drugs: int
    #: Weight of the treatment loss against the diagnosis loss.
    treatment_weight: float = 1.0
    tasks: tuple[str, ...] = field(default=("diagnosis", "treatment"))


class MultiTaskFusion(nn.Module):
    def __init__(self, config: MultiTaskConfig) -> None:
        super().__init__()
        self.config = config
        out = config.fusion.out
        self.core = FusionModel(
            replace(config.fusion, n_fixed_candidates=0, candidate_vectors=False)
        )
        self.task = nn.Parameter(torch.zeros(len(TASKS), out))
        self.label_bias = nn.Parameter(torch.zeros(config.n_labels))
        self.label_free = nn.Parameter(torch.zeros(config.n_labels, out))
        self.drug_bias = nn.Parameter(torch.zeros(config.n_drugs))

    def encode_patients(self, side: Side, task: str, image: Any = None, image_mask: Any = None):  # type: ignore[no-untyped-def]
        p = self.core.encode_patients(
            side.text, side.graph, side.graph_mask, image, image_mask, side.lexical
        )
        return p + self.task[TASKS.index(task)]

    def encode_candidates(self, side: Side, task: str) -> torch.Tensor:
        c = self.core.encode_candidates(side.text, side.graph, side.graph_mask)
        return c + self.label_free if task == "diagnosis" else c

    def score(self, patients: Side, candidates: Side, task: str) -> torch.Tensor:
        """(P, C) scores of ``patients`` against ``candidates`` for ``task``.

        Diagnosis candidates must be the trained labels in their order, and
        treatment candidates the trained drugs (their biases are per index)."""
        scores = self.encode_patients(patients, task) @ self.encode_candidates(candidates, task).T
        if task == "diagnosis":
            return scores + self.label_bias
        if task == "treatment":
            return scores + self.drug_bias
        return scores

    def save(self, path: Path, **meta: object) -> None:
        save_checkpoint(path, {"config": asdict(self.config), "state": self.state_dict(), **meta})

    @classmethod
    def load(cls, path: Path) -> tuple[MultiTaskFusion, dict]:
        ckpt = load_checkpoint(path)
        raw = ckpt.pop("config")
        cfg = MultiTaskConfig(
            **{**raw, "fusion": FusionConfig(**raw["fusion"]), "tasks": tuple(raw["tasks"])}
        )
        model = cls(cfg)
        model.load_state_dict(ckpt.pop("state"))
        return model.eval(), ckpt


def listwise_loss(scores: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
    """Mean over queries of the mean ``-log softmax`` of each positive candidate
    (queries without a positive are left out)."""
    keep = positives.any(1)
    logp = F.log_softmax(scores[keep].float(), -1)
    pos = positives[keep].float()
    return -((logp * pos).sum(1) / pos.sum(1)).mean()


def train_multitask(
    config: MultiTaskConfig,
    diagnosis: DiagnosisTask | None = None,
    treatment: TreatmentTask | None = None,
    steps: int = 300,
    lr: float = 2e-3,
    seed: int = 0,
    device: str = "cpu",
    precision: str = "auto",
) -> tuple[MultiTaskFusion, list[dict[str, float]]]:
    """Full-batch AdamW on the sum of the given tasks' losses (either task alone
    is the single-task model of the same architecture); returns the model and
    the per-step losses. Mixed precision per ``medkg.encoders.precision``."""
    if diagnosis is None and treatment is None:
        raise ValueError("give at least one task to train on")
    device = str(device)
    torch.manual_seed(seed)
    model = MultiTaskFusion(config).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)
    dx = (
        (diagnosis.patients.to(device), diagnosis.y.to(device), diagnosis.labels.to(device))
        if diagnosis
        else None
    )
    tx = (
        (treatment.queries.to(device), treatment.positives.to(device), treatment.drugs.to(device))
        if treatment
        else None
    )
    mp = MixedPrecision.resolve(precision, device)
    log: list[dict[str, float]] = []
    for _ in range(steps):
        model.train()
        losses: dict[str, torch.Tensor] = {}
        with mp.autocast():
            if dx is not None:
                losses["diagnosis"] = F.cross_entropy(
                    model.score(dx[0], dx[2], "diagnosis").float(), dx[1]
                )
            if tx is not None:
                losses["treatment"] = config.treatment_weight * listwise_loss(
                    model.score(tx[0], tx[2], "treatment"), tx[1]
                )
        mp.step(sum(losses.values()), opt)  # type: ignore[arg-type]
        log.append({k: float(v.detach()) for k, v in losses.items()})
    return model.eval(), log


@torch.no_grad()
def predict(model: MultiTaskFusion, patients: Side, candidates: Side, task: str) -> torch.Tensor:
    device = str(next(model.parameters()).device)
    return model.score(patients.to(device), candidates.to(device), task).float().cpu()


__all__ = [
    "TASKS",
    "DiagnosisTask",
    "MultiTaskConfig",
    "MultiTaskFusion",
    "Side",
    "TreatmentTask",
    "listwise_loss",
    "predict",
    "train_multitask",
]
