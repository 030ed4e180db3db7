"""A Hugging Face encoder run by ONNX Runtime on CPU, exported once and kept
beside the weights it came from.

What: :func:`exported_encoder` writes ``encoder.fp32.onnx`` (the encoder traced
with PyTorch's TorchScript exporter, dynamic batch and length, attention in
its plain "eager" form) and, for ``int8``, ``encoder.int8.onnx`` (ONNX
Runtime's dynamic quantisation of every MatMul, one scale per output channel;
the embedding tables stay fp32) into a folder with an ``export.json``
that names the SHA-256 of the source weights. A retrained model has other
weights, so its stale export is replaced on the next load; an export whose
record does not match is never used. :class:`OnnxEncoder` is a drop-in for the
PyTorch module where only inference happens: ``encoder(**batch)`` returns an
object with ``last_hidden_state`` as a torch tensor.

Why ONNX Runtime and per-channel int8 of every MatMul: measured against
PyTorch's own dynamic int8 (docs/decisions/0014), it tags about 2x the
sentences per second at a smaller F1 cost. Why not the embedding tables:
the quantiser's default also turns each ``Gather`` table into int8 with one
scale for the whole table, which cost most of int8's F1 loss and none of its
speed. Why eager attention: PyTorch's fused attention traces to a graph with
NaN guards and masks that ONNX Runtime runs slower (both measured in
docs/decisions/0024). Why export from a fresh copy of the
weights: tracing leaves the traced PyTorch module slower and with different
outputs in the same process, and the caller's module must stay as it was (it is
the fallback). Why the session is made lazily per process: ONNX Runtime's
thread pool does not survive ``fork``, and the extractor forks its workers
after loading; a child makes its own session with the thread count torch has
there (1 in the extractor's workers, as for the PyTorch path).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

from medkg.artifacts import load_json, save_json

#: The record of an export: source hash, versions, and the files written.
EXPORT_FILE = "export.json"
#: The folder, beside a model's ``encoder/`` weights, that holds their export.
EXPORT_DIR = "onnx"
#: ONNX operator set of the export (ONNX Runtime 1.31 runs up to 23).
OPSET = 17
#: Bumped when the export or quantisation recipe changes, so old exports are redone.
RECIPE = 2
INPUTS = ("input_ids", "attention_mask", "token_type_ids")

Precision = Literal["fp32", "int8"]


class OnnxUnavailable(RuntimeError):
    """ONNX Runtime (or the ``onnx`` package the export and quantiser need) is missing."""


def onnx_available() -> bool:
    """Can this environment export, quantise and run ONNX (``pip install medkg[fast]``)?"""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def source_hash(folder: Path) -> str:
    """SHA-256 over the files of a Hugging Face model folder (weights, config,
    tokenizer), in name order: what an export is tied to."""
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(f.relative_to(folder).as_posix().encode())
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class ExportRecord:
    """What ``export.json`` says; an export is used only when all of it matches."""

    source_sha256: str
    recipe: int = RECIPE
    opset: int = OPSET

    def matches(self, folder: Path) -> bool:
        record = folder / EXPORT_FILE
        if not record.is_file():
            return False
        try:
            data = load_json(record)
        except ValueError:
            return False
        return (
            data.get("source_sha256") == self.source_sha256
            and data.get("recipe") == self.recipe
            and data.get("opset") == self.opset
        )


def onnx_file(folder: Path, precision: Precision) -> Path:
    return folder / f"encoder.{precision}.onnx"


def exported_encoder(model_dir: Path, export_dir: Path, precision: Precision) -> Path:
    """The ONNX file of the encoder in ``model_dir`` at ``precision``, exported
    into ``export_dir`` (and quantised) when missing or made from other weights.

    Files are written into a temporary folder beside ``export_dir`` and moved in
    with the record last, so an interrupted export leaves nothing that is used.
    """
    if not onnx_available():
        raise OnnxUnavailable("ONNX Runtime is not installed (pip install 'medkg[fast]')")
    want = ExportRecord(source_hash(model_dir))
    target = onnx_file(export_dir, precision)
    if want.matches(export_dir) and target.is_file():
        return target
    export_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=export_dir, prefix=".export-") as tmp:
        work = Path(tmp)
        _export_fp32(model_dir, onnx_file(work, "fp32"))
        _quantise(onnx_file(work, "fp32"), onnx_file(work, "int8"))
        (export_dir / EXPORT_FILE).unlink(missing_ok=True)  # stale record first
        for precision_ in ("fp32", "int8"):
            os.replace(onnx_file(work, precision_), onnx_file(export_dir, precision_))
        save_json(export_dir / EXPORT_FILE, _record(want))
    return target


def cached_export_dir(cache_dir: Path, model_dir: Path) -> Path:
    """Where an export of ``model_dir`` goes in the cache (``MEDKG_CACHE_DIR``):
    ``onnx/`` under the weights' hash."""
    return cache_dir / EXPORT_DIR / source_hash(model_dir)[:16]


def exported_beside(model_dir: Path, precision: Precision, cache_dir: Path) -> Path:
    """The export of a trained model's ``encoder/`` folder, kept in ``onnx/``
    beside it, or in ``cache_dir`` under the weights' hash where that folder
    cannot be written (a read-only install)."""
    try:
        return exported_encoder(model_dir, model_dir.parent / EXPORT_DIR, precision)
    except PermissionError:
        return exported_encoder(model_dir, cached_export_dir(cache_dir, model_dir), precision)


