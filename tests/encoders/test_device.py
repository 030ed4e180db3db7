"""``resolve_device``: every model picks its device the same way, and a device that
cannot be used here is one clear ``ValueError``."""

from __future__ import annotations

import pytest
import torch

from medkg.encoders.device import resolve_device


def test_auto_and_cpu() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("tpu", "unknown device 'tpu'"),
        ("meta", "unsupported device 'meta'"),
        ("cuda:64", "CUDA device"),
    ],
)
def test_unusable_devices_are_refused_with_a_reason(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve_device(name)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_cuda_without_a_gpu_says_so() -> None:
    with pytest.raises(ValueError, match="no CUDA device is available"):
        resolve_device("cuda")


def test_settings_refuse_a_misspelt_device_at_load() -> None:
    """``MEDKG_DEVICE`` is read by the server too: a typo must fail at start-up,
    not in the first request that loads a model."""
    from pydantic import ValidationError

    from medkg.settings import Settings

    assert Settings(device="cuda:1").device == "cuda:1"
    with pytest.raises(ValidationError, match="device"):
        Settings(device="gpu")
