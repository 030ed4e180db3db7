"""The text encoder on real sentences, with the packaged offline weights."""

from __future__ import annotations

import pytest
import torch

from medkg.encoders.text import TextEncoder


@pytest.fixture(scope="module")
def encoder() -> TextEncoder:
    return TextEncoder(batch_size=2)  # small batches: exercises sorting and reordering


def test_unit_vectors_in_input_order(encoder: TextEncoder) -> None:
    texts = [
        "Skin rash with dry, scaly patches on the elbows.",
        "Chest pain radiating to the left arm.",
        "Itchy red plaques on the knees and scalp, peeling skin.",
        "Crushing substernal chest pressure on exertion.",
    ]
    v = encoder.encode(texts)
    assert v.shape == (4, 384) and v.dtype == torch.float32
    assert torch.allclose(v.norm(dim=1), torch.ones(4), atol=1e-5)
    sim = v @ v.T
    assert sim[0, 2] > sim[0, 1] and sim[1, 3] > sim[1, 2]  # meaning, not word overlap
    one_by_one = torch.cat([encoder.encode([t]) for t in texts])
    assert torch.allclose(v, one_by_one, atol=1e-5)  # padding does not change a vector


def test_deterministic_and_empty(encoder: TextEncoder) -> None:
    a = encoder.encode(["Metformin for type 2 diabetes."])
    b = encoder.encode(["Metformin for type 2 diabetes."])
    assert torch.equal(a, b)
    assert encoder.encode([]).shape == (0, 384)
