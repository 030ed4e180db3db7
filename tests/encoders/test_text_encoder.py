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


def test_onnx_runtime_gives_the_same_vectors_and_caches_its_export(
    encoder: TextEncoder, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from medkg.encoders.onnx_runtime import EXPORT_FILE, onnx_available

    if not onnx_available():
        pytest.skip("ONNX Runtime not installed (medkg[fast])")
    texts = [
        "Skin rash with dry, scaly patches on the elbows.",
        "Chest pain radiating to the left arm, worse on exertion, with sweating.",
        "Fever.",
    ]
    expected = encoder.encode(texts)
    fp32 = TextEncoder(batch_size=2, device="cpu", runtime="onnx", cache_dir=tmp_path)
    int8 = TextEncoder(batch_size=2, device="cpu", runtime="onnx-int8", cache_dir=tmp_path)
    assert (fp32.runtime, int8.runtime) == ("onnx", "onnx-int8")
    assert TextEncoder(device="cpu", runtime="auto", cache_dir=tmp_path).runtime == "onnx"
    assert torch.allclose(fp32.encode(texts), expected, atol=1e-4)
    cosine = (int8.encode(texts) * expected).sum(-1)
    assert cosine.min() > 0.97, cosine
    (export,) = [p.parent for p in tmp_path.rglob(EXPORT_FILE)]  # one export, by weights hash
    stamp = (export / "encoder.int8.onnx").stat().st_mtime_ns
    TextEncoder(device="cpu", runtime="onnx-int8", cache_dir=tmp_path)
    assert (export / "encoder.int8.onnx").stat().st_mtime_ns == stamp  # reused, not redone
    # torch on one thread beside ONNX Runtime (the tagger's loop), restored
    # after; a session first made inside the block (after an unpickle or a
    # fork) takes the process's own thread count, not the block's
    from medkg.encoders.onnx_runtime import torch_threads

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with torch_threads(1):
            assert torch.get_num_threads() == 1
            fp32.model._session = None
            assert fp32.model.session().get_session_options().intra_op_num_threads == 2
            assert torch.allclose(fp32.encode(texts), expected, atol=1e-4)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
