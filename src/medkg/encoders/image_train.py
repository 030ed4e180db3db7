"""Train and evaluate the image encoder on a MedMNIST-format ``.npz`` file.

Model selection on the validation split (best AUC), reported on the test split,
as MedMNIST v2 does. Mixed precision per ``medkg.encoders.precision`` (bf16 on a
GPU by default, fp32 on CPU).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.nn import functional as F

from medkg.encoders.device import resolve_device, synchronize
from medkg.encoders.image import ImageEncoder, ImageEncoderConfig, load_medmnist
from medkg.encoders.precision import MixedPrecision


@dataclass
class ImageTrainResult:
    model: ImageEncoder
    val_auc: float
    test_auc: float
    test_acc: float
    epoch_seconds: list[float] = field(default_factory=list)
    device: str = "cpu"
    precision: str = "fp32"


@torch.inference_mode()
def evaluate(
    model: ImageEncoder,
    x: torch.Tensor,
    y: torch.Tensor,
    device: torch.device | None = None,
    batch: int = 512,
) -> tuple[float, float]:
    """(AUC, accuracy) of a binary task; AUC on the positive-class probability."""
    from sklearn.metrics import roc_auc_score

    device = device or next(model.parameters()).device
    model.eval()
    probs = torch.cat(
        [
            F.softmax(model(x[i : i + batch].to(device)).float(), -1).cpu()
            for i in range(0, len(x), batch)
        ]
    )
    auc = float(roc_auc_score(y.numpy(), probs[:, 1].numpy()))
    acc = float((probs.argmax(-1) == y).float().mean())
    return auc, acc


def train_image_encoder(
    npz: Path,
    epochs: int = 8,
    batch_size: int = 128,
    lr: float = 1e-3,
    device: str = "auto",
    seed: int = 0,
    config: ImageEncoderConfig | None = None,
    limit: int | None = None,
    on_epoch: Callable[[int, float, float], None] | None = None,
    precision: str = "auto",
) -> ImageTrainResult:
    torch.manual_seed(seed)
    dev = resolve_device(device)
    mp = MixedPrecision.resolve(precision, dev)
    xtr, ytr = load_medmnist(npz, "train")
    xva, yva = load_medmnist(npz, "val")
    xte, yte = load_medmnist(npz, "test")
    if limit:
        xtr, ytr = xtr[:limit], ytr[:limit]
    model = ImageEncoder(config).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=lr, total_steps=epochs * ((len(xtr) + batch_size - 1) // batch_size)
    )
    best = (-1.0, None)
    times = []
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(len(xtr), generator=gen)
        for i in range(0, len(xtr), batch_size):
            idx = perm[i : i + batch_size]
            xb = xtr[idx].to(dev, non_blocking=True)
            if torch.rand(1, generator=gen).item() < 0.5:  # flips: cheap, label-preserving
                xb = xb.flip(-1)
            with mp.autocast():
                logits = model(xb)
            loss = F.cross_entropy(logits.float(), ytr[idx].to(dev))
            mp.step(loss, opt)
            sched.step()
        synchronize(dev)
        times.append(time.perf_counter() - t0)
        val_auc, _ = evaluate(model, xva, yva, dev)
        if val_auc > best[0]:
            best = (val_auc, {k: v.detach().clone() for k, v in model.state_dict().items()})
        if on_epoch:
            on_epoch(epoch, float(loss.detach()), val_auc)
    model.load_state_dict(best[1])  # type: ignore[arg-type]
    test_auc, test_acc = evaluate(model, xte, yte, dev)
    return ImageTrainResult(model.cpu(), best[0], test_auc, test_acc, times, str(dev), mp.name)


def save_image_encoder(result: ImageTrainResult, npz: Path, path: Path) -> None:
    """Write a trained encoder with what serving needs beside its weights.

    ``train_positive_rate`` is the prior that diagnosis divides out when it
    fuses an image (:mod:`medkg.fusion.image_fusion`); the rest is the record
    of how it was trained.
    """
    result.model.save(
        path,
        {
            "train_positive_rate": float(load_medmnist(npz, "train")[1].float().mean()),
            "data": str(npz),
            "test_auc": result.test_auc,
            "test_acc": result.test_acc,
            "device": result.device,
            "precision": result.precision,
            "epoch_seconds": [round(t, 2) for t in result.epoch_seconds],
        },
    )
