"""How a trained transformer tagger runs at inference: full precision, or with
most of its encoder's linear layers quantised to int8 (CPU only).

What ``int8`` is: PyTorch's dynamic quantisation, one scale per output channel,
of every ``Linear`` in the encoder except the feed-forward down-projections
(their inputs, after GELU, carry outliers that a per-tensor activation scale
cuts: quantising them cost more F1 than all the others together). It is made
from the trained weights at load time in under a second, so nothing extra is
saved or can go stale when the model is retrained; the extractor's version
names the runtime, so facts say which path produced them.

Why it is not the default: measured in one run (``bench/ner_eval.py``,
docs/results.md) it tags 1.55x the sentences per second of the full-precision
path on 2 cores but loses 0.3 F1 on BC5CDR devel and 0.7 on NCBI-disease test;
the default must not trade accuracy silently. ``MEDKG_NER_RUNTIME=int8`` (or
``auto``: int8 on CPU) is for bulk extraction where speed matters more.
Decision: docs/decisions/0014.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

from medkg.nlp.ner.ensemble import TaggerEnsemble
from medkg.nlp.ner.tagger import TokenTagger
from medkg.settings import NerRuntime


def int8_available() -> bool:
    """Does this PyTorch build have a quantised CPU engine (x86/fbgemm or qnnpack)?"""
    import torch

    engines = set(torch.backends.quantized.supported_engines) - {"none"}
    return bool(engines)


def resolve_runtime(runtime: NerRuntime, device: Any) -> Literal["torch", "int8"]:
    """``auto``: int8 on a CPU whose PyTorch has a quantised engine, else torch;
    ``int8`` asked for where it cannot run (a GPU, no engine) falls back to torch."""
    on_cpu = str(device).startswith("cpu")
    if runtime == "torch" or not on_cpu or not int8_available():
        return "torch"
    return "int8"


def quantize_tagger(tagger: TokenTagger | TaggerEnsemble) -> TokenTagger | TaggerEnsemble:
    """The same tagger (members too) with its encoder quantised as the module
    docstring says. In place: the fp32 layers are replaced, so their memory is freed."""
    import torch

    members = tagger.members if isinstance(tagger, TaggerEnsemble) else [tagger]
    for member in members:
        if getattr(member, "runtime", "torch") == "int8":
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
        member.runtime = "int8"  # type: ignore[attr-defined]
    return tagger


def _ffn_down_projection(name: str) -> bool:
    """BERT-style ``encoder.layer.N.output.dense`` (not ``attention.output.dense``)."""
    return name.endswith("output.dense") and "attention" not in name
