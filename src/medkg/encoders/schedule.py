"""The learning-rate schedule the encoder fine-tuning loops share.

Linear warm-up over the first ``warmup`` share of the steps, then linear decay
to zero at the last step: the usual recipe for fine-tuning a pretrained
transformer (BERT's), kept in one place so the NER tagger and the in-domain
adaptation cannot drift apart. (The document CID model keeps its own, slightly
different product form, with which its figures were measured.)
"""

from __future__ import annotations

import torch


def warmup_linear_decay(
    optim: torch.optim.Optimizer, total: int, warmup: float
) -> torch.optim.lr_scheduler.LambdaLR:
    """Step it once per optimiser step; ``total`` steps in all."""
    warm = max(1, int(warmup * total))
    return torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
