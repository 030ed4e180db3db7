"""Image encoder: MONAI's 2-D ResNet-18 (half width by default), trained on PneumoniaMNIST.

Why this network: MedMNIST v2 publishes ResNet-18 (28) baselines for
PneumoniaMNIST (``PUBLISHED``), so the same architecture from MONAI,
at the same 28x28 resolution, gives a like-for-like comparison. ``embed``
returns the pooled features (256-d at half width) the fusion model consumes; ``forward``
returns class logits. Inputs are 1-channel images scaled to [0, 1].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from medkg.artifacts import load_checkpoint, save_checkpoint

#: MedMNIST v2 (Yang et al. 2023), Table: PneumoniaMNIST test split.
PUBLISHED = {
    "ResNet-18 (28)": {"auc": 0.944, "acc": 0.854},
    "ResNet-50 (28)": {"auc": 0.948, "acc": 0.854},
}


@dataclass
class ImageEncoderConfig:
    num_classes: int = 2
    in_channels: int = 1
    layers: tuple[int, int, int, int] = (2, 2, 2, 2)  # ResNet-18
    #: ResNet-18's own widths are (64, 128, 256, 512); half width trains several
    #: times faster on CPU for about the same PneumoniaMNIST AUC (docs/results.md).
    widths: tuple[int, int, int, int] = (32, 64, 128, 256)


class ImageEncoder(nn.Module):
    def __init__(self, config: ImageEncoderConfig | None = None) -> None:
        super().__init__()
        from monai.networks.nets import ResNet

        self.config = config or ImageEncoderConfig()
        c = self.config
        self.net = ResNet(
            block="basic",
            layers=list(c.layers),
            block_inplanes=list(c.widths),
            spatial_dims=2,
            n_input_channels=c.in_channels,
            conv1_t_size=3,
            conv1_t_stride=1,
            no_max_pool=True,
            num_classes=c.num_classes,
        )  # fmt: skip  (3x3 stem, no max-pool: the MedMNIST recipe for 28x28 inputs)
        self.dim = c.widths[-1]

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        n = self.net
        x = n.act(n.bn1(n.conv1(x)))
        x = n.layer4(n.layer3(n.layer2(n.layer1(x))))
        return torch.flatten(n.avgpool(x), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.fc(self.embed(x))

    def save(self, path: Path, extra: dict | None = None) -> None:
        save_checkpoint(
            path, {"config": asdict(self.config), "state": self.state_dict(), **(extra or {})}
        )

    @classmethod
    def load(cls, path: Path) -> ImageEncoder:
        """The model on the CPU (move it with ``.to(device)``)."""
        return cls.load_with_meta(path)[0]

    @classmethod
    def load_with_meta(cls, path: Path) -> tuple[ImageEncoder, dict]:
        """The model and the ``extra`` entries :meth:`save` wrote beside it."""
        ckpt = load_checkpoint(path, tensors_only=True)
        cfg = ckpt.pop("config")
        model = cls(
            ImageEncoderConfig(
                **{k: tuple(v) if isinstance(v, list) else v for k, v in cfg.items()}
            )
        )
        model.load_state_dict(ckpt.pop("state"))
        return model, ckpt


def load_medmnist(path: Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``(N, 1, 28, 28)`` float images in [0, 1] and ``(N,)`` int labels of one split."""
    with np.load(path) as data:
        if f"{split}_images" not in data:
            raise ValueError(f"{path}: no {split!r} split (have: {', '.join(data.files)})")
        x = torch.from_numpy(data[f"{split}_images"].astype(np.float32) / 255.0)
        y = torch.from_numpy(data[f"{split}_labels"].reshape(-1).astype(np.int64))
    if x.ndim == 3:
        x = x.unsqueeze(1)
    return x, y


def image_to_tensor(raw: bytes, size: int = 28) -> torch.Tensor:
    """A PNG/JPEG upload as a ``(1, 1, size, size)`` grey image in [0, 1]."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(raw)) as img:
        grey = img.convert("L").resize((size, size))
        arr = np.asarray(grey, dtype=np.float32) / 255.0
    return torch.from_numpy(arr)[None, None]
