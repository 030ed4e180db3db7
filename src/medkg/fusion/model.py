"""The fusion model: patient (text + graph context + optional image) against candidates.

One architecture for the three tasks; only the candidates change (diseases for
diagnosis, drugs for treatment, trials for matching). A patient vector is built
from the frozen text embedding, the mean graph embedding of the patient's
affirmed linked entities and, when given, an image embedding; each part has a
presence flag so a missing modality is "absent", not "zero evidence". A
candidate vector is built from its text (name, description, criteria) and its
own graph embedding. The score is their dot product plus, for closed candidate
sets (diagnosis over known labels), a learned bias and optionally a free
learned vector per candidate. An optional TF-IDF channel (``lexical_dim``,
``fusion.lexical``) gives the patient side the exact words a pooled sentence
vector blurs (docs/decisions/0008).
Why dot-product scoring: candidates can be embedded once and ranked in one
matrix product, and new candidates (a trial added tomorrow) need no retraining.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from medkg.artifacts import load_checkpoint, save_checkpoint


@dataclass
class FusionConfig:
    text_dim: int = 384
    graph_dim: int = 64
    image_dim: int = 0  # 0: no image branch
    hidden: int = 256
    out: int = 128
    dropout: float = 0.2
    n_fixed_candidates: int = 0  # >0: learn a bias per candidate (closed sets)
    use_graph: bool = True
    use_text: bool = True
    #: Closed sets: also learn a free vector per candidate, added to the one its
    #: text and graph node give (a candidate is more than its name).
    candidate_vectors: bool = False
    #: Width of the patient's TF-IDF channel (``fusion.lexical``); 0: none.
    lexical_dim: int = 0
    #: Dropout on the patient's joined inputs (training only).
    input_dropout: float = 0.0


class FusionModel(nn.Module):
    def __init__(self, config: FusionConfig) -> None:
        super().__init__()
        c = self.config = config
        in_dim = (c.text_dim if c.use_text else 0) + (c.graph_dim + 1 if c.use_graph else 0)
        in_dim += (c.image_dim + 1) if c.image_dim else 0
        in_dim += c.lexical_dim
        self.input_dropout = nn.Dropout(c.input_dropout)
        self.patient = nn.Sequential(
            nn.Linear(in_dim, c.hidden),
            nn.GELU(),
            nn.Dropout(c.dropout),
            nn.Linear(c.hidden, c.out),
        )
        cand_in = (c.text_dim if c.use_text else 0) + (c.graph_dim + 1 if c.use_graph else 0)
        self.candidate = nn.Sequential(
            nn.Linear(cand_in, c.hidden), nn.GELU(), nn.Linear(c.hidden, c.out)
        )
        self.bias = (
            nn.Parameter(torch.zeros(c.n_fixed_candidates)) if c.n_fixed_candidates else None
        )
        self.free = (
            nn.Parameter(torch.zeros(c.n_fixed_candidates, c.out))
            if c.n_fixed_candidates and c.candidate_vectors
            else None
        )

    def _join(
        self,
        text: torch.Tensor,
        graph: torch.Tensor,
        graph_mask: torch.Tensor,
        image: torch.Tensor | None = None,
        image_mask: torch.Tensor | None = None,
        lexical: torch.Tensor | None = None,
    ) -> torch.Tensor:
        parts = []
        if self.config.use_text:
            parts.append(text)
        if self.config.use_graph:
            parts += [graph * graph_mask[:, None], graph_mask[:, None]]
        if self.config.image_dim:
            if image is None:
                image = text.new_zeros(text.size(0), self.config.image_dim)
                image_mask = text.new_zeros(text.size(0))
            parts += [image * image_mask[:, None], image_mask[:, None]]  # type: ignore[index]
        if self.config.lexical_dim:
            if lexical is None:
                raise ValueError("this model has a lexical channel: pass the patients' TF-IDF rows")
            parts.append(lexical)
        return torch.cat(parts, -1)

    def encode_patients(self, text, graph, graph_mask, image=None, image_mask=None, lexical=None):  # type: ignore[no-untyped-def]
        joined = self._join(text, graph, graph_mask, image, image_mask, lexical)
        return self.patient(self.input_dropout(joined))

    def encode_candidates(self, text, graph, graph_mask):  # type: ignore[no-untyped-def]
        c = self.config
        parts = [text] if c.use_text else []
        if c.use_graph:
            parts += [graph * graph_mask[:, None], graph_mask[:, None]]
        out = self.candidate(torch.cat(parts, -1))
        return out + self.free if self.free is not None else out

    def forward(self, patients: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        """(P, out) x (C, out) -> (P, C) scores."""
        scores = patients @ candidates.T
        return scores + self.bias if self.bias is not None else scores

    def save(self, path: Path, **meta: object) -> None:
        save_checkpoint(path, {"config": asdict(self.config), "state": self.state_dict(), **meta})

    @classmethod
    def load(cls, path: Path) -> tuple[FusionModel, dict]:
        ckpt = load_checkpoint(path)
        model = cls(FusionConfig(**ckpt.pop("config")))
        model.load_state_dict(ckpt.pop("state"))
        return model.eval(), ckpt
