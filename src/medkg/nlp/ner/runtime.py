"""How a trained transformer tagger runs at inference: PyTorch at full precision,
PyTorch with bf16 matrix work, PyTorch int8, or ONNX Runtime (fp32 or int8),
CPU only for the last three.

- ``torch``: the trained PyTorch encoder, unchanged (training, GPUs, fallback).
- ``bf16``: the same encoder under bf16 autocast (weights stay fp32; matrix
  products run in bf16, layer norms and softmax in fp32). Only where the
  device computes bf16 natively (a CPU with AMX or AVX-512 BF16, a GPU from
  Ampere on); elsewhere it would be emulated, several times slower than fp32,
  so asking for it there runs ``torch`` with a warning. Its spans are
  full precision's (agreement 0.999 on BC5CDR devel, docs/decisions/0043),
  which int8's are not (0.97), at less speed than ``onnx-int8`` on a CPU.
- ``int8``: PyTorch's dynamic quantisation, one scale per output channel, of
  every ``Linear`` in the encoder except the feed-forward down-projections
  (their inputs, after GELU, carry outliers that a per-tensor activation scale
  cuts). Made in memory at load time; nothing is saved.
- ``onnx`` / ``onnx-int8``: the encoder exported to ONNX and run by ONNX
  Runtime, fp32 or with every MatMul quantised per channel, the embedding
  tables left at fp32 (:mod:`medkg.encoders.onnx_runtime`). The export is
  saved in ``onnx/`` beside the tagger's weights (or, when that folder cannot
  be written, in ``MEDKG_CACHE_DIR`` under the weights' hash) with the weights'
  SHA-256, so a retrained model is re-exported on its next load.
- ``auto`` (the default): ``onnx-int8`` on a CPU where ONNX Runtime is
  installed, else ``torch``; on a GPU always ``torch``.

A runtime that cannot run (ONNX Runtime not installed, no quantised engine, a
GPU) falls back with a warning, never to an error: extraction must not stop
because an accelerator is missing. The extractor's version names the runtime
used, so every fact says which path produced it.

Why ``onnx-int8`` is the default on a CPU: measured on two default-recipe
models it tags within 0.3 F1 of full precision on both evaluation sets (the
tolerance the project set) at about twice the sentences per second; PyTorch's
``int8`` does not (0.3-0.7 lower), so ``auto`` never picks it. The figures are
in docs/results.md and docs/decisions/0014 and 0024.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any, Literal

from medkg.nlp.ner.ensemble import TaggerEnsemble
from medkg.nlp.ner.tagger import Recheck, TokenTagger
from medkg.settings import NerRuntime

log = logging.getLogger(__name__)

Resolved = Literal["torch", "bf16", "int8", "onnx", "onnx-int8"]


def int8_available() -> bool:
    """Does this PyTorch build have a quantised CPU engine (x86/fbgemm or qnnpack)?"""
    import torch

    engines = set(torch.backends.quantized.supported_engines) - {"none"}
    return bool(engines)


def resolve_runtime(runtime: NerRuntime, device: Any) -> Resolved:
    """The runtime that will run: what was asked when it can run here. Otherwise
    ``onnx-int8`` falls back to ``int8`` (the user asked for speed), ``int8`` and
    ``onnx`` to ``torch``, and ``auto`` to ``torch`` (it promises full accuracy)."""
    from medkg.encoders.onnx_runtime import onnx_available

    if runtime == "bf16":
        from medkg.encoders.precision import native_bf16

        if native_bf16(device):
            return "bf16"
        warnings.warn(
            "NER runtime 'bf16': bf16 is emulated on this device (no AVX-512 BF16/AMX, "
            "or a GPU before Ampere); using 'torch'", stacklevel=2,
        )  # fmt: skip
        return "torch"
    if runtime == "torch" or not str(device).startswith("cpu"):
        return "torch"
    if runtime in ("onnx", "onnx-int8", "auto"):
        if onnx_available():
            return "onnx-int8" if runtime in ("onnx-int8", "auto") else "onnx"
        if runtime == "auto":
            return "torch"
        warnings.warn(
            f"NER runtime {runtime!r}: ONNX Runtime is not installed "
            "(pip install 'medkg[fast]'); falling back", stacklevel=2,
        )  # fmt: skip
        if runtime == "onnx":
            return "torch"
    return "int8" if int8_available() else "torch"


def apply_runtime(
    tagger: TokenTagger | TaggerEnsemble,
    runtime: Resolved,
    cache_dir: Path,
    recheck_margin: float = 0.0,
) -> Resolved:
    """Put every member of ``tagger`` on ``runtime``; the runtime that ran.

    ``cache_dir``: where an export goes when the tagger's own folder cannot be
    written (a read-only install). An export that fails (a model the exporter
    cannot trace) leaves the PyTorch encoder in place with a warning.
    ``recheck_margin`` > 0 with ``onnx-int8``: each member also keeps the fp32
    export, and chunks whose closest decision is under that margin are tagged
    again with it (:class:`~medkg.nlp.ner.tagger.Recheck`).
    """
    if runtime == "torch":
        return "torch"
    if runtime == "bf16":
        import torch

        for member in tagger_members(tagger):
            if member.runtime == "torch":
                member.autocast, member.runtime = torch.bfloat16, "bf16"
        return "bf16"
    if runtime == "int8":
        quantize_tagger(tagger)
        return "int8"
    from medkg.encoders.onnx_runtime import OnnxEncoder

    precision: Literal["fp32", "int8"] = "int8" if runtime == "onnx-int8" else "fp32"
    members = [m for m in tagger_members(tagger) if m.runtime == "torch"]
    try:  # every member's session made before any is swapped: all or none move
        sessions = [
            OnnxEncoder(_export(m, precision, cache_dir), m.encoder.config, precision)
            for m in members
        ]
        checks = [
            OnnxEncoder(_export(m, "fp32", cache_dir), m.encoder.config, "fp32")
            if precision == "int8" and recheck_margin > 0
            else None
            for m in members
        ]
    except Exception as exc:  # any export failure falls back, loudly
        warnings.warn(f"NER runtime {runtime!r} unavailable ({exc}); using torch", stacklevel=2)
        return "torch"
    for member, session, check in zip(members, sessions, checks, strict=True):
        member.encoder = session  # the PyTorch weights are freed with the old module
        member.runtime = runtime
        if check is not None:
            member.recheck = Recheck(check, recheck_margin)
        log.info("NER encoder on ONNX Runtime (%s): %s", precision, session.path)
    return runtime


def tagger_members(tagger: TokenTagger | TaggerEnsemble) -> list[TokenTagger]:
    """The taggers that run: an ensemble's members, or the tagger itself."""
    return tagger.members if isinstance(tagger, TaggerEnsemble) else [tagger]


