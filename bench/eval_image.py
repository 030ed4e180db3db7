"""Benchmark: the image encoder on PneumoniaMNIST (or any MedMNIST-format .npz), beside
MedMNIST v2's published ResNet-18 (28) and ResNet-50 (28) figures.

Rows, in this run: ``majority class`` (the named baseline: always predict the
commonest training label; AUC 0.5), and medkg's MONAI ResNet-18 at the chosen
width, trained here (model selection on val AUC, reported on test). Also prints
the epoch time and the inference latency per image on this machine's device.

    python bench/eval_image.py [--npz FILE] [--epochs 8] [--full-width] [--device auto]

Results go to ``bench/results/eval_image.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from _results import write_results

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    from medkg.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--npz", type=Path, default=Settings().shared_data_dir / "pneumoniamnist/pneumoniamnist.npz"
    )
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--full-width", action="store_true", help="ResNet-18's own widths")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--precision", default="auto", help="auto, fp32, bf16 or fp16 (training)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/eval_image.json")
    args = ap.parse_args()

    import torch

    from medkg.encoders.image import PUBLISHED, ImageEncoderConfig, load_medmnist
    from medkg.encoders.image_train import train_image_encoder

    config = ImageEncoderConfig(widths=(64, 128, 256, 512)) if args.full_width else None
    _, ytr = load_medmnist(args.npz, "train")
    _, yte = load_medmnist(args.npz, "test")
    majority = int(ytr.bincount().argmax())
    rows = [
        {
            "model": "majority class (baseline)",
            "auc": 0.5,
            "acc": round(float((yte == majority).float().mean()), 3),
        }
    ]
    res = train_image_encoder(
        args.npz, epochs=args.epochs, device=args.device, config=config,
        precision=args.precision,
        on_epoch=lambda e, loss, auc: print(f"  epoch {e + 1}: loss {loss:.3f}, val AUC {auc:.3f}",
                                            file=sys.stderr),
    )  # fmt: skip
    width = "full" if args.full_width else "half"
    rows.append(
        {
            "model": f"medkg MONAI ResNet-18 (28), {width} width, {args.epochs} epochs, "
            f"{res.precision}",
            "auc": round(res.test_auc, 3),
            "acc": round(res.test_acc, 3),
        }
    )
    for name, ref in PUBLISHED.items():
        rows.append({"model": f"MedMNIST v2 {name} (published)", **ref})
    x, _ = load_medmnist(args.npz, "test")
    model = res.model.to(res.device).eval()
    with torch.inference_mode():
        model(x[:1].to(res.device))
        t0 = time.perf_counter()
        for i in range(100):
            model(x[i : i + 1].to(res.device))
        per_image_ms = (time.perf_counter() - t0) * 10
    print(f"{'model':<58} {'AUC':>6} {'ACC':>6}")
    for r in rows:
        print(f"{r['model']:<58} {r['auc']:>6} {r['acc']:>6}")
    epoch_s = sum(res.epoch_seconds) / len(res.epoch_seconds)
    print(
        f"device {res.device}: {epoch_s:.1f} s per training epoch, "
        f"{per_image_ms:.2f} ms per image at batch 1"
    )
    write_results(
        args.out,
        {
            "npz": str(args.npz),
            "device": res.device,
            "epoch_seconds": round(epoch_s, 2),
            "inference_ms_per_image": round(per_image_ms, 3),
            "rows": rows,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