def _record(want: ExportRecord) -> dict[str, Any]:
    import onnxruntime
    import torch

    return {
        "source_sha256": want.source_sha256, "recipe": want.recipe, "opset": want.opset,
        "torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
        "int8": "onnxruntime.quantization.quantize_dynamic, QInt8 weights, per channel, "
        "every MatMul, embeddings fp32",
    }  # fmt: skip


def _export_fp32(model_dir: Path, out: Path) -> None:
    """Trace a freshly loaded copy of the encoder (see the module docstring)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(
        model_dir, local_files_only=True, attn_implementation="eager"
    ).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    sample = tokenizer(
        ["a b c", "a longer sentence so that the two rows differ in length"],
        padding=True, return_tensors="pt",
    )  # fmt: skip
    args = tuple(sample.get(k, torch.zeros_like(sample["input_ids"])) for k in INPUTS)

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    axes = {name: {0: "batch", 1: "pieces"} for name in (*INPUTS, "last_hidden_state")}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's tracer warnings about shapes
        torch.onnx.export(
            _Hidden(model), args, str(out), input_names=list(INPUTS),
            output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=OPSET,
            dynamo=False,
        )  # fmt: skip


def _quantise(source: Path, out: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser's advice to pre-process, on the root logger
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(
                str(source), str(out), weight_type=QuantType.QInt8, per_channel=True,
                op_types_to_quantize=["MatMul"],
            )  # fmt: skip
    finally:
        root.setLevel(level)


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run torch's CPU work in ``count`` threads inside the block; restored after.

    Why: a loop that alternates ONNX Runtime runs with small torch steps (the
    tagger's word gather, feature embeddings and head after each batch) has two
    thread pools that both spin-wait for work after each call: ONNX Runtime's
    workers while torch runs and torch's OpenMP workers while ONNX Runtime
    runs. On 2 cores each pool's spinning took a core from the other: the
    torch steps took 5x their single-threaded time, and the encoder runs
    slowed too. With torch on one thread its steps (small) run on the
    calling thread and nothing spins against ONNX Runtime (figures in
    docs/results.md). The count is process-wide, so other threads' torch
    work also runs on one thread while the block lasts.
    """
    import torch

    global _OUTER_THREADS
    before = torch.get_num_threads()
    if before == count:
        yield
        return
    outer = _OUTER_THREADS
    _OUTER_THREADS = outer or before
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)
        _OUTER_THREADS = outer


#: Torch's thread count outside a :func:`torch_threads` block while one runs
#: (None otherwise): a session first made inside the block (after a fork or an
#: unpickle) takes the process's own count, not the block's.
_OUTER_THREADS: int | None = None


class OnnxEncoder:
    """An ONNX Runtime session that answers like a Hugging Face encoder module.

    Offers what inference code calls on the PyTorch module: ``__call__`` with
    the tokenizer's tensors, ``config``, and no-op ``to``/``train``/``eval``
    (CPU only). The session is made on first use in each process.
    """

    def __init__(self, path: Path, config: Any, precision: Precision) -> None:
        self.path = path
        self.config = config
        self.precision = precision
        self._session: Any = None
        self._pid = -1
        self.session()  # fail now, not on the first note, if the file is unusable

    def session(self) -> Any:
        if self._session is not None and self._pid != os.getpid():
            # A forked child: the parent's session is unusable here, and destroying
            # it waits forever for the parent's thread-pool threads, which a fork
            # does not copy. It is kept alive (one reference never released) and
            # the child makes its own.
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(self._session))
            self._session = None
        if self._session is None:
            import onnxruntime as ort
            import torch

            options = ort.SessionOptions()
            options.intra_op_num_threads = max(1, _OUTER_THREADS or torch.get_num_threads())
            options.inter_op_num_threads = 1
            options.log_severity_level = 3  # errors only: no notices about unused initialisers
            self._session = ort.InferenceSession(
                str(self.path), options, providers=["CPUExecutionProvider"]
            )
            self._pid = os.getpid()
        return self._session

    def __call__(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None, **_: Any):
        import numpy as np
        import torch

        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        feeds = {
            name: np.ascontiguousarray(t.detach().cpu().numpy(), dtype=np.int64)
            for name, t in zip(INPUTS, (input_ids, attention_mask, token_type_ids), strict=True)
        }
        (hidden,) = self.session().run(["last_hidden_state"], feeds)
        return SimpleNamespace(last_hidden_state=torch.from_numpy(hidden))

    def __getstate__(self) -> dict[str, Any]:  # sessions do not pickle; remade on use
        return {**self.__dict__, "_session": None, "_pid": -1}

    def to(self, device: Any) -> OnnxEncoder:
        if not str(device).startswith("cpu"):
            raise ValueError("an ONNX Runtime encoder runs on CPU only")
        return self

    def train(self, mode: bool = True) -> OnnxEncoder:
        if mode:
            raise ValueError("an ONNX Runtime encoder is for inference; train the PyTorch model")
        return self

    def eval(self) -> OnnxEncoder:
        return self