def _export(member: TokenTagger, precision: Literal["fp32", "int8"], cache_dir: Path) -> Path:
    """The member's ONNX file (:func:`~medkg.encoders.onnx_runtime.exported_beside`)."""
    from medkg.encoders.onnx_runtime import exported_beside

    if member.folder is None:
        raise ValueError("the tagger was not loaded from a folder, so it has nothing to export")
    return exported_beside(member.folder / "encoder", precision, cache_dir)


def quantize_tagger(tagger: TokenTagger | TaggerEnsemble) -> TokenTagger | TaggerEnsemble:
    """The same tagger (members too) with its encoder quantised as the module
    docstring says. In place: the fp32 layers are replaced, so their memory is freed."""
    import torch

    for member in tagger_members(tagger):
        if member.runtime != "torch":
            continue
        layers = {
            name: torch.ao.quantization.per_channel_dynamic_qconfig
            for name, module in member.encoder.named_modules()
            if isinstance(module, torch.nn.Linear) and not _ffn_down_projection(name)
        }
        with warnings.catch_warnings():  # torch.ao's deprecation notice, not ours to act on
            warnings.simplefilter("ignore")
            member.encoder = torch.ao.quantization.quantize_dynamic(
                member.encoder, layers, dtype=torch.qint8
            )
        member.runtime = "int8"
    return tagger


def _ffn_down_projection(name: str) -> bool:
    """BERT-style ``encoder.layer.N.output.dense`` (not ``attention.output.dense``)."""
    return name.endswith("output.dense") and "attention" not in name
