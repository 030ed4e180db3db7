"""The mixed-precision policy every trainer shares (``medkg.encoders.precision``).

The trainers' own bf16 runs are in their test files; these pin the policy: what
``auto`` means per device, which choices are refused with which message, and
that a step under each mode trains the same parameters.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from medkg.encoders.precision import MixedPrecision, cpu_has_native_bf16
from tests.conftest import needs_cuda


def test_auto_is_fp32_on_cpu_and_bf16_runs_on_cpu() -> None:
    auto = MixedPrecision.resolve("auto", "cpu")
    assert auto.name == "fp32" and auto.dtype is None
    bf16 = MixedPrecision.resolve("bf16", torch.device("cpu"))
    assert bf16.name == "bf16" and not bf16.scaler.is_enabled()
    a, b = torch.randn(4, 8), torch.randn(8, 3)
    with auto.autocast():
        assert (a @ b).dtype == torch.float32
    with bf16.autocast():
        assert (a @ b).dtype == torch.bfloat16


def test_bf16_on_a_cpu_without_native_bf16_warns_that_it_is_slow() -> None:
    """An AVX2-only CPU emulates bf16 (several times slower than fp32): asking for
    it there says so; where the CPU has AVX-512 BF16 or AMX it stays quiet."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MixedPrecision.resolve("bf16", "cpu")
        MixedPrecision.resolve("fp32", "cpu")
    slow = [w for w in caught if "without native bf16" in str(w.message)]
    assert len(slow) == (0 if cpu_has_native_bf16() else 1)
    cpuinfo = Path("/proc/cpuinfo")
    flags = cpuinfo.read_text().split() if cpuinfo.exists() else []
    if flags:  # the detection agrees with the CPU's own flags
        assert cpu_has_native_bf16() == ("avx512_bf16" in flags or "amx_bf16" in flags)


@pytest.mark.parametrize(
    ("precision", "message"),
    [("fp16", "fp16 mixed precision needs a CUDA device"), ("fp8", "precision must be one of")],
)
def test_unusable_choices_are_refused_with_a_reason(precision: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MixedPrecision.resolve(precision, "cpu")


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_a_step_trains_and_keeps_weights_in_fp32(precision: str) -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    x, y = torch.randn(64, 16), torch.randn(64, 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    mp = MixedPrecision.resolve(precision, "cpu")
    losses = []
    for _ in range(30):
        with mp.autocast():
            out = model(x)
        loss = torch.nn.functional.mse_loss(out.float(), y)
        mp.step(loss, opt)
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.7 * losses[0]
    assert all(p.dtype == torch.float32 and p.grad is not None for p in model.parameters())


@needs_cuda
def test_gpu_auto_is_half_precision_and_fp16_scales_the_loss() -> None:
    auto = MixedPrecision.resolve("auto", "cuda")
    assert auto.name in ("bf16", "fp16")
    fp16 = MixedPrecision.resolve("fp16", "cuda")
    assert fp16.scaler.is_enabled()
    model = torch.nn.Linear(8, 1).cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(32, 8, device="cuda")
    before = model.weight.detach().clone()
    with fp16.autocast():
        out = model(x)
    assert out.dtype == torch.float16
    fp16.step(out.float().pow(2).mean(), opt)
    # the first scaled step may be skipped for overflow; a second one must land
    with fp16.autocast():
        out = model(x)
    fp16.step(out.float().pow(2).mean(), opt)
    assert not torch.equal(before, model.weight.detach())
