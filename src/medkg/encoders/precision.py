"""Mixed precision: one policy for every training loop.

Why one module: the image, graph and fusion trainers each used to carry their
own ``enabled=device is cuda`` autocast line, so the mixed-precision branch of
every loop ran only on a GPU and no test here could reach it. With the policy
named (``fp32``, ``bf16``, ``fp16`` or ``auto``), the bf16 branch runs on a CPU
too (``--precision bf16``; CPUs with AMX/AVX-512 BF16 gain from it, and the
tests use it to exercise the same code path a GPU takes), and the fp16 branch
with its gradient scaler serves GPUs without bf16 (V100, T4).

``auto`` is bf16 on a GPU that has it, fp16 with loss scaling on one that does
not, and fp32 on a CPU (where bf16 autocast is slower than fp32 on most chips).
Rejected: fp16 on CPU (autocast's CPU op list is made for bf16, and a gradient
scaler would be needed for little gain), and global ``torch.set_default_dtype``
(weights and optimiser state must stay fp32 for stable training).
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field
from typing import get_args

import torch

from medkg.settings import Precision

PRECISIONS: tuple[str, ...] = get_args(Precision)


def _cuda_has_bf16(device: torch.device) -> bool:
    index = device.index if device.index is not None else torch.cuda.current_device()
    return torch.cuda.get_device_capability(index) >= (8, 0)


def cpu_has_native_bf16() -> bool:
    """Does this CPU compute in bf16 natively (AVX-512 BF16 or AMX)? Without it,
    CPU autocast emulates bf16 and trains several times slower than fp32
    (4-24x on an AVX2-only machine, docs/decisions/0010)."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def native_bf16(device: torch.device | str) -> bool:
    """Does ``device`` compute in bf16 natively: a GPU from Ampere on, or a CPU
    with AVX-512 BF16 or AMX? Inference in bf16 is worth running only there
    (the NER's ``bf16`` runtime); elsewhere it is emulated."""
    device = torch.device(device)
    if device.type == "cuda":
        return _cuda_has_bf16(device)
    return device.type == "cpu" and cpu_has_native_bf16()


@dataclass
class MixedPrecision:
    """The autocast dtype of one training run and the optimiser step that goes with it.

    ``dtype`` is ``None`` for plain fp32. Weights, optimiser state and losses stay
    fp32 in every mode; only the forward pass's matrix work runs in ``dtype``.
    """

    device: torch.device
    dtype: torch.dtype | None
    scaler: torch.amp.GradScaler = field(repr=False)

    @classmethod
    def resolve(cls, precision: str, device: torch.device | str) -> MixedPrecision:
        """Turn a user's ``precision`` choice into a policy for ``device``; a choice
        the device cannot run is a ``ValueError`` that says what to use instead."""
        device = torch.device(device)
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
        cuda = device.type == "cuda"
        has_bf16 = not cuda or _cuda_has_bf16(device)  # autocast's CPU path always has it
        if precision == "auto":
            precision = ("bf16" if has_bf16 else "fp16") if cuda else "fp32"
        if precision == "fp16" and not cuda:
            raise ValueError("fp16 mixed precision needs a CUDA device; use bf16 or fp32 on CPU")
        if precision == "bf16" and not has_bf16:
            raise ValueError("this GPU has no bf16 support (compute capability < 8.0); use fp16")
        if precision == "bf16" and not cuda and not cpu_has_native_bf16():
            warnings.warn(
                "bf16 on a CPU without native bf16 (AVX-512 BF16 or AMX) is emulated and "
                "trains several times slower than fp32; use --precision fp32 here",
                stacklevel=2,
            )
        dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
        # Loss scaling only for fp16: bf16 has fp32's exponent range, so its
        # gradients do not underflow. A disabled scaler passes calls through.
        scaler = torch.amp.GradScaler(device.type, enabled=dtype is torch.float16)
        return cls(device, dtype, scaler)

    @property
    def name(self) -> str:
        """``fp32``, ``bf16`` or ``fp16``: recorded with checkpoints and timings."""
        return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.dtype]

    def autocast(self) -> contextlib.AbstractContextManager[None]:
        """The forward pass's context: autocast to ``dtype``, or nothing for fp32."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def step(
        self,
        loss: torch.Tensor,
        optimizer: torch.optim.Optimizer,
        clip: tuple[list[torch.nn.Parameter], float] | None = None,
    ) -> None:
        """Backward pass and optimiser step; for fp16 the loss is scaled so small
        gradients survive, and a step with inf/nan gradients is skipped. ``clip``
        (parameters, max norm) clips after unscaling, so the norm means the same
        in every mode."""
        optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if clip is not None:
            self.scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(clip[0], clip[1])
        self.scaler.step(optimizer)
        self.scaler.update()


__all__ = ["PRECISIONS", "MixedPrecision"]
